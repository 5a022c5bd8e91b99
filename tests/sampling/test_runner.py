"""``sample_to_store`` / ``score_store`` / ``load_scored``: resume, sharding, scores, truncation, torn lines."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from mathft.data.problem import Problem
from mathft.data.store import CandidateStore
from mathft.data.templates import EVALUATOR_TEMPLATE
from mathft.records import RecordError
from mathft.sampling import SamplingConfig
from mathft.sampling.runner import load_scored, owner_rank, sample_to_store, score_store
from mathft.sampling.score_shards import read_scores, score_shard
from mathft.sampling.scoring import PromptFitter

CONFIG = SamplingConfig(num_samples=4, max_new_tokens=10, seed=3, batch_size=16, eos_token_ids=())


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one torch thread (see tests/conftest.py)."""


@pytest.fixture
def problems() -> list[Problem]:
    """Six problems; the last repeats the first id in PRM800K style (one set of samples per id)."""
    items = [Problem(f"p{i}", f"What is ${i}+{i}$?", f"$\\boxed{{{2 * i}}}$", str(2 * i)) for i in range(5)]
    return [*items, replace(items[0], style="prm800k", solution="2\n\n# Answer\n\n0")]


def _sample(model_and_tokenizer, problems, directory, config=CONFIG, **kwargs):
    model, tokenizer = model_and_tokenizer
    store = CandidateStore(directory, rank=kwargs.get("rank", 0))
    kwargs.setdefault("progress", False)
    return sample_to_store(model, tokenizer, problems, store, config, **kwargs)


def _texts(directory) -> dict[tuple[str, int, bool], str]:
    records = list(CandidateStore(directory).records())
    texts = {(r.problem_id, r.sample_idx, r.greedy): r.text for r in records}
    assert len(texts) == len(records)
    return texts


def test_records_carry_grading_and_settings(model_and_tokenizer, problems, tmp_path):
    stats = _sample(model_and_tokenizer, problems, tmp_path, include_greedy=True, meta={"model": "tiny"}, chunk_size=2)
    assert (stats.problems, stats.samples_written, stats.samples_skipped) == (5, 5 * 5, 0)
    record = next(r for r in CandidateStore(tmp_path).records() if r.problem_id == "p1" and not r.greedy)
    assert (record.gold, record.problem, record.correct) == ("2", "What is $1+1$?", False)
    assert record.meta["model"] == "tiny" and record.meta["seed"] == 3 and record.meta["temperature"] == 0.6
    assert record.meta["num_tokens"] == 10 and record.meta["finish_reason"] == "length"
    greedy = [r for r in CandidateStore(tmp_path).records() if r.greedy]
    assert len(greedy) == 5 and all(r.sample_idx == 0 and r.meta["temperature"] == 0.0 for r in greedy)


def test_resume_after_torn_chunk_equals_uninterrupted_run(model_and_tokenizer, problems, tmp_path):
    """Keep the first 6 lines of a full run plus half of the 7th (a kill mid-write), and drop sample 1 of
    p4 only: the rerun writes exactly the missing pairs, each equal to the uninterrupted run's."""
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    _sample(model_and_tokenizer, problems, full, include_greedy=True)
    lines = CandidateStore(full).path.read_text().splitlines(keepends=True)
    keep = lines[:6] + [line for line in lines[6:] if not ('"p4"' in line and '"sample_idx": 1,' in line)]
    resumed.mkdir()
    (resumed / "shard-00000.jsonl").write_text("".join(lines[:6]) + lines[6][:40])
    stats = _sample(model_and_tokenizer, problems, resumed, include_greedy=True)
    assert (stats.samples_skipped, stats.samples_written) == (6, len(lines) - 6)
    assert _texts(resumed) == _texts(full)
    (resumed / "shard-00000.jsonl").write_text("".join(keep))
    stats = _sample(model_and_tokenizer, problems, resumed, include_greedy=True)
    assert stats.samples_written == 1 and _texts(resumed) == _texts(full)


def test_sharded_ranks_equal_one_process(model_and_tokenizer, problems, tmp_path):
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    _sample(model_and_tokenizer, problems, single)
    owned = [_sample(model_and_tokenizer, problems[::-1], sharded, rank=r, world_size=3).problems for r in range(3)]
    assert sum(owned) == 5
    assert _texts(sharded) == _texts(single)
    for shard in CandidateStore(sharded).shards():
        rank = int(shard.stem.split("-")[1])
        assert {json.loads(line)["problem_id"] for line in shard.read_text().splitlines()} == {
            p.id for p in problems if owner_rank(p.id, 3) == rank
        }


def test_more_samples_extend_a_store_and_changed_settings_are_refused(model_and_tokenizer, problems, tmp_path):
    few, many = tmp_path / "few", tmp_path / "many"
    _sample(model_and_tokenizer, problems, few)
    stats = _sample(model_and_tokenizer, problems, few, config=replace(CONFIG, num_samples=7))
    assert (stats.samples_skipped, stats.samples_written) == (20, 15)
    _sample(model_and_tokenizer, problems, many, config=replace(CONFIG, num_samples=7))
    assert _texts(few) == _texts(many)
    with pytest.raises(ValueError, match="sampled with seed=3, this run uses 4"):
        _sample(model_and_tokenizer, problems, few, config=replace(CONFIG, seed=4))


def _reference_score(model, tokenizer, fitter: PromptFitter, problem: str, solution: str) -> float:
    """S = p(correct) / (p(correct) + p(incorrect)) from the full softmax at the prompt's last position."""
    ids, _ = fitter.fit(problem, solution)
    probs = torch.softmax(model(torch.tensor([ids])).logits[0, -1].double(), -1)
    correct, incorrect = probs[fitter.tokens.correct[0]], probs[fitter.tokens.incorrect[0]]
    return float(correct / (correct + incorrect))


def test_score_resume_matches_full_logits(model_and_tokenizer, problems, tmp_path):
    """Rank 0 of 2 first (a partial run), then one process: every candidate scored once; two scores checked
    against the full-vocabulary softmax."""
    model, tokenizer = model_and_tokenizer
    _sample(model_and_tokenizer, problems, tmp_path, include_greedy=True)
    first = score_store(model, tokenizer, tmp_path, batch_size=3, rank=0, world_size=2, progress=False)
    rest = score_store(model, tokenizer, tmp_path, batch_size=3, progress=False)
    assert first.scored + rest.scored == 25 and rest.skipped == first.scored > 0
    lines = [json.loads(line) for line in score_shard(tmp_path, "score", 0).read_text().splitlines()]
    assert len(lines) == 25 == len({(d["problem_id"], d["sample_idx"], d["greedy"]) for d in lines})
    records = load_scored(tmp_path)
    fitter = PromptFitter(tokenizer, EVALUATOR_TEMPLATE, 1024)
    with torch.no_grad():
        for record in records[:2] + records[-1:]:
            expected = _reference_score(model, tokenizer, fitter, record.problem, record.text)
            assert record.score == pytest.approx(expected, abs=1e-5)


def test_torn_score_line_is_dropped_then_rescored(model_and_tokenizer, problems, tmp_path, caplog):
    model, tokenizer = model_and_tokenizer
    _sample(model_and_tokenizer, problems[:2], tmp_path)
    score_store(model, tokenizer, tmp_path, progress=False)
    shard = score_shard(tmp_path, "score", 0)
    lines = shard.read_text().splitlines(keepends=True)
    shard.write_text("".join(lines[:-1]) + lines[-1][:25])  # killed while writing the last score
    assert len(read_scores(tmp_path, "score")) == 7 and "torn last line" in caplog.text
    assert sum(r.score is None for r in load_scored(tmp_path)) == 1
    assert score_store(model, tokenizer, tmp_path, progress=False).scored == 1
    assert shard.read_text().count("\n") == 8 and all(r.score is not None for r in load_scored(tmp_path))


def test_two_scorers_and_missing_name(model_and_tokenizer, problems, tmp_path):
    model, tokenizer = model_and_tokenizer
    _sample(model_and_tokenizer, problems[:1], tmp_path)
    score_store(model, tokenizer, tmp_path, name="a", progress=False)
    score_store(model, tokenizer, tmp_path, name="b", template="Q: {problem} A: {solution} This is ", progress=False)
    records = load_scored(tmp_path, name="b")
    assert all(set(r.scores) == {"a", "b"} and r.score == r.scores["b"] for r in records)
    assert all(r.score is None for r in load_scored(tmp_path, name=None))
    with pytest.raises(RecordError, match=r"no evaluator scores named 'c' \(scores found: a, b\)"):
        load_scored(tmp_path, name="c")


def test_long_solutions_are_cut_from_the_left(model_and_tokenizer):
    """The prompt keeps the problem and the solution's end (its answer); a problem that alone exceeds
    max_length cannot be scored."""
    _, tokenizer = model_and_tokenizer
    fitter = PromptFitter(tokenizer, EVALUATOR_TEMPLATE, 60)
    solution = "We add the numbers one by one. " * 20 + "So the answer is $\\boxed{7}$."
    ids, truncated = fitter.fit("What is $3+4$?", solution)
    assert truncated and len(ids) <= 60
    text = tokenizer.decode(ids)
    assert text.startswith("Here is a math problem: What is $3+4$?") and "$\\boxed{7}$. The above" in text
    assert fitter.fit("What is $3+4$?", "$\\boxed{7}$") == (fitter.fit("What is $3+4$?", "$\\boxed{7}$")[0], False)
    assert fitter.fit("What is " + "$3+4$ " * 40, solution) == (None, False)


def test_score_store_counts_cut_and_too_long_candidates(model_and_tokenizer, problems, tmp_path):
    """max_length leaves the short problems 9 solution tokens (< the 10 sampled): each of their 8 samples is
    cut and marked; the long problem's 4 samples cannot fit at all and stay unscored."""
    model, tokenizer = model_and_tokenizer
    long = Problem("long", "What is " + "$1+1$ and " * 30 + "?", "", "2")
    _sample(model_and_tokenizer, [*problems[:2], long], tmp_path)
    fitter = PromptFitter(tokenizer, EVALUATOR_TEMPLATE, 1024)
    head = max(len(fitter.fit(p.problem, "")[0]) for p in problems[:2])
    stats = score_store(model, tokenizer, tmp_path, max_length=head + 9, progress=False)
    assert (stats.candidates, stats.scored, stats.truncated, stats.too_long) == (12, 8, 8, 4)
    lines = [json.loads(line) for line in score_shard(tmp_path, "score", 0).read_text().splitlines()]
    assert len(lines) == 8 and all(line["truncated"] for line in lines)

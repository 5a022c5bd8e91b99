"""Values that make nonsense are refused before any work starts, naming the key and the allowed range."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.selection import summarize
from tests.conftest import CONFIGS
from tests.faults.conftest import run_cli, sample_args, snapshot

pytestmark = pytest.mark.faults

MICRO = str(CONFIGS / "pipeline" / "micro.yaml")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rerank.top_n=0", "key 'rerank.top_n': must be an integer in [1, 4]"),
        ("rerank.ks=[0]", "key 'rerank.ks[0]': must be an integer in [1, 4]"),
        ("rerank.ks=[-1]", "key 'rerank.ks[0]': must be an integer in [1, 4]"),
        ("rerank.top_ns=[-1]", "key 'rerank.top_ns[0]': must be an integer in [1, 4]"),
        ("rerank.top_ns=[2,5]",
         "key 'rerank.top_ns[1]': must be an integer in [1, 4] (at most sampling.num_samples=4), got 5"),
        ("rerank.k=0", "key 'rerank.k': must be an integer in [1, 4]"),
        ("trainer.threads=-1", "key 'trainer.threads': must be an integer >= 1"),
        ("trainer.devices=0", "key 'trainer.devices': must be an integer >= 1"),
        ("trainer.precision=33", "key 'trainer.precision': must be one of"),
        ("sampling.temperature=inf", "key 'sampling.temperature': must be a finite number > 0"),
        ("sampling.temperature=nan", "key 'sampling.temperature': must be a finite number > 0"),
        ("sampling.top_p=0", "key 'sampling.top_p': must be a finite number in (0, 1]"),
        ("sampling.chunk_size=0", "key 'sampling.chunk_size': must be an integer >= 1"),
        ("sampling.max_new_tokens=0", "key 'sampling.max_new_tokens': must be an integer >= 1"),
        ("sampling.test_problems=0", "key 'sampling.test_problems': must be an integer >= 1"),
        ("generator.train.lr=nan", "key 'generator.train.lr': must be a finite number > 0"),
        ("evaluator.train.max_length=0", "key 'evaluator.train.max_length': must be an integer >= 1"),
        ("evaluator.train.val_fraction=1.0", "key 'evaluator.train.val_fraction': must be a finite number in (0, 1)"),
        ("multitask.train.warmup_steps=-1", "key 'multitask.train.warmup_steps': must be an integer >= 0"),
        ("evaluator.max_pairs=0", "key 'evaluator.max_pairs': must be an integer >= 1"),
        ("backbone.scratch.num_heads=3", "key 'backbone.scratch.hidden_size': must be a multiple of"),
        ("backbone.scratch.drill_steps=-1", "key 'backbone.scratch.drill_steps': must be an integer >= 0"),
        ("backbone.scratch.drill_lr=0", "key 'backbone.scratch.drill_lr': must be a finite number > 0"),
        ("data.n_test=0", "key 'data.n_test': must be an integer >= 1"),
    ],
)
def test_pipeline_value_is_named_before_any_stage(override, message, tmp_path, capsys):
    out = tmp_path / "run"
    status, err = run_cli(capsys, "pipeline", "--config", MICRO, "--out", str(out), override)
    assert status == 2 and message in err and "Traceback" not in err
    assert not out.exists()  # not even the output folder: nothing started


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--temperature", "inf"], "argument --temperature: must be a finite number > 0"),
        (["--temperature", "nan"], "argument --temperature: must be a finite number > 0"),
        (["--temperature", "0"], "argument --temperature: must be a finite number > 0"),
        (["--top-p", "1.5"], "argument --top-p: must be a finite number in (0, 1]"),
        (["--chunk-size", "0"], "argument --chunk-size: must be an integer >= 1"),
        (["--num-samples", "0"], "argument --num-samples: must be an integer >= 1"),
        (["--max-new-tokens", "-1"], "argument --max-new-tokens: must be an integer >= 1"),
        (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1"),
        (["--limit", "0"], "argument --limit: must be an integer >= 1"),
        (["--max-prompt-tokens", "0"], "argument --max-prompt-tokens: must be an integer >= 1"),
        (["--prompt-template", "Q: {problem"], "--prompt-template: not a valid template"),
        (["--prompt-template", "Q: {problem!x}"], "--prompt-template: not a valid template"),
        (["--prompt-template", "Q: {question}"], "--prompt-template: template must use placeholders ['problem']"),
    ],
)
def test_sample_option_is_named(option, message, tiny_backbone_dir, problem_file, store, capsys):
    before = snapshot(store)
    status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, store, *option))
    assert status == 2 and message in err and "Traceback" not in err
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1"),
        (["--max-length", "0"], "argument --max-length: must be an integer >= 1"),
        (["--max-length", "5"], "max_length=5 is too small: the evaluator template alone takes"),
        (["--name", ".."], "--name: score name must be a plain directory name"),
        (["--template", "{problem} {solution"], "--template: not a valid template"),
    ],
)
def test_score_option_is_named(option, message, tiny_backbone_dir, store, capsys):
    """``--max-length 5`` used to score nothing and exit 0."""
    before = snapshot(store)
    status, err = run_cli(capsys, "score", "--model", str(tiny_backbone_dir), "--store", str(store), "--name", "new",
                          "--no-progress", *option)
    assert status == 2 and message in err
    assert snapshot(store) == before


@pytest.mark.parametrize(("option", "value"), [("--k", "0"), ("--k", "-1"), ("--top-n", "0"), ("--top-n", "-1")])
def test_rerank_refuses_k_and_top_n_below_one(option, value, store, tmp_path, capsys):
    report = tmp_path / "report.json"
    status, err = run_cli(capsys, "rerank", "--candidates", str(store), option, value, "--json", str(report))
    assert status == 2 and f"argument {option}: must be a positive integer" in err
    assert not report.exists()


def test_selection_refuses_k_or_top_n_below_one():
    """The report's rows come from ``summarize``: it refuses a K or N' that would write a meaningless row
    (Maj1.TopN 0.0 instead of 1.0 at N'=0; RR.MajK 1.0 instead of 0.333 at K=-1)."""
    for k, top_n in ((0, 1), (-1, 1), (1, 0), (1, -1)):
        with pytest.raises(ValueError, match="must be an integer >= 1"):
            summarize([], k=k, top_n=top_n)


def test_nan_gold_is_refused(tmp_path, capsys):
    """json reads NaN; as the string "nan" it graded equal to an answer "nan"."""
    candidates = tmp_path / "c.jsonl"
    candidates.write_text('{"problem_id": "p", "gold": NaN, "answer": "nan"}\n')
    status, err = run_cli(capsys, "rerank", "--candidates", str(candidates))
    assert status == 2 and f"{candidates}:1: field 'gold' must be a string or finite number, got nan" in err


def test_nan_answer_in_a_problem_file_is_refused(tiny_backbone_dir, tmp_path, capsys):
    problems = tmp_path / "p.jsonl"
    problems.write_text('{"problem": "What is 1+1?", "solution": "2", "answer": NaN}\n')
    status, err = run_cli(capsys, "sample", "--model", str(tiny_backbone_dir), "--problems", str(problems), "--out",
                          str(tmp_path / "s"), "--no-progress")
    assert status == 2 and f"{problems}:1: field 'answer' must be a string or finite number" in err
    assert not (tmp_path / "s" / "shard-00000.jsonl").exists()


def test_duplicate_problem_id_is_refused(tiny_backbone_dir, problem_file, tmp_path, capsys):
    """Two different problems under one id: the second used to be dropped without a word."""
    rows = [json.loads(line) for line in problem_file.read_text().splitlines()[:2]]
    rows[1]["unique_id"] = rows[0]["unique_id"]
    problems = tmp_path / "dup.jsonl"
    problems.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "s"
    status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problems, out))
    assert status == 2 and f"problem id {rows[0]['unique_id']!r} names two different problems" in err
    assert not (out / "shard-00000.jsonl").exists()


def test_an_exact_repeat_is_sampled_once(tiny_backbone_dir, problem_file, tmp_path, capsys):
    line = problem_file.read_text().splitlines()[0]
    problems = tmp_path / "twice.jsonl"
    problems.write_text(f"{line}\n{line}\n")
    out = tmp_path / "s"
    assert run_cli(capsys, *sample_args(tiny_backbone_dir, problems, out))[0] == 0
    assert len((out / "shard-00000.jsonl").read_text().splitlines()) == 3  # 2 samples + greedy, once


def test_records_never_hold_non_standard_json(store: Path):
    """``--temperature inf`` used to be written as ``Infinity``; every stored line is strict JSON now."""
    def strict(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    for shard in store.rglob("shard-*.jsonl"):
        for line in shard.read_text().splitlines():
            json.loads(line, parse_constant=strict)


def test_score_that_leaves_candidates_unscored_exits_1(tiny_backbone_dir, store, capsys):
    """A --max-length that fits the template but not the problems: nothing can be scored, and that is not
    success (it exited 0 with no scores before); the message names --max-length."""
    from mathft.data.templates import EVALUATOR_TEMPLATE
    from mathft.sampling.launch import load_tokenizer_of
    from mathft.sampling.scoring import PromptFitter

    fitter = PromptFitter(load_tokenizer_of(tiny_backbone_dir), EVALUATOR_TEMPLATE, 10_000)
    room = len(fitter.fit("", "")[0]) + 8  # the template and the shortest solution tail, no problem
    status, err = run_cli(capsys, "score", "--model", str(tiny_backbone_dir), "--store", str(store), "--name", "short",
                          "--max-length", str(room), "--no-progress")
    assert status == 1
    assert f"9 candidates not scored: their problem and the template alone exceed --max-length {room}" in err
    status, err = run_cli(capsys, "rerank", "--candidates", str(store), "--scores", "short")
    assert status == 2 and "no evaluator scores named 'short' (scores found: score)" in err

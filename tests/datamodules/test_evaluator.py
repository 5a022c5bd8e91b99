"""EvaluatorDataModule: labels, margin pairs inside one batch, templates, splits and problem lookup."""

from __future__ import annotations

import collections

import pytest

from mathft.data.errors import DataError
from mathft.data.sources import read_problems
from mathft.data.store import CandidateStore
from mathft.datamodules import EvaluatorDataModule
from mathft.datamodules.evaluator_examples import connected_groups, sample_pairs
from mathft.records import CandidateRecord

# Problem i % 4 -> (correct, incorrect) candidates: all correct, all incorrect, 2 x 8 = 16 > 10 pairs, 1 x 3.
PATTERN = {0: (3, 0), 1: (0, 3), 2: (2, 8), 3: (1, 3)}


def _write_store(directory, problems, *, with_problem: bool = True) -> dict[str, tuple[int, int]]:
    expected, records = {}, []
    for i, p in enumerate(problems):
        good, bad = PATTERN[i % 4]
        texts = [(p.solution, None)] * good + [(f"Work. $\\boxed{{{990 + j}}}$", None) for j in range(bad)]
        for k, (text, answer) in enumerate(texts):
            records.append(CandidateRecord(problem_id=p.id, gold=p.answer, text=text, answer=answer, sample_idx=k,
                                           problem=p.problem if with_problem else None))
        if i % 4 == 3:  # a stored verdict wins over grading; a record without text cannot be a row
            records.append(CandidateRecord(problem_id=p.id, gold=p.answer, text="odd", sample_idx=90, correct=True,
                                           problem=records[-1].problem))
            records.append(CandidateRecord(problem_id=p.id, gold=p.answer, answer="1", sample_idx=91))
            good += 1
        expected[p.id] = (good, bad)
    CandidateStore(directory, rank=0).append(records[: len(records) // 2])
    CandidateStore(directory, rank=1).append(records[len(records) // 2 :])
    return expected


@pytest.fixture()
def store(synth_dir, tmp_path):
    problems = read_problems(synth_dir / "train.math.jsonl")[:40]
    return tmp_path / "samples", _write_store(tmp_path / "samples", problems)


def _dm(path, tokenizer, **kwargs) -> EvaluatorDataModule:
    dm = EvaluatorDataModule([str(path)], **kwargs)
    dm.connect(tokenizer=tokenizer)
    dm.setup("fit")
    return dm


def _batches(dm):
    return list(dm.train_dataloader()) + list(dm.val_dataloader())


def test_every_candidate_is_one_labelled_row(store, synth_tokenizer):
    path, expected = store
    dm = _dm(path, synth_tokenizer, val_fraction=0.25, batch_size=8)
    assert dm.stats["train_no_text"] + dm.stats["val_no_text"] == 10 and dm.val_groups and dm.train_groups
    counts = collections.defaultdict(lambda: [0, 0])
    for batch in _batches(dm):
        for pid, label in zip(batch["problem_id"], batch["labels"].tolist()):
            counts[pid][0 if label == 1.0 else 1] += 1
    assert {pid: tuple(c) for pid, c in counts.items()} == expected


def test_pairs_share_a_batch_and_follow_the_cap(store, synth_tokenizer):
    path, expected = store
    pairs_per_problem = collections.Counter()
    for batch in _batches(_dm(path, synth_tokenizer, val_fraction=0.25, batch_size=8)):
        assert batch["pair_index"].shape[1] == 2 and batch["labels"].dtype.is_floating_point
        for pos, neg in batch["pair_index"].tolist():
            assert batch["labels"][pos] == 1.0 and batch["labels"][neg] == 0.0
            assert batch["problem_id"][pos] == batch["problem_id"][neg]
            pairs_per_problem[batch["problem_id"][pos]] += 1
    for pid, (good, bad) in expected.items():
        assert pairs_per_problem[pid] == min(10, good * bad)


def test_rows_are_the_evaluator_prompt_ending_before_the_verdict(store, synth_tokenizer):
    path, _ = store
    dm = _dm(path, synth_tokenizer, val_fraction=0.0)
    batch = next(iter(dm.train_dataloader()))
    assert dm.verdict.correct_word == " correct" and len(dm.verdict.correct_ids) == 1
    n = int(batch["attention_mask"][0].sum())
    text = synth_tokenizer.decode(batch["input_ids"][0, :n].tolist())
    assert text.startswith("Here is a math problem: ") and text.endswith("The above candidate solution is")
    assert " Here is a candidate solution: " in text


def test_pairs_are_deterministic_and_configurable(store, synth_tokenizer):
    path, _ = store
    first = [g.pairs for g in _dm(path, synth_tokenizer).train_groups]
    assert first == [g.pairs for g in _dm(path, synth_tokenizer).train_groups]
    capped = _dm(path, synth_tokenizer, max_pairs=3, val_fraction=0.0)
    assert max(sum(len(g.pairs) for g in capped.train_groups if g.rows[0].problem_id == pid)
               for pid in {g.rows[0].problem_id for g in capped.train_groups}) == 3


def test_problem_text_lookup(synth_dir, tmp_path, synth_tokenizer):
    problems = read_problems(synth_dir / "train.math.jsonl")[:8]
    _write_store(tmp_path / "bare", problems, with_problem=False)
    with pytest.raises(DataError, match="has no 'problem' field"):
        _dm(tmp_path / "bare", synth_tokenizer)
    dm = _dm(tmp_path / "bare", synth_tokenizer, problem_files=[str(synth_dir / "train.math.jsonl")], val_fraction=0.0)
    assert sum(len(g.rows) for g in dm.train_groups) == 2 * (3 + 3 + 10 + 5)  # rows per 4 problems, twice
    with pytest.raises(DataError, match="test split"):
        EvaluatorDataModule([str(tmp_path / "test")])


def test_sample_pairs_and_groups_by_hand():
    """2 positives x 2 negatives = 4 pairs; a cap of 2 draws 2 of them. Pairs (0,2), (1,2) join rows 0-2."""
    import random

    assert sample_pairs([0, 1], [2, 3], 10, random.Random(0)) == [(0, 2), (0, 3), (1, 2), (1, 3)]
    assert len(set(sample_pairs([0, 1], [2, 3], 2, random.Random(0)))) == 2
    assert sample_pairs([0, 1], [], 10, random.Random(0)) == []
    assert connected_groups(4, [(0, 2), (1, 2)]) == [[0, 1, 2], [3]]


def test_answers_are_extracted_for_the_batch(store, synth_tokenizer):
    path, _ = store
    answers = [a for b in _dm(path, synth_tokenizer, val_fraction=0.0).train_dataloader() for a in b["answer"]]
    assert sum(a is None for a in answers) <= 10  # only the 10 "odd" texts have no final answer
    assert sum(a is not None and a.startswith("99") for a in answers) == 10 * (3 + 8 + 3)

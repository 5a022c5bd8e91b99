"""Evaluator training examples from graded candidates: cross-entropy rows and margin pairs (paper Sec. 3.2).

Every candidate is one row labelled correct (1.0) or incorrect (0.0). Per problem, up to ``max_pairs``
(correct, incorrect) pairs are drawn with a seed fixed by the problem, so they do not depend on file
order. Rows joined by pairs form one *group* that always travels in one batch, so ``pair_index`` can
point at rows of the same batch; candidates in no pair are groups of one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mathft.records import CandidateRecord

__all__ = [
    "EvalRow", "EvalGroup", "candidate_answer", "is_correct", "sample_pairs", "connected_groups", "build_groups"
]


@dataclass(frozen=True)
class EvalRow:
    """One tokenized evaluator prompt with its label and provenance."""

    input_ids: tuple[int, ...]
    label: float
    problem_id: str
    sample_idx: int
    answer: str | None
    gold: str

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class EvalGroup:
    """Rows that must share a batch, with their pairs as local ``(positive_row, negative_row)`` indices."""

    rows: tuple[EvalRow, ...]
    pairs: tuple[tuple[int, int], ...]


def candidate_answer(record: CandidateRecord) -> str | None:
    """The record's ``answer``, else the final answer extracted from its ``text``."""
    if record.answer is not None:
        return record.answer
    from mathft.grading import extract_answer

    return extract_answer(record.text or "")


def is_correct(record: CandidateRecord, cache: dict[tuple[str, str | None], bool] | None = None) -> bool:
    """The record's stored ``correct`` verdict, else its answer graded against the gold with ``is_equivalent``."""
    if record.correct is not None:
        return record.correct
    from mathft.grading import is_equivalent

    answer = candidate_answer(record)
    if answer is None:
        return False
    key = (record.gold, answer)
    if cache is None or key not in cache:
        verdict = bool(is_equivalent(record.gold, answer))
        if cache is None:
            return verdict
        cache[key] = verdict
    return cache[key]


def sample_pairs(
    positives: Sequence[int], negatives: Sequence[int], max_pairs: int, rng: random.Random
) -> list[tuple[int, int]]:
    """Up to ``max_pairs`` distinct ``(positive, negative)`` pairs drawn uniformly without replacement."""
    everything = [(p, n) for p in positives for n in negatives]
    if len(everything) <= max_pairs:
        return everything
    return sorted(rng.sample(everything, max_pairs))


def connected_groups(n_rows: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the rows under the pair relation, each sorted, in order of first row."""
    parent = list(range(n_rows))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for i in range(n_rows):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def build_groups(
    rows: Sequence[EvalRow], max_pairs: int, seed: int, problem_id: str, make_pairs: Callable = sample_pairs
) -> list[EvalGroup]:
    """Pair one problem's rows and split them into batch-indivisible groups.

    Problems whose candidates are all correct or all incorrect give groups of one row and no pairs.
    """
    positives = [i for i, r in enumerate(rows) if r.label == 1.0]
    negatives = [i for i, r in enumerate(rows) if r.label == 0.0]
    pairs = make_pairs(positives, negatives, max_pairs, random.Random(f"{seed}/{problem_id}"))
    out = []
    for members in connected_groups(len(rows), pairs):
        local = {row: j for j, row in enumerate(members)}
        group_pairs = tuple((local[p], local[n]) for p, n in pairs if p in local)
        out.append(EvalGroup(tuple(rows[i] for i in members), group_pairs))
    return out

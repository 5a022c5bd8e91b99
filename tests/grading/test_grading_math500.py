"""The grader on real gold answers it was not written from: PRM800K's MATH500 split in ``../shared/data``.

Every gold must be read (parsed into a tree, or recognised as a text answer), equal itself, and equal
its own reference solution passed whole as the prediction (the answer is extracted first). Skipped where
the shared data is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.grading import Grader

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "prm800k_math_splits_test.jsonl"
pytestmark = pytest.mark.skipif(not SHARED.is_file(), reason=f"real data not here: {SHARED}")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines()]


def test_every_gold_is_read_and_equals_itself(rows: list[dict]) -> None:
    with Grader(timeout_s=20.0) as grader:
        unread = [r["answer"] for r in rows if (item := grader._parse(r["answer"])) is None
                  or (item.tree is None and item.clock is None and not item.normalized.replace(" ", "").isalpha())]
        unequal = [r["answer"] for r in rows if not grader.is_equivalent(r["answer"], r["answer"])]
        assert grader.stats.parse_failures == 0
    assert unread == [] and unequal == []


def test_every_reference_solution_equals_its_gold(rows: list[dict]) -> None:
    with Grader(timeout_s=20.0) as grader:
        wrong = [r["unique_id"] for r in rows if not grader.is_equivalent(r["answer"], r["solution"])]
    assert wrong == []


def test_golds_of_different_problems_merge_only_when_they_are_the_same_answer(rows: list[dict]) -> None:
    """Clustering the 493 distinct golds merges exactly these groups, each checked by hand: a unit or a
    degree sign, a thousands separator, list order, spacing, a prefix, and the base rule (``40_9`` is the
    digit string 40, equal to bare digits ``40``). A grader saying "equal" too easily would merge more."""
    golds = sorted({r["answer"] for r in rows})
    with Grader(timeout_s=20.0) as grader:
        clusters = grader.cluster_answers(golds)
    merged = {frozenset(golds[i] for i in cluster) for cluster in clusters if len(cluster) > 1}
    assert merged == {
        frozenset({"36", "36^\\circ", "\\$36"}), frozenset({"-2,1", "1,-2"}), frozenset({"10,\\!080", "10080"}),
        frozenset({"120", "120^\\circ"}), frozenset({"15", "15\\mbox{ cm}^2"}),
        frozenset({"2 \\sqrt{5}", "2\\sqrt{5}"}), frozenset({"30", "30^\\circ"}), frozenset({"40", "40_9"}),
        frozenset({"5", "x=5"}), frozenset({"90", "90^\\circ"}),
        frozenset({"\\frac14", "\\frac{1}{4}"}),
    }

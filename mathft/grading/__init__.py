"""mathft.grading: safe, fast mathematical-equivalence grading of final answers.

The policy (what counts as the same answer) is in ``docs/grading.md``. Answers are never passed to
``eval``, ``exec``, ``sympify`` or ``parse_expr``: mathft parses them with its own bounded parser,
decides most pairs with exact arithmetic in-process, and sends only genuinely symbolic pairs to a
worker process that is killed at its deadline.

Example:
    >>> from mathft.grading import extract_answer, is_equivalent
    >>> is_equivalent("\\\\frac{3}{4}", extract_answer("so the answer is $\\\\boxed{0.75}$."))
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from mathft.grading.extract import extract_answer
from mathft.grading.grader import POLICIES, Grader, GraderStats, default_grader, policy_name
from mathft.grading.normalize import normalize_answer

__all__ = [
    "POLICIES",
    "policy_name",
    "Grader",
    "GraderStats",
    "cluster_answers",
    "default_grader",
    "extract_answer",
    "is_equivalent",
    "normalize_answer",
]


def is_equivalent(gold: str, pred: str | None) -> bool:
    """Whether ``pred`` is mathematically the same answer as ``gold`` (with the default grader)."""
    return default_grader().is_equivalent(gold, pred)


def cluster_answers(answers: Sequence[str | None]) -> list[list[int]]:
    """Indices of ``answers`` grouped into equivalence classes, largest first (default grader)."""
    return default_grader().cluster_answers(answers)

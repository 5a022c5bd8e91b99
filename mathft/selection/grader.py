"""The grader interface the selection layer needs, and an exact-string grader for baselines.

Selection only ever asks two questions of a grader: "is this answer the gold one?" and "which answers
are the same?". :class:`AnswerGrader` names exactly those, so that tests and benchmarks can pass a cheap
grader and production code passes :class:`mathft.grading.Grader` (which satisfies the protocol).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["AnswerGrader", "ExactMatchGrader", "default_grader", "grader_stats"]


@runtime_checkable
class AnswerGrader(Protocol):
    """What the selection layer needs from an equivalence grader."""

    def is_equivalent(self, gold: str, pred: str) -> bool:
        """Whether ``pred`` is mathematically the same answer as ``gold``."""
        ...

    def cluster_answers(self, answers: Sequence[str | None]) -> list[list[int]]:
        """Clusters of equivalent answers: largest first, ties to the cluster whose first member comes
        first, member indices ascending; ``None`` and unparsable answers join no cluster."""
        ...


class ExactMatchGrader:
    """Equivalence by exact string equality after stripping whitespace.

    The baseline of majority voting in most toolkits; used by tests (on answers where it agrees with the
    real grader) and by the benchmark as the cost floor of clustering.
    """

    def __init__(self) -> None:
        self.stats: dict[str, int] = {"comparisons": 0, "timeouts": 0, "parse_failures": 0, "cache_hits": 0}

    def is_equivalent(self, gold: str, pred: str) -> bool:
        """Exact equality of the stripped strings; an empty prediction equals nothing."""
        self.stats["comparisons"] += 1
        pred = pred.strip()
        return bool(pred) and gold.strip() == pred

    def cluster_answers(self, answers: Sequence[str | None]) -> list[list[int]]:
        """Group equal stripped strings; order by size, then by first member."""
        groups: dict[str, list[int]] = {}
        for index, answer in enumerate(answers):
            key = None if answer is None else answer.strip()
            if key:
                groups.setdefault(key, []).append(index)
        # dicts keep first-appearance order, and sorted() is stable: equal sizes keep that order.
        return sorted(groups.values(), key=len, reverse=True)

    def close(self) -> None:
        """Nothing to release; present for symmetry with :class:`mathft.grading.Grader`."""


def default_grader() -> AnswerGrader:
    """The package's shared equivalence grader (:func:`mathft.grading.default_grader`).

    Imported lazily: only callers that grade should pay for importing the grader.
    """
    from mathft.grading import default_grader as shared_grader  # noqa: PLC0415 - deliberate lazy import

    return shared_grader()


def grader_stats(grader: Any) -> dict[str, int]:
    """The grader's counters as a plain dict (``stats`` may be a dict or an object with attributes).

    Missing counters read as 0 so that graders without statistics (e.g. test doubles) still report.
    """
    stats = getattr(grader, "stats", None)
    names = ("comparisons", "timeouts", "parse_failures", "cache_hits")
    if stats is None:
        return dict.fromkeys(names, 0)
    if isinstance(stats, dict):
        return {name: int(stats.get(name, 0)) for name in names}
    return {name: int(getattr(stats, name, 0)) for name in names}

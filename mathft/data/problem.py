"""The record type of one problem with one reference solution, shared by every reader."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mathft.data.errors import DataError

__all__ = ["Problem", "Style", "STYLES", "first_per_id"]

log = logging.getLogger(__name__)

Style = Literal["math", "prm800k"]
# "math": terse MATH solution ending in \boxed{...}; "prm800k": one step per line ending "# Answer\n\n<answer>".
STYLES: tuple[str, ...] = ("math", "prm800k")


@dataclass(frozen=True)
class Problem:
    """One problem and one reference solution.

    Several ``Problem`` objects may share an ``id`` (the same problem with a MATH-style and a PRM800K-style
    solution, or several accepted PRM800K solutions); splits are made by ``id`` so they stay together.

    Attributes:
        id: Stable identifier (e.g. PRM800K's ``unique_id`` ``"test/algebra/1.json"``).
        problem: The problem statement.
        solution: The reference solution text in ``style``.
        answer: The gold final answer (``None`` if the solution has none).
        level: Difficulty 1-5, ``None`` when unknown (MATH has a few ``"Level ?"``).
        subject: Subject such as ``"Algebra"``, if known.
        style: Solution style, ``"math"`` or ``"prm800k"``.
        source: Where the record came from (``"math"``, ``"prm800k"``, ``"synthetic"``, ``"hf:<name>"``).
    """

    id: str
    problem: str
    solution: str
    answer: str | None
    level: int | None = None
    subject: str | None = None
    style: Style = "math"
    source: str = "math"

    def to_json(self) -> dict[str, Any]:
        """The JSONL row for this problem, in the PRM800K ``math_splits`` field names plus ``style``/``source``."""
        row = asdict(self)
        row["unique_id"] = row.pop("id")
        return row


def first_per_id(problems: Iterable[Problem]) -> list[Problem]:
    """The first problem of each id, in order: one set of samples per problem.

    The same id in another solution style is the same problem written twice (MATH and PRM800K) and is
    dropped quietly; in the same style with the same statement and answer it is a repeated row, dropped
    with a warning. In the same style with another statement or answer it is a different problem under a
    taken id, which would be lost without a word: an error.

    Raises:
        DataError: Naming the id and what differs.
    """
    seen: dict[str, Problem] = {}
    repeated = 0
    for problem in problems:
        first = seen.setdefault(problem.id, problem)
        if first is problem or first.style != problem.style:
            continue
        for name in ("problem", "answer"):
            if getattr(first, name) != getattr(problem, name):
                raise DataError(
                    f"problem id {problem.id!r} names two different problems ({name} {getattr(first, name)!r:.60} "
                    f"and {getattr(problem, name)!r:.60}); problem ids must be unique"
                )
        repeated += 1
    if repeated:
        log.warning("%d problems repeat an earlier one (same id, statement and answer): sampled once", repeated)
    return list(seen.values())

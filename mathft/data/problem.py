"""The record type of one problem with one reference solution, shared by every reader."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Problem", "Style", "STYLES"]

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

"""Turn one problem row (MATH, PRM800K ``math_splits``, synthetic or Hugging Face) into a :class:`Problem`.

The formats differ only in field names: MATH has ``type`` and ``level: "Level 3"``; PRM800K's
``math_splits`` and our synthetic files have ``subject``, ``level: 3``, ``answer`` and ``unique_id``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from mathft.data.errors import DataError, NoGoldError
from mathft.data.jsonl import get_field
from mathft.data.problem import STYLES, Problem

__all__ = ["problem_from_row", "problem_or_skip", "parse_level", "detect_style", "NoGoldHandler"]

# Called with the message of a problem whose gold cannot be found (naming file and line), instead of raising.
NoGoldHandler = Callable[[str], None]

_LEVEL = re.compile(r"^\s*(?:level\s*)?(\d+|\?)\s*$", re.IGNORECASE)
_ANSWER_MARKER = re.compile(r"(^|\n)# Answer\s*\n")


def parse_level(value: int | str | None, where: str) -> int | None:
    """``3``, ``"3"`` or ``"Level 3"`` -> ``3``; ``"Level ?"`` (a few MATH problems) or ``None`` -> ``None``."""
    if value is None or isinstance(value, int):
        return value
    match = _LEVEL.match(value)
    if match is None:
        raise DataError(f"{where}: field 'level' must look like 3 or 'Level 3', got {value!r}")
    return None if match.group(1) == "?" else int(match.group(1))


def detect_style(solution: str) -> str:
    """``"prm800k"`` for solutions ending in a ``# Answer`` block, else ``"math"``."""
    return "prm800k" if _ANSWER_MARKER.search(solution) else "math"


def problem_from_row(
    row: Mapping[str, Any], where: str, *, default_id: str, source: str, style: str | None = None
) -> Problem:
    """Validate one row and build a :class:`Problem`; the answer is extracted when the row has none.

    Args:
        row: The decoded JSON object.
        where: ``file:line`` for error messages.
        default_id: Identifier when the row has neither ``unique_id`` nor ``id``.
        source: Value of :attr:`Problem.source`.
        style: Forced style; otherwise the row's ``style`` field, else detected from the solution.

    Raises:
        DataError: Naming ``where`` and the field when a field is missing or mistyped.
        NoGoldError: When the row has no ``answer`` and its solution no final answer.
    """
    problem = get_field(row, "problem", (str,), where)
    solution = get_field(row, "solution", (str,), where)
    answer = get_field(row, "answer", (str, int, float), where, required=False)
    if isinstance(answer, float) and not math.isfinite(answer):
        # json reads NaN and Infinity; str() would make a gold "nan" that a sample's "nan" equals.
        raise DataError(f"{where}: field 'answer' must be a string or finite number, got {answer!r}")
    style = style or get_field(row, "style", (str,), where, required=False) or detect_style(solution)
    if answer is None:
        answer = _extract(solution, style, where)
    level = parse_level(get_field(row, "level", (int, str), where, required=False), where)
    subject = get_field(row, "subject", (str,), where, required=False)
    subject = subject or get_field(row, "type", (str,), where, required=False)
    pid = get_field(row, "unique_id", (str, int), where, required=False)
    pid = pid if pid is not None else get_field(row, "id", (str, int), where, required=False)
    if style not in STYLES:
        raise DataError(f"{where}: field 'style' must be one of {STYLES}, got {style!r}")
    return Problem(
        id=str(default_id if pid is None else pid),
        problem=problem,
        solution=solution,
        answer=str(answer),
        level=level,
        subject=subject,
        style=style,  # type: ignore[arg-type]
        source=get_field(row, "source", (str,), where, required=False) or source,
    )


def problem_or_skip(
    row: Mapping[str, Any], where: str, on_no_gold: NoGoldHandler | None, **kwargs: Any
) -> Problem | None:
    """:func:`problem_from_row`, except that a row without a gold answer is handed to ``on_no_gold`` (and
    ``None`` returned) when a handler is given: ``mathft data check`` counts them where a reader stops."""
    try:
        return problem_from_row(row, where, **kwargs)
    except NoGoldError as err:
        if on_no_gold is None:
            raise
        on_no_gold(str(err))
        return None


def _extract(solution: str, style: str, where: str) -> str:
    from mathft.grading import extract_answer
    from mathft.grading.extract import last_boxed

    # MATH's convention is the last \boxed{} (an earlier box is an intermediate form); PRM800K's is "# Answer".
    answer = (last_boxed(solution) if style == "math" else None) or extract_answer(solution)
    if answer is None:
        raise NoGoldError(f"{where}: field 'solution' has no \\boxed{{}} or '# Answer' final answer")
    return answer

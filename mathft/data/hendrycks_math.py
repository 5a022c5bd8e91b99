"""Reader for MATH (Hendrycks et al. 2021) as distributed: ``<root>/<split>/<subject>/<n>.json``, or JSONL.

Each problem file holds ``problem``, ``level`` (``"Level 3"``), ``type`` (the subject) and ``solution``;
the gold answer is the solution's last ``\\boxed{}``. Ids follow PRM800K's ``unique_id``
(``"train/algebra/1.json"``) so the two datasets name a problem the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.jsonl import iter_jsonl
from mathft.data.problem import Problem
from mathft.data.rows import problem_from_row

__all__ = ["read_math", "read_math_tree", "read_math_jsonl"]


def read_math(path: str | Path, split: str = "train") -> list[Problem]:
    """Read MATH from a directory tree (the root or one split directory) or from a JSONL file.

    Args:
        path: ``MATH/`` (then ``split`` picks ``MATH/<split>/``), ``MATH/train/``, or a ``.jsonl`` file.
        split: Split directory to read when ``path`` is the dataset root.

    Raises:
        DataError: On a malformed file or line, naming it and the field; or when no problem is found.
    """
    path = Path(path)
    if path.is_dir():
        return read_math_tree(path / split if (path / split).is_dir() else path)
    return read_math_jsonl(path)


def read_math_tree(split_dir: str | Path) -> list[Problem]:
    """Read every ``<subject>/<n>.json`` under one split directory, in sorted (deterministic) order."""
    split_dir = Path(split_dir)
    files = sorted(split_dir.glob("*/*.json"), key=lambda p: (p.parent.name, _numeric_stem(p)))
    if not files:
        raise DataError(f"{split_dir}: no MATH problem files (<subject>/<n>.json) found")
    return [_read_problem_file(f, f"{split_dir.name}/{f.parent.name}/{f.name}") for f in files]


def read_math_jsonl(path: str | Path) -> list[Problem]:
    """Read MATH rows (``problem``, ``solution``, ``level``, ``type``/``subject``) from a JSONL file."""
    path = Path(path)
    return [
        problem_from_row(row, f"{path}:{n}", default_id=f"{path.stem}/{n}", source="math", style="math")
        for n, row in iter_jsonl(path)
    ]


def _read_problem_file(path: Path, problem_id: str) -> Problem:
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: invalid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(row, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(row).__name__}")
    return problem_from_row(row, str(path), default_id=problem_id, source="math", style="math")


def _numeric_stem(path: Path) -> tuple[int, str]:
    # "10.json" sorts after "9.json", so ids come out in the dataset's own order.
    return (int(path.stem), "") if path.stem.isdigit() else (-1, path.stem)

"""Reader for MATH (Hendrycks et al. 2021) as distributed: ``<root>/<split>/<subject>/<n>.json``, or JSONL.

Each problem file holds ``problem``, ``level`` (``"Level 3"``), ``type`` (the subject) and ``solution``;
the gold answer is the solution's last ``\\boxed{}``. Ids follow PRM800K's ``unique_id``
(``"train/algebra/1.json"``) so the two datasets name a problem the same way.
"""

from __future__ import annotations

from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.jsonl import iter_jsonl
from mathft.data.problem import Problem
from mathft.data.rows import NoGoldHandler, problem_or_skip
from mathft.jsonl import loads_line

__all__ = ["read_math", "read_math_tree", "read_math_jsonl"]


def read_math(path: str | Path, split: str = "train", on_no_gold: NoGoldHandler | None = None) -> list[Problem]:
    """Read MATH from a directory tree (the root or one split directory) or from a JSONL file.

    Args:
        path: ``MATH/`` (then ``split`` picks ``MATH/<split>/``), ``MATH/train/``, or a ``.jsonl`` file.
        split: Split directory to read when ``path`` is the dataset root.
        on_no_gold: Called with the message of each problem whose solution has no ``\\boxed{}``, which is
            then skipped; without it such a problem is an error.

    Raises:
        DataError: On a malformed file or line, naming it and the field; or when no problem is found.
    """
    path = Path(path)
    if path.is_dir():
        return read_math_tree(path / split if (path / split).is_dir() else path, on_no_gold)
    return read_math_jsonl(path, on_no_gold)


def read_math_tree(split_dir: str | Path, on_no_gold: NoGoldHandler | None = None) -> list[Problem]:
    """Read every ``<subject>/<n>.json`` under one split directory, in sorted (deterministic) order."""
    split_dir = Path(split_dir)
    files = sorted(split_dir.glob("*/*.json"), key=lambda p: (p.parent.name, _numeric_stem(p)))
    if not files:
        raise DataError(f"{split_dir}: no MATH problem files (<subject>/<n>.json) found")
    problems = (_read_problem_file(f, f"{split_dir.name}/{f.parent.name}/{f.name}", on_no_gold) for f in files)
    return [p for p in problems if p is not None]


def read_math_jsonl(path: str | Path, on_no_gold: NoGoldHandler | None = None) -> list[Problem]:
    """Read MATH rows (``problem``, ``solution``, ``level``, ``type``/``subject``) from a JSONL file."""
    path = Path(path)
    problems = (problem_or_skip(row, f"{path}:{n}", on_no_gold, default_id=f"{path.stem}/{n}", source="math",
                                style="math") for n, row in iter_jsonl(path))
    return [p for p in problems if p is not None]


def _read_problem_file(path: Path, problem_id: str, on_no_gold: NoGoldHandler | None) -> Problem | None:
    row = loads_line(path.read_bytes(), str(path), DataError)
    if not isinstance(row, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(row).__name__}")
    return problem_or_skip(row, str(path), on_no_gold, default_id=problem_id, source="math", style="math")


def _numeric_stem(path: Path) -> tuple[int, str]:
    # "10.json" sorts after "9.json", so ids come out in the dataset's own order.
    return (int(path.stem), "") if path.stem.isdigit() else (-1, path.stem)

"""One entry point that reads any supported problem source, chosen by what the path *is*, not by a name.

- ``hf:<name>`` or ``hf:<name>:<config>``: a Hugging Face dataset (needs ``mathft[hf]``);
- a directory: MATH as distributed (the root, then ``<split>/`` is read, or one split directory);
- a ``.jsonl`` file whose first row has ``question`` and ``label``: a PRM800K phase file;
- any other JSONL file: problem rows (MATH JSONL, PRM800K ``math_splits``, synthetic).
"""

from __future__ import annotations

from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.jsonl import iter_jsonl
from mathft.data.problem import Problem
from mathft.data.rows import NoGoldHandler, problem_or_skip

__all__ = ["read_problems", "is_phase_file"]


def read_problems(spec: str | Path, split: str = "train", on_no_gold: NoGoldHandler | None = None) -> list[Problem]:
    """Read problems from a path or ``hf:`` dataset name.

    Args:
        spec: See the module docstring.
        split: Split for a MATH root directory or a Hugging Face dataset.
        on_no_gold: Called with the message of each problem row whose gold answer cannot be found (no
            ``answer`` field, no final answer in the solution), which is then skipped; without it such a
            row is an error. A phase file's unfinished trajectories are always skipped (and counted by
            :func:`~mathft.data.prm800k.read_prm800k_phase`).

    Raises:
        DataError: When the source does not exist or is malformed (naming file, line and field).
    """
    text = str(spec)
    if text.startswith("hf:"):
        from mathft.data.hf import read_hf

        name, _, config = text[3:].partition(":")
        return read_hf(name, split=split, config=config or None)
    path = Path(spec)
    if path.is_dir():
        from mathft.data.hendrycks_math import read_math

        return read_math(path, split=split, on_no_gold=on_no_gold)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory (a Hugging Face dataset is written hf:<name>)")
    if not path.is_file():  # a FIFO or device would block the reader, or never end
        raise DataError(f"{path}: not a regular file, directory or hf:<name> dataset")
    if is_phase_file(path):
        from mathft.data.prm800k import read_prm800k_phase

        return read_prm800k_phase(path)
    return _read_rows(path, on_no_gold)


def is_phase_file(path: str | Path) -> bool:
    """Whether a JSONL file is a PRM800K phase file (its first row has ``question`` and ``label``)."""
    for _, row in iter_jsonl(path):
        return "question" in row and "label" in row
    return False


def _read_rows(path: Path, on_no_gold: NoGoldHandler | None) -> list[Problem]:
    source = "prm800k" if path.parent.name == "math_splits" else "math"
    problems = (problem_or_skip(row, f"{path}:{n}", on_no_gold, default_id=f"{path.stem}/{n}", source=source)
                for n, row in iter_jsonl(path))
    return [p for p in problems if p is not None]

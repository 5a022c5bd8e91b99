"""Reading data sources for ``mathft data check``: every split of every path, with what a reader would skip.

A reader stops at the first problem whose gold answer cannot be found; the check reads on and lists them
all, with a phase file's dropped trajectories counted by reason, so one run shows everything to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.problem import Problem

__all__ = ["SourceSplit", "read_for_check", "split_of"]

_WORD = re.compile(r"[._\-\s]+")
_SPLITS = ("train", "test")


@dataclass
class SourceSplit:
    """One split of one source as the check read it.

    Attributes:
        source: The path as given.
        kind: ``MATH tree``, ``PRM800K phase file`` or ``JSONL rows``.
        split: ``train``, ``test``, or the file's name when it names neither.
        problems: Every problem read (one per solution: a phase file has several per problem).
        no_gold: ``file:line: why`` of each problem whose gold answer cannot be found (skipped).
        dropped: Counts of solutions left out and why (a phase file's unfinished or wrong trajectories).
    """

    source: str
    kind: str
    split: str
    problems: list[Problem]
    no_gold: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)


def split_of(path: str | Path) -> str:
    """The split a file or folder name says it holds: ``test.jsonl`` and ``phase2_test`` are ``test``.

    Returns ``train`` or ``test`` when the name has that word, else the name without its suffix.
    """
    name = Path(path).name
    words = {w.lower() for w in _WORD.split(name)}
    return next((s for s in _SPLITS if s in words), Path(path).stem)


def read_for_check(spec: str | Path) -> list[SourceSplit]:
    """Read every split of ``spec`` (a MATH tree reads ``train/`` and ``test/`` where present).

    Raises:
        DataError: When ``spec`` does not exist, is an ``hf:`` dataset, or holds a malformed file or line
            (naming file, line and field). A missing gold is not an error here: see ``no_gold``.
    """
    if str(spec).startswith("hf:"):
        raise DataError(f"{spec}: mathft data check reads files and folders; save the dataset as JSONL first")
    path = Path(spec)
    if path.is_dir():
        return _read_tree(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file or directory")
    from mathft.data.sources import is_phase_file

    if is_phase_file(path):
        return [_read_phase(path)]
    from mathft.data.sources import read_problems

    no_gold: list[str] = []
    problems = read_problems(path, on_no_gold=no_gold.append)
    return [SourceSplit(str(spec), "JSONL rows", split_of(path), problems, no_gold)]


def _read_tree(root: Path) -> list[SourceSplit]:
    from mathft.data.hendrycks_math import read_math_tree

    split_dirs = [root / s for s in _SPLITS if (root / s).is_dir()] or [root]
    out = []
    for split_dir in split_dirs:
        no_gold: list[str] = []
        problems = read_math_tree(split_dir, on_no_gold=no_gold.append)
        out.append(SourceSplit(str(split_dir), "MATH tree", split_of(split_dir), problems, no_gold))
    return out


def _read_phase(path: Path) -> SourceSplit:
    from mathft.data.prm800k import PhaseStats, read_prm800k_phase

    stats = PhaseStats()
    problems = read_prm800k_phase(path, stats=stats)
    dropped = {reason: n for reason, n in stats.dropped().items() if n}
    return SourceSplit(str(path), "PRM800K phase file", split_of(path), problems, dropped=dropped)

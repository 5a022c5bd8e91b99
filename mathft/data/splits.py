"""Deterministic train/validation splits and the guard that keeps test data out of training.

The split is a seeded hash of the whitespace-normalised problem *text*, not of the id or the file order:
the same problem read from MATH, PRM800K ``math_splits`` or a phase file (different ids, different
order) always lands on the same side, so validation never shares a problem with training.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.problem import Problem

__all__ = ["problem_key", "validation_score", "train_val_split", "refuse_test_path"]

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[._\-\s]+")


def problem_key(text: str) -> str:
    """The identity of a problem for splitting and de-contamination: its text, whitespace-normalised."""
    return _SPACE.sub(" ", text).strip()


def validation_score(text: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by ``seed`` and the problem text."""
    digest = hashlib.sha256(f"{seed}\x00{problem_key(text)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def train_val_split(
    problems: Sequence[Problem], fraction: float, seed: int = 0
) -> tuple[list[Problem], list[Problem]]:
    """Split problems so that a ``fraction`` of distinct problem texts goes to validation.

    Raises:
        ValueError: If ``fraction`` is not in [0, 1).
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"validation fraction must be in [0, 1), got {fraction}")
    train, val = [], []
    for problem in problems:
        (val if validation_score(problem.problem, seed) < fraction else train).append(problem)
    return train, val


def refuse_test_path(spec: str | Path, role: str) -> None:
    """Raise if a training input is named like a test split (``test.jsonl``, ``MATH/test``, ``phase2_test``).

    Only the last path component is checked, so a temporary directory such as ``/tmp/test_x/`` above
    the file does not trip it.

    Raises:
        DataError: Naming the path and the configuration key it came from.
    """
    name = str(spec).rstrip("/").rsplit("/", 1)[-1]
    if "test" in {w.lower() for w in _WORD.split(name)}:
        raise DataError(
            f"{role}: {spec!r} looks like a test split; the test split is never used for training or "
            "checkpoint selection (validation is carved from the training files)"
        )

"""Fixtures of the grading tests: one shared grader (its worker starts once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mathft.grading import Grader


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    """A grader with a generous limit, so that a loaded CI machine does not turn proofs into timeouts."""
    with Grader(timeout_s=20.0) as shared:
        yield shared

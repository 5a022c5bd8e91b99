"""Hand-built problems for the metric tests (plain answers on which exact and real grading agree)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mathft.grading import Grader
from mathft.records import ProblemGroup

from tests.metrics.metric_problems import build_problem  # tests/metrics is on sys.path (rootdir import mode)


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    """mathft's equivalence grader, shared by the metric tests."""
    with Grader() as grader:
        yield grader


@pytest.fixture()
def problems() -> list[ProblemGroup]:
    """Two problems worked out by hand (the same as in tests/selection):

    A: gold 3/4, answers 1, 3/4, 1, 3/4, 2, None, 1, 3/4 with scores .9 .6 .2 .5 .95 .99 .1 .3.
       Clusters "1" {0,2,6} (wins the 3-3 tie), "3/4" {1,3,7} (right), "2" {4}. No greedy.
       pass@1 3/8, pass@N 1, maj1@N 0, maj2@N 1, rr_all 0 (the .99 sample has no answer), rr_maj2 0,
       w_rr 1 ("3/4" sums 1.4 > 1.2), w_rr_maj2 1, maj1 0, maj1_top5 1; costs rr_maj2 = w_rr_maj2 = 6/8.
    B: gold 2, answers 2, 2, 5 with scores .6 .5 .9, greedy 2. Clusters "2" (right), "5".
       Everything right except rr_all and rr_maj2 (both take the .9 sample "5"); costs 1 for MajK at K=2.
    """
    return [
        build_problem("A", "3/4", ["1", "3/4", "1", "3/4", "2", None, "1", "3/4"],
                      [0.9, 0.6, 0.2, 0.5, 0.95, 0.99, 0.1, 0.3], None),
        build_problem("B", "2", ["2", "2", "5"], [0.6, 0.5, 0.9], "2"),
    ]

"""Hand-built problems shared by the selection tests.

Answers are plain strings ("1", "2", "3/4") on which exact-string grading and mathft's grader agree,
so the expected values below hold for either grader; the tests use the real one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from mathft.records import CandidateRecord, ProblemGroup
from mathft.grading import Grader
from mathft.selection import AnswerGrader, ProblemAnalysis, analyze_problem


def _make_problem(
    gold: str,
    answers: Sequence[str | None],
    scores: Sequence[float] | None = None,
    *,
    problem_id: str = "p",
    greedy: str | None | bool = False,
) -> ProblemGroup:
    """A problem whose samples have the given answers (and scores), sample_idx 0..N-1; ``greedy`` adds a
    greedy candidate with that answer (pass ``None`` for a greedy candidate without an answer)."""
    candidates = [
        CandidateRecord(problem_id, gold, answer=a, sample_idx=i, score=None if scores is None else scores[i])
        for i, a in enumerate(answers)
    ]
    if greedy is not False:
        candidates.append(CandidateRecord(problem_id, gold, answer=greedy, greedy=True))  # type: ignore[arg-type]
    return ProblemGroup(problem_id, gold, candidates)


# Problem A: gold 3/4, eight scored samples.
A_ANSWERS = ["1", "3/4", "1", "3/4", "2", None, "1", "3/4"]
A_SCORES = [0.9, 0.6, 0.2, 0.5, 0.95, 0.99, 0.1, 0.3]


MakeProblem = Callable[..., ProblemGroup]


@pytest.fixture()
def make_problem() -> MakeProblem:
    """The problem builder (see ``_make_problem``)."""
    return _make_problem


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    """mathft's equivalence grader, shared by the selection tests."""
    with Grader() as grader:
        yield grader


@pytest.fixture()
def problem_a(grader: AnswerGrader) -> ProblemAnalysis:
    """Problem A, worked out once for all tests::

        idx    0    1     2    3     4     5     6    7
        answer 1    3/4   1    3/4   2     None  1    3/4
        score  .9   .6    .2   .5    .95   .99   .1   .3

    Clusters: "1" = {0,2,6} and "3/4" = {1,3,7} tie at 3; "1" comes first (first member 0 < 1), so
    cluster 0 = "1" (wrong), cluster 1 = "3/4" (correct), cluster 2 = "2" = {4} (wrong); sample 5 has no
    answer. N = 8, c = 3. Score order: 5, 4, 0, 1, 3, 7, 2, 6.
    """
    return analyze_problem(_make_problem("3/4", A_ANSWERS, A_SCORES), grader)

"""The six re-ranking strategies and majority voting, with every tie rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mathft.selection import STRATEGIES, AnswerGrader, ProblemAnalysis, analyze_problem, maj_at_n
from mathft.records import CandidateRecord, ProblemGroup

MakeProblem = Callable[..., ProblemGroup]


def _run(analysis: ProblemAnalysis, name: str, k: int = 1, top_n: int = 1) -> tuple[bool, float]:
    verdict = STRATEGIES[name](analysis, k=k, top_n=top_n)
    return verdict.correct, verdict.cost


def test_majority_votes(problem_a: ProblemAnalysis) -> None:
    """Maj1@N picks "1" (wins the 3-3 tie): wrong. Maj2@N also holds "3/4": right."""
    assert maj_at_n(problem_a, 1) == 0.0
    assert maj_at_n(problem_a, 2) == 1.0
    assert _run(problem_a, "maj1") == (False, 0.0)


def test_rr_all(problem_a: ProblemAnalysis) -> None:
    """The best score .99 belongs to sample 5, which has no answer: wrong; all 8 scored: cost 1."""
    assert _run(problem_a, "rr_all") == (False, 1.0)


@pytest.mark.parametrize(("k", "cost"), [(1, 3 / 8), (2, 6 / 8), (3, 7 / 8)])
def test_rr_majk(problem_a: ProblemAnalysis, k: int, cost: float) -> None:
    """K=1: {0,2,6}, best is 0 (.9, "1"); K=2 adds {1,3,7}, 0 still best; K=3 adds 4 (.95, "2").
    Always wrong; the evaluator scores the 3, 6, 7 samples of those clusters."""
    assert _run(problem_a, "rr_majK", k=k) == (False, pytest.approx(cost))


def test_w_rr(problem_a: ProblemAnalysis) -> None:
    """Sums: "1" = .9+.2+.1 = 1.2, "3/4" = .6+.5+.3 = 1.4, "2" = .95: "3/4" wins: right."""
    assert _run(problem_a, "w_rr") == (True, 1.0)


@pytest.mark.parametrize(("k", "expected"), [(1, (False, 3 / 8)), (2, (True, 6 / 8))])
def test_w_rr_majk(problem_a: ProblemAnalysis, k: int, expected: tuple[bool, float]) -> None:
    """K=1 only "1" can win (wrong); K=2 "3/4" (1.4) beats "1" (1.2)."""
    correct, cost = _run(problem_a, "w_rr_majK", k=k)
    assert (correct, cost) == (expected[0], pytest.approx(expected[1]))


@pytest.mark.parametrize(
    ("top_n", "correct"), [(1, False), (2, False), (3, False), (4, False), (5, True), (6, True), (7, True), (8, False)]
)
def test_maj1_top_n(problem_a: ProblemAnalysis, top_n: int, correct: bool) -> None:
    """Score order 5(None), 4("2"), 0("1"), 1, 3, 7 ("3/4"), 2, 6 ("1").
    N'=1: only the answerless sample: wrong. N'=2..4: "2", "1", "3/4" have one vote each; the tie goes to
    "2", which holds the best-scored member: wrong. N'=5..7: "3/4" has 2-3 votes against at most 2: right.
    N'=8: "1" and "3/4" tie at 3 and "1" holds the better member (rank 2 < 3): wrong."""
    assert _run(problem_a, "maj1_topN", top_n=top_n) == (correct, 1.0)


def test_score_tie_goes_to_smaller_sample_index(grader: AnswerGrader) -> None:
    """Samples 3 ("1") and 7 ("2") score .8 each, listed 7 first in the file; gold "2".
    rr_all takes sample 3 (the smaller index): wrong. Swapping the answers makes it right."""
    for answers, expected in [(("2", "1"), False), (("1", "2"), True)]:
        records = [
            CandidateRecord("t", "2", answer=answers[0], sample_idx=7, score=0.8),
            CandidateRecord("t", "2", answer=answers[1], sample_idx=3, score=0.8),
        ]
        group = ProblemGroup("t", "2", sorted(records, key=lambda c: c.sample_idx))
        assert STRATEGIES["rr_all"](analyze_problem(group, grader), k=1, top_n=1).correct is expected


def test_w_rr_sum_tie_goes_to_earlier_cluster(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """ "1" = {0, 2} sums .25 + .25 = .5, "2" = {1} sums .5: equal; "1" is the earlier (larger) cluster:
    wrong for gold "2"."""
    a = analyze_problem(make_problem("2", ["1", "2", "1"], [0.25, 0.5, 0.25]), grader)
    assert _run(a, "w_rr") == (False, 1.0)


def test_no_answers_at_all(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """No sample has an answer: no cluster, every strategy is wrong; only the MajK variants cost 0
    (nothing in the top clusters to score)."""
    a = analyze_problem(make_problem("2", [None, None], [0.1, 0.2]), grader)
    costs = {name: STRATEGIES[name](a, k=2, top_n=2) for name in STRATEGIES}
    assert not any(v.correct for v in costs.values())
    assert {name: v.cost for name, v in costs.items()} == {
        "rr_all": 1.0, "rr_majK": 0.0, "w_rr": 1.0, "w_rr_majK": 0.0, "maj1": 0.0, "maj1_topN": 1.0
    }

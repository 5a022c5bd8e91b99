"""pass@1, pass@N and the unbiased pass@k estimator."""

from __future__ import annotations

from collections.abc import Callable

import math

import pytest

from mathft.records import ProblemGroup

from mathft.selection import AnswerGrader, ProblemAnalysis, analyze_problem, pass_at_1, pass_at_k, pass_at_n
from mathft.selection.passk import pass_at_k_curve

MakeProblem = Callable[..., ProblemGroup]


def test_pass_at_k_hand_values() -> None:
    """n=8, c=3: pass@1 = 3/8; pass@2 = 1 - C(5,2)/C(8,2) = 1 - 10/28 = 9/14; pass@6 = 1 since
    n - c = 5 < 6; c = 0 gives 0."""
    assert pass_at_k(8, 3, 1) == pytest.approx(3 / 8)
    assert pass_at_k(8, 3, 2) == pytest.approx(9 / 14)
    assert pass_at_k(8, 3, 6) == 1.0
    assert pass_at_k(8, 0, 4) == 0.0


def test_pass_at_k_matches_binomials_and_is_stable() -> None:
    """Equal to the binomial formula where that is computable, finite for n = 2000 where C(n, k)
    overflows a float."""
    for n, c, k in [(10, 3, 4), (64, 5, 16), (100, 1, 50)]:
        assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))
    value = pass_at_k(2000, 10, 1000)
    assert 0.99 < value <= 1.0


def test_pass_at_k_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n=4, c=5"):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError, match="k=0"):
        pass_at_k(4, 1, 0)


def test_pass_at_1_and_n(problem_a: ProblemAnalysis) -> None:
    """Problem A has no greedy candidate: pass@1 = c/N = 3/8; some sample is correct: pass@N = 1."""
    assert pass_at_1(problem_a) == pytest.approx(3 / 8)
    assert pass_at_n(problem_a) == 1.0


def test_pass_at_1_uses_greedy(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """All samples correct but the greedy answer wrong: pass@1 = 0 (the greedy candidate decides)."""
    a = analyze_problem(make_problem("2", ["2", "2"], greedy="5"), grader)
    assert pass_at_1(a) == 0.0
    assert pass_at_n(a) == 1.0


def test_curve_saturates_past_n(problem_a: ProblemAnalysis) -> None:
    """k = 1, 2 then 1.0 from k = 6 on, and past N = 8 the curve stays at pass@N."""
    curve = pass_at_k_curve(problem_a, 10)
    assert curve[:2] == pytest.approx([3 / 8, 9 / 14])
    assert curve[5:] == [1.0] * 5

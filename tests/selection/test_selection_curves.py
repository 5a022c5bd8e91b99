"""Summaries and curves over K, N' and n."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mathft.records import ProblemGroup

from mathft.selection import (
    AnswerGrader,
    ProblemAnalysis,
    analyze_problem,
    cluster_sizes,
    curves_by_k,
    curves_by_samples,
    curves_by_top_n,
    metric_names,
    summarize,
)

MakeProblem = Callable[..., ProblemGroup]


@pytest.fixture()
def problem_b(make_problem: MakeProblem, grader: AnswerGrader) -> ProblemAnalysis:
    """Problem B: gold "2", samples "2" (.6), "2" (.5), "5" (.9), greedy "2"; clusters "2" (right),
    "5" (wrong). rr_all, rr_majK for K >= 2 and maj1_topN at N' = 1 take the .9 sample "5": wrong.
    w_rr: "2" sums 1.1 > .9: right. Everything else is right."""
    return analyze_problem(make_problem("2", ["2", "2", "5"], [0.6, 0.5, 0.9], greedy="2"), grader)

def test_summary_means(problem_a: ProblemAnalysis, problem_b: ProblemAnalysis) -> None:
    """K=2, N'=5. A: pass@1 3/8, pass@N 1, maj1@N 0, maj2@N 1, rr_all 0, rr_maj2 0, w_rr 1, w_rr_maj2 1,
    maj1 0, maj1_top5 1. B: all 1 except rr_all and rr_maj2 (0). Means: pass@1 = (3/8 + 1)/2 = 11/16.
    Costs: rr_majK = (6/8 + 3/3)/2 = 7/8."""
    s = summarize([problem_a, problem_b], k=2, top_n=5)
    assert s.num_problems == 2
    assert s.metrics == pytest.approx(
        {"pass@1": 11 / 16, "pass@N": 1, "maj1@N": 0.5, "majK@N": 1, "rr_all": 0, "rr_majK": 0,
         "w_rr": 1, "w_rr_majK": 1, "maj1": 0.5, "maj1_topN": 1}
    )
    assert s.evaluator_cost == pytest.approx(
        {"rr_all": 1, "rr_majK": 7 / 8, "w_rr": 1, "w_rr_majK": 7 / 8, "maj1": 0, "maj1_topN": 1}
    )


def test_unscored_summary_keeps_score_free_metrics(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """Without scores only pass@1, pass@N, maj1@N, majK@N and maj1 are computed."""
    a = analyze_problem(make_problem("1", ["1", "2"]), grader)
    assert list(summarize([a], k=2, top_n=2).metrics) == metric_names(scored=False)
    assert metric_names(scored=False) == ["pass@1", "pass@N", "maj1@N", "majK@N", "maj1"]


def test_curve_by_k(problem_a: ProblemAnalysis) -> None:
    """Problem A has 3 clusters, so K = 1..3; see test_strategies for each value."""
    curve = curves_by_k([problem_a], top_n=5)
    assert curve.x == [1, 2, 3]
    assert curve.accuracy["majK@N"] == [0, 1, 1]
    assert curve.accuracy["w_rr_majK"] == [0, 1, 1]
    assert curve.accuracy["rr_majK"] == [0, 0, 0]
    assert curve.accuracy["w_rr"] == [1, 1, 1]  # flat: does not depend on K
    assert curve.cost["rr_majK"] == pytest.approx([3 / 8, 6 / 8, 7 / 8])
    assert curve.cost["maj1"] == [0, 0, 0]


def test_curve_by_top_n(problem_a: ProblemAnalysis) -> None:
    """N' = 1..8: wrong until the "3/4" votes outnumber, right for N' = 5..7, the tie at 8 is lost."""
    curve = curves_by_top_n([problem_a], k=1)
    assert curve.x == list(range(1, 9))
    assert curve.accuracy["maj1_topN"] == [0, 0, 0, 0, 1, 1, 1, 0]


def test_curve_by_samples(problem_a: ProblemAnalysis, problem_b: ProblemAnalysis) -> None:
    """n = N reproduces the full summary; pass@N at n is the exact pass@n ((3/8 + 2/3)/2 at n = 1);
    the same seed gives the same curve, random subsets differ from the first n samples."""
    analyses = [problem_a, problem_b]
    curve = curves_by_samples(analyses, k=2, top_n=5, repeats=16, seed=3)
    full = summarize(analyses, k=2, top_n=5)
    assert curve.x == list(range(1, 9))
    assert {name: values[-1] for name, values in curve.accuracy.items()} == pytest.approx(full.metrics)
    assert curve.accuracy["pass@N"][0] == pytest.approx((3 / 8 + 2 / 3) / 2)
    again = curves_by_samples(analyses, k=2, top_n=5, repeats=16, seed=3)
    assert again.accuracy == curve.accuracy
    # The first 2 samples of A are "1" and "3/4" (a tie Maj1 loses); random pairs sometimes agree on "3/4".
    first_two = summarize([problem_a.subset([0, 1])], k=1, top_n=2).metrics["maj1@N"]
    random_two = curves_by_samples([problem_a], k=1, top_n=2, sizes=[2], repeats=64, seed=0).accuracy["maj1@N"][0]
    assert first_two == 0.0 < random_two


def test_cluster_sizes(problem_a: ProblemAnalysis, problem_b: ProblemAnalysis) -> None:
    """A: correct cluster 3/8, top cluster 3/8 (wrong). B: correct 2/3, top 2/3 (right)."""
    sizes = cluster_sizes([problem_a, problem_b])
    assert sizes.correct_share == pytest.approx([3 / 8, 2 / 3])
    assert sizes.top_share == pytest.approx([3 / 8, 2 / 3])
    assert sizes.top_correct == [False, True]

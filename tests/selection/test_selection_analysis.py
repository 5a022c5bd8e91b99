"""The per-problem analysis: clusters, verdicts, subsets, and grading each cluster only once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from mathft.records import CandidateRecord, ProblemGroup, RecordError
from mathft.selection import AnswerGrader, ExactMatchGrader, ProblemAnalysis, analyze_problem, from_clusters

MakeProblem = Callable[..., ProblemGroup]


def test_clusters_and_verdicts(problem_a: ProblemAnalysis) -> None:
    """See ``problem_a``: the 3-3 tie goes to "1" (its first member comes first)."""
    assert problem_a.clusters == ((0, 2, 6), (1, 3, 7), (4,))
    assert problem_a.cluster_correct == (False, True, False)
    assert problem_a.labels == (0, 1, 0, 1, 2, -1, 0, 1)
    assert problem_a.correct == (False, True, False, True, False, False, False, True)
    assert problem_a.num_correct == 3
    assert problem_a.score_order() == [5, 4, 0, 1, 3, 7, 2, 6]


class _CountingGrader:
    """Counts the gold comparisons made through a real grader."""

    def __init__(self, inner: AnswerGrader) -> None:
        self.inner, self.gold_calls = inner, []

    def is_equivalent(self, gold: str, pred: str) -> bool:
        self.gold_calls.append(pred)
        return self.inner.is_equivalent(gold, pred)

    def cluster_answers(self, answers: Sequence[str | None]) -> list[list[int]]:
        return self.inner.cluster_answers(answers)


def test_grades_one_representative_per_cluster(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """Answers 1, 2, 4/2, 1, 2.0, 3, None + greedy 2: clusters {2, 4/2, 2.0}, {1, 1}, {3}. The gold is
    compared with one representative per cluster (its first member) and the greedy answer: 4 calls."""
    counting = _CountingGrader(grader)
    a = analyze_problem(make_problem("2", ["1", "2", "4/2", "1", "2.0", "3", None], greedy="2"), counting)
    assert a.clusters == ((1, 2, 4), (0, 3), (5,))
    assert a.correct == (False, True, True, False, True, False, False)
    assert sorted(counting.gold_calls) == ["1", "2", "2", "3"]


def test_exact_match_grader_is_a_string_baseline() -> None:
    """The baseline grader clusters equal strings only: 4/2 and 2 stay apart; empty answers join nothing."""
    grader = ExactMatchGrader()
    assert grader.cluster_answers(["2", "4/2", " 2", "", None, "4/2"]) == [[0, 2], [1, 5]]
    assert grader.is_equivalent("2", "2 ") and not grader.is_equivalent("2", "4/2")
    assert grader.stats["comparisons"] == 2


def test_greedy_verdict(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """A greedy candidate without an answer is wrong; no greedy candidate gives None."""
    assert analyze_problem(make_problem("2", ["2"], greedy=None), grader).greedy_correct is False
    assert analyze_problem(make_problem("2", ["1"], greedy="2"), grader).greedy_correct is True
    assert analyze_problem(make_problem("2", ["1"]), grader).greedy_correct is None


def test_partial_scores_are_refused(grader: AnswerGrader) -> None:
    """Scoring only some samples would make strategies depend on how gaps rank: an error naming the
    problem."""
    scored = CandidateRecord("p", "2", answer="1", score=0.5)
    problem = ProblemGroup("p", "2", [scored, CandidateRecord("p", "2", answer="2", sample_idx=1)])
    with pytest.raises(RecordError, match="1 of 2 samples have a score"):
        analyze_problem(problem, grader)


def test_subset_reranks_clusters(problem_a: ProblemAnalysis) -> None:
    """Positions {1, 2, 4, 6}: "1" = {2, 6} is largest; "3/4" = {1} and "2" = {4} tie at 1 and "3/4"
    comes first (position 1 < 4). Verdicts follow the clusters, scores follow the samples."""
    sub = problem_a.subset([6, 1, 4, 2])
    assert sub.clusters == ((1, 3), (0,), (2,))
    assert sub.cluster_correct == (False, True, False)
    assert sub.sample_idx == (1, 2, 4, 6)
    assert sub.scores == (0.6, 0.2, 0.95, 0.1)


def test_from_clusters_ranks_by_size() -> None:
    """Labels 7, 3, 3, -1: cluster 3 (size 2) first, then 7; verdicts are looked up by original id."""
    a = from_clusters("q", [7, 3, 3, -1], {3: True, 7: False})  # type: ignore[arg-type]
    assert a.clusters == ((1, 2), (0,))
    assert a.cluster_correct == (True, False)
    assert a.labels == (1, 0, 0, -1)


def test_unscored_problem_refuses_score_order(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """Asking for scores of an unscored problem names the problem."""
    a = analyze_problem(make_problem("1", ["1"], problem_id="x"), grader)
    with pytest.raises(ValueError, match="'x' has no evaluator scores"):
        a.score_order()

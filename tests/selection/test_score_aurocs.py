"""The test-sample AUROCs the report quotes beside the validation AUROC: pooled over problems, every sample
or only those with an answer, undefined (``None``) rather than 0 when one class is missing."""

from __future__ import annotations

import pytest

from mathft.pipeline.evaluation import score_aurocs
from mathft.selection import AnswerGrader, analyze_problem
from tests.selection.conftest import A_ANSWERS, A_SCORES, MakeProblem


def test_problem_a_by_hand(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """Problem A (gold 3/4): right samples score 0.6, 0.5, 0.3; the wrong ones 0.9, 0.2, 0.95, 0.99 (no
    answer) and 0.1. Every sample: 6 of 15 (right, wrong) pairs ordered right; answered only: 6 of 12."""
    analysis = analyze_problem(make_problem("3/4", A_ANSWERS, A_SCORES), grader)
    assert score_aurocs([analysis]) == {"test_auroc": pytest.approx(6 / 15), "test_auroc_answered": pytest.approx(0.5)}


def test_samples_without_an_answer_move_only_the_pooled_auroc(make_problem: MakeProblem,
                                                              grader: AnswerGrader) -> None:
    """An evaluator that only spots unfinished samples: above chance on every sample (right 0.5, 0.5 against
    wrong 0.5, 0.5, 0.1, 0.1: 4 wins and 4 ties of 8 pairs), chance on the answered ones."""
    answers = ["1", "2", None, None, "1", "2"]
    scores = [0.5, 0.5, 0.1, 0.1, 0.5, 0.5]
    analysis = analyze_problem(make_problem("1", answers, scores), grader)
    result = score_aurocs([analysis])
    assert result["test_auroc"] == pytest.approx(0.75)
    assert result["test_auroc_answered"] == pytest.approx(0.5)


def test_pooled_over_problems(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    """Pairs across problems count too: a right sample of one problem against a wrong one of another."""
    first = analyze_problem(make_problem("1", ["1", "2"], [0.9, 0.8], problem_id="a"), grader)
    second = analyze_problem(make_problem("1", ["1", "2"], [0.7, 0.95], problem_id="b"), grader)
    # right 0.9, 0.7; wrong 0.8, 0.95: (0.9 > 0.8) only, 1 of 4 pairs
    assert score_aurocs([first, second])["test_auroc"] == pytest.approx(0.25)


def test_undefined_without_both_classes_or_scores(make_problem: MakeProblem, grader: AnswerGrader) -> None:
    all_right = analyze_problem(make_problem("1", ["1", "1", None], [0.2, 0.3, 0.1]), grader)
    assert score_aurocs([all_right]) == {"test_auroc": pytest.approx(1.0), "test_auroc_answered": None}
    unscored = analyze_problem(make_problem("1", ["1", "2"]), grader)
    assert score_aurocs([unscored]) == {"test_auroc": None, "test_auroc_answered": None}

"""cluster_answers: equivalence classes, their order, and answers that join none."""

from __future__ import annotations

import time

from mathft.grading import Grader, cluster_answers


def test_groups_equivalent_spellings(grader: Grader) -> None:
    answers = ["\\frac{1}{2}", "0.5", "3", "\\dfrac12", "3.0", "x"]
    assert grader.cluster_answers(answers) == [[0, 1, 3], [2, 4], [5]]


def test_order_by_size_then_first_index(grader: Grader) -> None:
    """Sizes 2, 2, 1: the tie between {1, 3} and {2, 4} goes to the cluster whose first index is 1."""
    answers = ["7", "5", "6", "5", "6"]
    assert grader.cluster_answers(answers) == [[1, 3], [2, 4], [0]]


def test_none_and_noise_join_no_cluster(grader: Grader) -> None:
    answers = [None, "", "  ", "4", None, "$$", "4", "x" * 5000, "?!", "...", "\\{\\}"]
    assert grader.cluster_answers(answers) == [[3, 6], [10]]


def test_benchmark_pool_answers(grader: Grader) -> None:
    """The answers on which benchmarks/bench_grader.py's clustering differs from Math-Verify's, by decision.

    ``}{`` (answer_pools.JUNK) has no letter or digit: noise, in no cluster (Math-Verify's parse keeps it as a
    fallback string, a cluster of its own); ``\\frac{`` is unreadable but has letters, so it matches its
    own spelling; ``10 + 5 i`` is ``5i+10``; ``75`` is ``75\\%`` and ``0.75`` is neither (the percent rows).
    """
    answers = ["}{", "5", "}{", "\\frac{", "\\frac{", "I cannot determine the answer", "", "5.",
               "10 + 5 i", "5i+10", "75", "75\\%", "0.75"]
    assert grader.cluster_answers(answers) == [[1, 7], [3, 4], [8, 9], [10, 11], [5], [12]]


def test_unreadable_answers_still_match_their_own_spelling(grader: Grader) -> None:
    """A ratio like 3:2 is outside the parser, but ten samples answering it still form a cluster."""
    assert grader.cluster_answers(["3:2", "3 : 2", "2:3"]) == [[0, 1], [2]]


def test_empty_input(grader: Grader) -> None:
    assert grader.cluster_answers([]) == []
    assert grader.cluster_answers([None, None]) == []


def test_unordered_lists_and_plus_minus(grader: Grader) -> None:
    assert grader.cluster_answers(["1, 2", "2, 1", "(1, 2)", "(2, 1)"]) == [[0, 1], [2], [3]]
    assert grader.cluster_answers(["\\pm 2", "2, -2", "2"]) == [[0, 1], [2]]


def test_module_level_function_uses_default_grader() -> None:
    assert cluster_answers(["2", "\\sqrt{4}", "3"]) == [[0, 1], [2]]


def test_compares_representatives_not_all_pairs() -> None:
    """64 answers with 4 distinct spellings of 2 values need at most 6 representative comparisons."""
    with Grader() as fresh:
        answers = ["\\frac12", "0.5", "1/2", "7"] * 16
        clusters = fresh.cluster_answers(answers)
        assert [len(c) for c in clusters] == [48, 16]
        assert clusters[0] == sorted(clusters[0])
        assert fresh.stats.comparisons <= 2 * 6


def test_sixty_four_answers_are_fast() -> None:
    answers = [f"\\frac{{{k % 7}}}{{{k % 5 + 1}}}" for k in range(64)]
    with Grader() as fresh:
        start = time.perf_counter()
        fresh.cluster_answers(answers)
        assert time.perf_counter() - start < 0.5

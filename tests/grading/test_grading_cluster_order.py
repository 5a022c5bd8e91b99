"""Clustering does not depend on the order of the answers, even with rounded decimals.

With ``approximate=True`` the rounding rule is not transitive (``0.333`` and ``0.3333`` both answer
``\\frac{1}{3}`` but differ), so the canonical rule of docs/grading.md decides: exact answers cluster
first, then each decimal joins the largest exact cluster it matches, else clusters only with decimals of
equal value. The default policy never rounds, and its clusters are order-independent too.
"""

from __future__ import annotations

import itertools

import pytest

from mathft.grading import Grader

LISTS = [
    ["0.333", "\\frac{1}{3}", "0.3333"],
    ["0.333", "0.3333", "1/3", "0.33"],
    ["3.14", "\\pi", "3.142", "3.1416"],
    ["0.5", "\\frac12", "0.50", "1/2", "0.6"],
    ["1.414", "\\sqrt{2}", "1.41421", "\\frac{\\sqrt{8}}{2}", "1.4142"],
    ["0.333", "0.3333", "0.33"],  # no exact answer: decimals cluster by equal value only
    ["0.667", "\\frac23", "0.6667", "2/3", "0.66667", None, "7"],
]


def _membership(clusters: list[list[int]], permutation: tuple[int, ...]) -> frozenset[frozenset[int]]:
    """Clusters as sets of *original* indices (so permuted runs are comparable)."""
    return frozenset(frozenset(permutation[i] for i in cluster) for cluster in clusters)


@pytest.fixture(scope="module")
def grader() -> Grader:
    """The approximate policy: the one whose rounding rule makes clustering order-sensitive."""
    with Grader(approximate=True, timeout_s=5.0) as grader:
        yield grader


@pytest.fixture(scope="module")
def exact_grader() -> Grader:
    with Grader(timeout_s=5.0) as grader:
        yield grader


@pytest.mark.parametrize("policy", ["approximate", "exact"])
@pytest.mark.parametrize("answers", LISTS, ids=lambda answers: "|".join(map(str, answers)))
def test_membership_is_order_independent(request: pytest.FixtureRequest, policy: str,
                                         answers: list[str | None]) -> None:
    grader = request.getfixturevalue("grader" if policy == "approximate" else "exact_grader")
    seen = set()
    for permutation in itertools.permutations(range(len(answers))):
        clusters = grader.cluster_answers([answers[i] for i in permutation])
        # The API's ordering rules still hold: largest first, ties by first index, indices ascending.
        assert clusters == sorted(clusters, key=lambda c: (-len(c), c[0]))
        assert all(cluster == sorted(cluster) for cluster in clusters)
        seen.add(_membership(clusters, permutation))
    assert len(seen) == 1


def test_decimals_join_the_exact_cluster(grader: Grader) -> None:
    """0.333 and 0.3333 both round 1/3: all three are one cluster, whatever the order."""
    assert grader.cluster_answers(["0.333", "\\frac{1}{3}", "0.3333"]) == [[0, 1, 2]]
    assert grader.cluster_answers(["0.3333", "0.333", "\\frac{1}{3}"]) == [[0, 1, 2]]


def test_decimal_joins_the_largest_matching_cluster(grader: Grader) -> None:
    """3.14 rounds both pi (2 answers) and 3.14 exactly written as 157/50 (1 answer): pi's cluster wins."""
    assert grader.cluster_answers(["\\frac{157}{50}", "3.14", "\\pi", "\\pi"]) == [[1, 2, 3], [0]]


def test_default_policy_keeps_approximations_apart(exact_grader: Grader) -> None:
    """Without approximate=True no rounding applies: 0.333 is not 1/3, while 0.5 still is 1/2 exactly."""
    assert exact_grader.cluster_answers(["0.333", "\\frac{1}{3}", "0.3333", "1/3"]) == [[1, 3], [0], [2]]
    assert exact_grader.cluster_answers(["0.5", "\\frac12", "0.6"]) == [[0, 1], [2]]


def test_decimals_without_exact_answer_cluster_by_value(grader: Grader) -> None:
    assert grader.cluster_answers(["0.333", "0.3333", "0.3330"]) == [[0, 2], [1]]


def test_undefined_answers_join_no_cluster(grader: Grader) -> None:
    assert grader.cluster_answers(["\\frac{1}{0}", "\\frac00", "\\frac{1}{0}", "0"]) == [[3]]

"""Multiple-choice letters: one transitive, case-consistent relation (docs/grading.md)."""

from __future__ import annotations

import itertools

from mathft.grading import Grader

# Spellings of the choice C, and things that are not it.
CHOICE_C = [
    "C", "(C)", "(c)", "\\text{C}", "\\text{c}", "\\text{(C)}", "\\text{(c)}", "\\textbf{(C)}", "(\\text{C})",
    "$(c)$", "\\((C)\\)",
]
OTHERS = ["c", "$c$", "D", "(d)", "\\text{(D)}", "x", "\\text{cc}"]


def test_all_spellings_of_a_choice_are_equal(grader: Grader) -> None:
    for a, b in itertools.product(CHOICE_C, repeat=2):
        assert grader.is_equivalent(a, b), (a, b)


def test_relation_is_transitive_over_all_triples(grader: Grader) -> None:
    """For every triple, a = b and b = c imply a = c (bare lowercase ``c`` is the variable, a class alone)."""
    spellings = CHOICE_C + OTHERS
    equal = {(a, b): grader.is_equivalent(a, b) for a, b in itertools.product(spellings, repeat=2)}
    for a, b, c in itertools.product(spellings, repeat=3):
        if equal[(a, b)] and equal[(b, c)]:
            assert equal[(a, c)], (a, b, c)


def test_bare_lowercase_letter_is_a_variable(grader: Grader) -> None:
    assert not grader.is_equivalent("C", "c")
    assert not grader.is_equivalent("(c)", "c")
    assert grader.is_equivalent("c", "c")
    assert not grader.is_equivalent("C", "D")
    assert grader.is_equivalent("B", "(b)")
    assert grader.is_equivalent("(a)", "A")

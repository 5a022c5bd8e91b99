"""Units, scale words, spaced digits and text phrases after a number (docs/grading.md, "Units and text")."""

from __future__ import annotations

import pytest

from mathft.grading import Grader, normalize_answer

PAIRS = [
    # Only known unit words are dropped; other letters are variables of the answer (3 ab is 3ab).
    ("3ab", "3 ab", True), ("3ba", "3 ab", True), ("3", "3 ab", False), ("\\frac12", "\\frac12 bh", False),
    ("\\frac{1}{2}bh", "\\frac{1}{2} bh", True), ("2\\sqrt2", "2\\sqrt2 ab", False), ("6", "\\boxed{6 xy}", False),
    ("6xy", "6 xy", True), ("-1", "-1 pq", False),
    ("5", "5 cm", True), ("12", "12 square units", True), ("3", "3 ft^2", True), ("5", "5 km/h", True),
    ("20", "20 minutes", True), ("7", "7 dollars", True), ("28\\%", "28 percent", True), ("4", "4 hours", True),
    # A plain word of four or more letters is a noun (dropped) unless it qualifies the number.
    ("5", "5 apples", True), ("12", "12 students", True), ("5", "5 or more", False), ("4", "4 squared", False),
    ("5", "5 more", False), ("6", "6 xyz", False), ("6xyz", "6 xyz", True),
    # Digits split by a space are one number only as groups of three; otherwise the answer is unreadable.
    ("123", "1 2 3", False), ("105", "10 5", False), ("1005", "100 5", False), ("23", "2 \\, 3", False),
    ("1 2 3", "1 2 3", True), ("1000000", "1 000 000", True), ("1000", "1\\,000", True), ("3", "\\log_2 8", True),
    # Scale words multiply, never vanish.
    ("500", "5 hundred", True), ("5", "5 hundred", False), ("500", "5 \\text{ hundred}", True),
    ("3000000", "3 million", True),
    # A trailing text phrase is a unit or a noun unless it qualifies the number.
    ("5", "5 \\text{ apples}", True), ("5", "5 \\text{ is wrong}", False), ("4", "4 \\text{ squared}", False),
    ("12", "12 \\mbox{ or more}", False), ("7", "7\\textbf{ not}", False), ("2", "2\\text{ at least}", False),
    ("5", "5 \\text{ meters per second}", True), ("1, 2", "1 \\text{ and } 2", True),
    # Words in \text{} are text: compared case-insensitively as strings, never as products of letters.
    ("\\text{no}", "\\text{on}", False), ("\\text{it}", "\\text{ti}", False), ("\\text{no}", "\\text{No}", True),
    ("\\text{he}", "\\text{eh}", False), ("\\text{Monday}", "monday", True), ("xy", "yx", True),
    ("x, y", "x \\text{ and } y", True),
    # Unicode spaces, temperature units after a degree sign, the real line.
    ("5", "5\u200b", True), ("5", "\ufeff5", True), ("5", "5\u2003", True), ("5", "5^\\circ\\text{F}", True),
    ("120", "120^\\circ \\text{C}", True), ("120", "120 °C", True), ("(-\\infty, \\infty)", "\\mathbb{R}", True),
    ("(-\\infty, \\infty)", "x \\in \\mathbb{R}", True), ("(0, \\infty)", "\\mathbb{R}", False),
]


@pytest.mark.parametrize(("gold", "pred", "expected"), PAIRS, ids=[f"{g} vs {p}" for g, p, _ in PAIRS])
def test_units_and_text(grader: Grader, gold: str, pred: str, expected: bool) -> None:
    assert grader.is_equivalent(gold, pred) is expected
    assert grader.is_equivalent(pred, gold) is expected  # every pair here is symmetric


def test_normalized_spellings() -> None:
    """The canonical strings: variables stay, units and scale words are resolved."""
    assert normalize_answer("3 ab") == "3ab"
    assert normalize_answer("5 hundred") == "5\\times10^2"
    assert normalize_answer("12 square units") == "12"
    assert normalize_answer("1 2 3") != normalize_answer("123")

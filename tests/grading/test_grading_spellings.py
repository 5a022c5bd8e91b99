"""Answer spellings models actually write: each row of docs/grading.md's hardening rows, both ways.

Every case is ``(gold, pred, expected)``; negatives sit next to the positives they could be confused
with (a rule that accepts everything would fail them).
"""

from __future__ import annotations

import pytest

from mathft.grading import Grader

CASES: dict[str, list[tuple[str, str, bool]]] = {
    "fraction and root spellings": [
        ("\\frac{1}{2}", "\\cfrac{1}{2}", True), ("1", "\\frac3{3}", True), ("\\frac{1}{3}", "\\frac13", True),
        ("\\sqrt{3}", "\\sqrt3", True), ("\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 5", True),
        ("\\frac{1}{3}", "\\frac31", False), ("\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 6", False),
    ],
    "unit wrappers": [
        ("5", "5\\textbf{ meters}", True), ("5", "5 \\textbf{meters}", True), ("5", "5\\textnormal{ miles}", True),
        ("5", "5 \\mbox{ cm}^2", True), ("5", "5\\,\\text{cm}", True), ("24", "24\\text{ units}^2", True),
        ("5", "\\emph{5}", True), ("5", "\\textsf{5}", True), ("5", "6\\textbf{ meters}", False),
        ("5", "5 m²", True), ("5", "5 km", True), ("5", "6 m^2", False), ("5", "5m^2", False),
    ],
    "and inside text": [("1, 2", "1 \\text{ and } 2", True), ("1, 2", "1 \\text{ or } 3", False)],
    "word lists are unordered": [
        ("Amy, Bob", "Bob, Amy", True), ("Amy, Bob", "bob and amy", True), ("Amy, Bob", "Bob, Ann", False),
        ("Amy, Bob", "Amy", False),
    ],
    "number spellings": [
        ("1000", "1\\,000", True), ("1000", "1\\ 000", True), ("1000", "1 000", True), ("1000", "1000.0", True),
        ("1000.99", "\\$1,000.99", True), ("1000.99", "1,000.99€", True), ("0.4", ".4", True),
        ("11111111100", "11,\\! 111,\\! 111,\\! 100", True), ("1000", "1\\,001", False),
        ("32349", "32, 349", False), ("32, 349", "349, 32", True),
    ],
    "multiple-choice letters": [
        ("C", "\\text{C}", True), ("C", "\\text{(C)}", True), ("C", "(C)", True), ("\\text{(C)}", "\\textbf{(C)}", True),
        ("C", "D", False), ("(C)", "\\text{(D)}", False),
    ],
    "matrices in brackets": [
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\left[\\begin{array}{cc}1 & 2 \\\\ 3 & 4\\end{array}\\right]", True),
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\left[\\begin{array}{cc}1 & 2 \\\\ 4 & 3\\end{array}\\right]", False),
    ],
    "vmatrix is a determinant": [
        ("-2", "\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}", True),  # 1*4 - 2*3
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}", False),
        ("2", "\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}", False),
        ("0", "\\begin{vmatrix}1&2&3\\\\4&5&6\\\\7&8&9\\end{vmatrix}", True),
    ],
    "percent words": [
        ("28\\%", "28 percent", True), ("28\\%", "28 pct", True), ("28\\%", "28 %", True), ("28", "28\\%", True),
        ("0.28", "28\\%", False), ("28\\%", "29 percent", False),
    ],
    "trigonometric identities": [
        ("\\sec^2(y)", "\\tan^2(y)+1", True), ("2 \\sin b \\cos a", "2\\cos a \\sin b", True),
        ("\\csc x", "\\frac{1}{\\sin x}", True), ("\\cot x", "\\frac{\\cos x}{\\sin x}", True),
        ("\\arcsin 1", "\\frac{\\pi}{2}", True), ("\\sec^2(y)", "\\tan^2(y)", False),
        ("2 \\sin b \\cos a", "2\\sin a \\cos b", False),
    ],
    "trailing punctuation": [
        ("\\frac13", "\\frac{1}{3},", True), ("\\frac13", "\\frac{1}{3} .", True), ("\\frac13", "\\frac{1}{3};", True),
        ("1, 2, 3", "1, 2, 3, \\ldots", False), ("1, 2, 3", "1, 2, 3, \\dots", False),
    ],
    "long decimals": [
        ("\\frac{1}{12}", "0.0833333333333333", False), ("(1, \\frac{9}{2})", "(1, 4.5)", True),
        ("4.123105625617661", "\\sqrt{17}", True), ("4.123106", "\\sqrt{17}", True),
        ("4.123105625617661", "\\sqrt{18}", False), ("4.12310", "\\sqrt{17}", False), ("3.14", "\\pi", False),
        ("\\frac{1}{12}", "0.0833333333333334", False),
    ],
    "vectors in angle brackets": [
        ("(1,2)", "\\langle 1,2 \\rangle", True), ("\\langle 1, 2\\rangle", "(2,1)", False),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\langle 1,2 \\rangle", False),
    ],
    "degrees are not radians": [("\\frac{\\pi}{2}", "90^\\circ", False), ("90", "90°", True)],
    "sin of degrees (labelled set: degree sign ignored)": [("\\frac{1}{2}", "\\sin 30^\\circ", False)],
}


@pytest.fixture(scope="module")
def grader() -> Grader:
    with Grader(timeout_s=5.0) as grader:
        yield grader


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [case for cases in CASES.values() for case in cases],
    ids=[f"{row}:{gold}|{pred}" for row, cases in CASES.items() for gold, pred, _ in cases],
)
def test_spelling(grader: Grader, gold: str, pred: str, expected: bool) -> None:
    assert grader.is_equivalent(gold, pred) is expected


@pytest.mark.parametrize("answer", ["\\frac{1}{0}", "\\frac00", "1/0", "(1, \\frac{2}{0})", "\\frac{x}{0}"])
def test_division_by_zero_equals_nothing(grader: Grader, answer: str) -> None:
    """Undefined answers equal nothing, not even their own spelling, and join no cluster."""
    assert grader.is_equivalent(answer, answer) is False
    assert grader.is_equivalent("\\infty", answer) is False
    assert grader.cluster_answers([answer, answer, "1"]) == [[2]]


def test_zero_numerator_is_defined(grader: Grader) -> None:
    assert grader.is_equivalent("0", "\\frac{0}{5}") is True

"""One test per row of the policy table in docs/grading.md, each with equal and not-equal cases."""

from __future__ import annotations

import pytest

from mathft.grading import Grader


def _check(grader: Grader, gold: str, pred: str | None, expected: bool) -> None:
    assert grader.is_equivalent(gold, pred) is expected, (gold, pred)


ROWS: dict[str, list[tuple[str, str | None, bool]]] = {
    "unreduced fraction": [("\\frac{2}{4}", "\\frac{1}{2}", True), ("\\frac{2}{4}", "\\frac{2}{3}", False)],
    "fraction spellings": [
        ("\\frac{3}{4}", "3/4", True), ("\\frac{3}{4}", "\\dfrac34", True), ("\\frac{3}{4}", "0.75", True),
        ("\\frac{3}{4}", ".75", True), ("\\frac{3}{4}", "0.7", False), ("\\frac{3}{4}", "\\frac{4}{3}", False),
    ],
    "approximation of an exact gold": [
        ("\\frac{1}{3}", "0.333", False), ("\\frac{2}{3}", "0.667", False), ("\\sqrt{2}", "1.414", False),
        ("\\pi", "3.14", False), ("2\\pi", "6.28", False), ("\\frac{3}{8}", "0.375", True),
        ("\\frac{1}{3}", "0.\\overline{3}", True),
    ],
    "rounded gold is compared as written": [
        ("3.14", "\\pi", False), ("3.14", "3.14159", False), ("3.14", "3.140", True),
    ],
    "percent is a unit": [("25\\%", "25", True), ("25", "25\\%", True), ("25\\%", "26", False)],
    "percent is not a fraction": [("25\\%", "0.25", False), ("0.25", "25\\%", False), ("25\\%", "25.0", True)],
    "formatting and units": [
        ("5", "5\\text{ cm}", True), ("12", "12 \\mbox{ units}", True), ("90", "90^\\circ", True),
        ("5", "\\$5", True), ("(1,2)", "\\left( 1,\\, 2 \\right)", True), ("5", "$5$", True),
        ("5", "5.", True), ("5", "5\\!", True), ("5", "6\\text{ cm}", False), ("90", "91^\\circ", False),
    ],
    "thousands separators": [
        ("10000", "10{,}000", True), ("3250", "3,\\!250", True), ("1000", "1,000", True),
        ("1000", "1,001", False), ("1", "1,000", False),
    ],
    "comma inside brackets separates": [("(1,0)", "(1,000)", True), ("1000", "(1,000)", False)],
    "tuples keep order": [("(1,2)", "(1, 2)", True), ("(1,2)", "(2,1)", False)],
    "lists and sets are unordered": [
        ("1, 2", "2, 1", True), ("\\{1,2\\}", "\\{2,1\\}", True), ("1, 2", "1, 3", False),
        ("\\{1,2\\}", "\\{1\\}", False),
    ],
    "interval ends matter": [
        ("[2,5)", "[2, 5)", True), ("[2,5)", "(2,5)", False),
        ("(-\\infty,1)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,1)", True),
        ("(-\\infty,1)\\cup(2,\\infty)", "(-\\infty,1]\\cup(2,\\infty)", False),
    ],
    "variable prefix dropped": [
        ("5", "x=5", True), ("x=5", "5", True), ("1, 2", "x = 1, 2", True), ("5", "x=6", False),
    ],
    "plus-minus expands": [
        ("3, -3", "\\pm 3", True), ("1+\\sqrt{2}, 1-\\sqrt{2}", "1 \\pm \\sqrt{2}", True), ("3", "\\pm 3", False),
    ],
    "symbolic simplification": [
        ("\\sqrt{8}", "2\\sqrt{2}", True), ("\\frac{\\pi}{2}", "\\pi/2", True),
        ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True), ("\\sqrt{8}", "\\sqrt{6}", False),
        ("x^2+2x", "x(x+2)", True), ("x^2+2x", "x(x+1)", False), ("\\frac{x^2-1}{x-1}", "x+1", True),
    ],
    "symbolic simplification in the worker": [
        ("1", "\\sin^2 x + \\cos^2 x", True), ("3", "\\log_2 8", True), ("-1", "e^{i\\pi}", True),
        ("1", "\\sin^2 x", False), ("\\log 8", "3\\log 3", False),
    ],
    "scientific notation": [
        ("1500", "1.5\\times10^{3}", True), ("1500", "1.5e3", True), ("1500", "1.5\\times10^{2}", False),
    ],
    "base subscripts": [
        ("101_2", "101_2", True), ("101_2", "101_{2}", True), ("101_2", "101", True), ("101_2", "5", False),
        ("101_2", "101_3", False),
    ],
    "complex numbers": [("3+4i", "4i+3", True), ("3+4i", "3-4i", False)],
    "infinity": [("\\infty", "\\text{inf}", True), ("-\\infty", "-\\infty", True), ("-\\infty", "\\infty", False)],
    "inequalities are intervals": [
        ("x > 3", "3 < x", True), ("x > 3", "(3, \\infty)", True), ("x \\ge 3", "[3, \\infty)", True),
        ("1 < x \\le 5", "(1, 5]", True), ("x > 3", "[3, \\infty)", False), ("x < 3", "(3, \\infty)", False),
    ],
    "matrices element-wise": [
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{bmatrix}1\\\\2\\end{bmatrix}", True),
        ("\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&\\frac{8}{2}\\end{pmatrix}", True),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}", False),
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1 & 2\\end{pmatrix}", False),
    ],
    "mixed numbers": [("\\frac{9}{4}", "2\\frac{1}{4}", True), ("\\frac{1}{2}", "2\\frac{1}{4}", False)],
    "text answers ignore case": [
        ("\\text{Monday}", "monday", True), ("(C)", "(c)", True), ("\\text{(C)}", "C", True),
        ("x", "X", False), ("\\text{Monday}", "Tuesday", False), ("\\text{Amy}", "May", False),
        ("\\text{east}", "\\text{seat}", False), ("xy", "yx", True),
    ],
    "nothing is equal to no answer": [
        ("5", None, False), ("5", "", False), ("", "", False), ("5", "   ", False), ("5", "$$", False),
    ],
}


# The "Nuances fixed by the implementation" list of docs/grading.md.
NUANCES: dict[str, list[tuple[str, str | None, bool]]] = {
    "lists are sets": [("1, 2", "2, 1, 2", True), ("\\{1, 2\\}", "\\{1, 2, 3\\}", False), ("1", "1, 1", True),
                       ("\\{3\\}", "3", True), ("3", "3, 4", False)],
    "interval is a pair, matrix is not a tuple": [
        ("(2,5)", "(2,5)", True), ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)", False),
    ],
    "systems of equations": [
        ("x = 1, y = 2", "y = 2, x = 1", True), ("x = 1, y = 2", "(1, 2)", True), ("x = 1, y = 2", "x = 2, y = 1", False),
    ],
    "other prefixes": [("x^2", "f(x) = x^2", True), ("[2,5)", "x \\in [2,5)", True), ("3.14", "\\approx 3.14", True)],
    "equations": [
        ("x^2+y^2=25", "y^2+x^2=25", True), ("y=2x+1", "2x+1=y", True), ("2x-y=1", "y-2x=-1", True),
        ("x^2+y^2=25", "x^2+y^2=24", False),
    ],
    "constants and functions": [
        ("\\sqrt[3]{-8}", "-2", True), ("\\arcsin x", "\\sin^{-1} x", True), ("\\sqrt{x^2}", "x", False),
        ("2.718", "e", False), ("-1", "i^2", True), ("\\log_2 8", "3", True),
    ],
    "excluded points and repeating decimals": [
        ("x \\ne 2", "(-\\infty, 2) \\cup (2, \\infty)", True), ("\\frac{1}{6}", "0.1\\overline{6}", True),
        ("\\frac{1}{3}", "0.333\\ldots", True), ("\\frac{1}{3}", "0.3\\overline{4}", False),
        ("\\frac{1}{6}", "0.1666\\ldots", True), ("\\pi", "3.14159\\ldots", False),
    ],
    "empty set, floor, greek": [
        ("\\emptyset", "\\{\\}", True), ("\\varnothing", "\\emptyset", True), ("\\emptyset", "0", False),
        ("\\lfloor 3.7 \\rfloor", "3", True), ("2\\theta", "\\theta + \\theta", True), ("\\alpha", "\\beta", False),
    ],
    "exponents": [("x^23", "x^{23}", True), ("\\frac12", "0.5", True), ("2^{n+1}", "2 \\cdot 2^n", True),
                  ("2^n", "3^n", False)],
    "too big to compute": [
        ("9^{9^9}", "9^{9^{9}}", True), ("5", "9^{9^9}", False), ("2^{100}", "1267650600228229401496703205376", True),
    ],
}


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        pytest.param(*case, id=f"{row}: {case[0]} vs {case[1]}")
        for table in (ROWS, NUANCES)
        for row, cases in table.items()
        for case in cases
    ],
)
def test_policy(grader: Grader, gold: str, pred: str | None, expected: bool) -> None:
    _check(grader, gold, pred, expected)


def test_every_row_has_both_verdicts() -> None:
    for row, cases in ROWS.items():
        if row != "nothing is equal to no answer":
            assert {expected for *_, expected in cases} == {True, False}, row


# approximate=True keeps the rounding rule (Qwen2.5-Math's tolerance convention).
APPROXIMATE = [
    ("\\frac{1}{3}", "0.333", True), ("\\frac{1}{3}", "0.3333", True), ("\\frac{2}{3}", "0.667", True),
    ("\\sqrt{2}", "1.414", True), ("\\pi", "3.14", True), ("\\frac{1}{3}", "0.33", False),
    ("\\frac{2}{3}", "0.666", False), ("\\sqrt{2}", "1.4", False), ("\\pi", "3.141", False),
    ("3.14", "\\pi", False), ("3.14", "3.140", True),
]


@pytest.fixture(scope="module")
def approximate_grader() -> Grader:
    with Grader(approximate=True, timeout_s=20.0) as fresh:
        yield fresh


@pytest.mark.parametrize(("gold", "pred", "expected"), APPROXIMATE)
def test_approximate_policy_rounds(approximate_grader: Grader, gold: str, pred: str, expected: bool) -> None:
    _check(approximate_grader, gold, pred, expected)


def test_clustering_applies_rounding_both_ways(approximate_grader: Grader) -> None:
    """With approximate=True either of two predictions may be the decimal; is_equivalent only rounds the
    prediction."""
    assert approximate_grader.cluster_answers(["0.333", "\\frac{1}{3}"]) == [[0, 1]]
    assert approximate_grader.is_equivalent("0.333", "\\frac{1}{3}") is False


def test_default_clustering_does_not_round(grader: Grader) -> None:
    assert grader.cluster_answers(["0.333", "\\frac{1}{3}"]) == [[0], [1]]

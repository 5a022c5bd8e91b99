"""Everything PRM800K's grader (the paper's g) accepts on MATH answers, mathft accepts too.

PRM800K's ``grading/grader.py`` applies Hendrycks-style normalization (``\\text`` units, ``\\%``,
``\\$``, degrees, ``\\left``/``\\right``, ``\\dfrac``, ``\\frac12``/``\\sqrt2`` fixes, thousands commas,
a short ``x =`` prefix, mixed numbers, case-insensitive text), splits bracketed tuples element-wise
keeping brackets and order, and accepts a pair when sympy proves ``simplify(a - b) == 0``. The cases
below are written from that behaviour; the last group lists where mathft is deliberately more lenient.
"""

from __future__ import annotations

import pytest

from mathft.grading import Grader

PRM800K_ACCEPTS = [
    ("\\frac{1}{2}", "1/2"),
    ("\\frac{1}{2}", "0.5"),
    ("\\frac{1}{2}", "\\dfrac{1}{2}"),
    ("\\frac{1}{2}", "\\frac12"),
    ("\\sqrt{2}", "\\sqrt2"),
    ("10", "\\$10"),
    ("10", "10\\text{ dollars}"),
    ("30", "30^\\circ"),
    ("30", "30^{\\circ}"),
    ("5", "5\\%"),
    ("3", "x=3"),
    ("3", "k = 3"),
    ("1024", "2^{10}"),
    ("1024", "2^10"),
    ("12", "3 \\cdot 4"),
    ("10000", "10,000"),
    ("1000000", "1,000,000"),
    ("\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2"),
    ("\\frac{\\pi}{2}", "\\pi/2"),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"),
    ("x^2+2x+1", "(x+1)^2"),
    ("(1,2)", "(1, 2)"),
    ("[1,2)", "[1, 2)"),
    ("(1,\\frac{1}{2})", "(1, 0.5)"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)"),
    ("2.0", "2"),
    ("\\frac{7}{2}", "3\\frac{1}{2}"),
    ("\\text{Monday}", "monday"),
    ("\\text{(C)}", "(C)"),
    ("-\\frac{1}{3}", "\\frac{-1}{3}"),
    ("5\\sqrt{2}", "\\sqrt{50}"),
    ("3+2i", "2i+3"),
    ("\\infty", "\\infty"),
    ("0.5", ".5"),
    ("6", "6.00"),
    ("\\$ 2.50", "2.5"),
    ("9\\text{ cm}^2", "9"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
    ("\\frac{31}{4}", "7 3/4"),
    ("3000000", "3 million"),
    ("10", "10cm"),
    ("5", "5 hours"),
    ("\\frac{1}{2}", "\\cfrac{1}{2}"),
]

PRM800K_REJECTS = [
    ("\\frac{1}{3}", "0.333"),  # an approximation of an exact gold (the default policy agrees since issue 12)
    ("(1,2)", "(2,1)"),
    ("[1,2)", "(1,2)"),
    ("(1,2)", "1,2"),
    ("\\frac{1}{2}", "\\frac{1}{3}"),
    ("5", "\\sqrt{5}"),
    ("x+1", "x-1"),
]

MATHFT_MORE_LENIENT = [
    ("\\frac{1}{2}", "\\frac{2}{4}"),  # PRM800K rejects unreduced fractions by design; the policy accepts
    ("7", "\\text{seven}"),  # a number written as a word (issue 12; PRM800K compares the strings)
    ("\\tan x", "\\frac{\\sin x}{\\cos x}"),  # parsed, not string-mangled, function applications
]


@pytest.mark.parametrize(("gold", "pred"), PRM800K_ACCEPTS + MATHFT_MORE_LENIENT)
def test_accepts_what_prm800k_accepts(grader: Grader, gold: str, pred: str) -> None:
    assert grader.is_equivalent(gold, pred), (gold, pred)


@pytest.mark.parametrize(("gold", "pred"), PRM800K_REJECTS)
def test_rejects_what_prm800k_rejects(grader: Grader, gold: str, pred: str) -> None:
    assert not grader.is_equivalent(gold, pred), (gold, pred)

"""Relations: relation spellings, solved one-variable inequalities, chains and proportional equations."""

from __future__ import annotations

import pytest

from mathft.grading import Grader

CASES: dict[str, list[tuple[str, str, bool]]] = {
    "relation spellings": [
        ("x \\geq 5", "x >= 5", True), ("x\\le 5", "x <= 5", True), ("x \\neq 5", "x != 5", True),
        ("x<5", "x \\lt 5", True), ("x>5", "x \\gt 5", True), ("x \\geqslant 5", "x\\ge5", True),
        ("x \\leqslant 5", "x \\leq 5", True), ("x \\neq 5", "x \\ne 5", True),
        ("x \\geq 5", "x > 5", False), ("x \\neq 5", "x \\neq 6", False),
    ],
    "flipped and solved inequalities": [
        # 5 >= x is x <= 5; -x > -1 multiplies by -1 (flip) to x < 1; -2x <= 6 is x >= -3.
        ("x \\leq 5", "5 \\geq x", True), ("x<1", "-x > -1", True), ("x<1", "2x < 2", True),
        ("x \\geq -3", "-2x \\le 6", True), ("(-1, 2)", "-1 < 2x+1 < 5", True), ("x \\neq 2", "2x \\neq 4", True),
        ("x < 1", "2x < x + 1", True),
        ("x<1", "-x > 1", False), ("x \\geq -3", "-2x \\ge 6", False), ("x<1", "x^2 < 1", False),
    ],
    "membership and intervals": [
        ("x \\in [-2,7]", "-2 \\le x \\le 7", True), ("[-2,7]", "x \\in [-2,7]", True), ("[-2,7]", "-2 \\le x \\le 7", True),
        ("[-2,7]", "-2 < x \\le 7", False),
    ],
    "approximations and chains": [
        ("11", "x \\approx 11", True), ("11", "x = 5+5+1 = 7 = 11", True), ("11", "x = 10.96 \\approx 11", True),
        ("7", "x = 5+5+1 = 7 = 11", False), ("11", "x \\approx 12", False),
    ],
    "named coordinates and separated values": [
        ("(2, -1)", "(x, y) = (2, -1)", True), ("(2, -1)", "(x, y) = (-1, 2)", False), ("(1, 2)", "(x, 1) = (1, 2)", False),
        ("1, 2", "x=1 \\quad x=2", True), ("(1, 2)", "x=1 \\qquad y=2", True), ("1, 2", "x=1 \\quad x=3", False),
    ],
    "proportional equations": [
        ("34x+45y-20z+100=0", "-34x-45y+20z-100=0", True), ("2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", True),
        ("x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", True), ("y=2x+3", "2x - y + 3 = 0", True),
        ("7 = 11a+c", "11a+c", False), ("2x+z=1", "1", False), ("x+y=1", "x+y=2", False),
        ("2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{5}", False), ("x(x-1) = 0", "x - 1 = 0", False),
        ("y=2x+3", "y=2x+4", False),
    ],
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
def test_relation(grader: Grader, gold: str, pred: str, expected: bool) -> None:
    assert grader.is_equivalent(gold, pred) is expected
    assert grader.is_equivalent(pred, gold) is expected  # every relation rule here is symmetric


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        ("3\\sqrt{2}", "3\\sqrt{2} \\approx 4.24", True), ("3\\sqrt{2}", "x = 3\\sqrt{2} \\approx 4.243", True),
        ("3\\sqrt{2}", "3\\sqrt{2} \\approx 4.2", True), ("3\\sqrt{2}", "3\\sqrt{2} = 4.25", False),
        ("3\\sqrt{2}", "3\\sqrt{2} \\approx 4.3", False), ("4.24", "3\\sqrt{2} \\approx 4.24", True),
        ("4.24", "4.24", True), ("3\\sqrt{2}", "4.24", False),
    ],
)
def test_exact_then_approximation(grader: Grader, gold: str, pred: str, expected: bool) -> None:
    """``exact \\approx decimal`` states both sides when the decimal rounds the exact one (to any number of
    digits); a wrong gloss (``4.3``) leaves only the decimal, and a bare decimal is an approximation."""
    assert grader.is_equivalent(gold, pred) is expected


def test_equation_form_does_not_leak_through_the_cache() -> None:
    """``y=2x+3`` and ``2x+3`` share a normalized string; only the first is also an equation."""
    with Grader() as grader:
        assert grader.is_equivalent("2x - y + 3 = 0", "y=2x+3") is True
        assert grader.is_equivalent("2x - y + 3 = 0", "2x+3") is False

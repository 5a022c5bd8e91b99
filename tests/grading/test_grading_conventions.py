"""The field's conventions and the real-output misses of issue 12, one test per row of docs/grading.md.

Each family has equal and not-equal cases (a rule that accepted everything would fail), with the
PRM800K grader's and Math-Verify's decisions recorded in the policy table of docs/grading.md.
"""

from __future__ import annotations

import pytest

from mathft.grading import Grader
from mathft.grading.clock import read_clock
from mathft.grading.extract import answer_in_prose
from mathft.grading.numerals import number_from_words, repeating_decimals, spell_out_numbers

FAMILIES: dict[str, list[tuple[str, str, bool]]] = {
    "1 approximations of exact answers (default: not equal)": [
        ("\\frac{2}{3}", "0.667", False), ("\\sqrt{3}", "1.732", False), ("2\\pi", "6.28", False),
        ("\\frac{1}{12}", "0.0833333333333333", False),
        # exact decimals and decimal golds keep today's handling
        ("\\frac{3}{4}", "0.75", True), ("3.14", "3.140", True), ("3.14", "\\pi", False),
        ("4.123105625617661", "\\sqrt{17}", True), ("4.12310", "\\sqrt{17}", False),
        # an ellipsis after visibly repeating digits is the repeating decimal, not an approximation
        ("\\frac{1}{3}", "0.333\\ldots", True), ("\\frac{1}{6}", "0.1666...", True), ("\\pi", "3.14159\\ldots", False),
        # an exact answer glossed by its approximation states both
        ("3\\sqrt{2}", "3\\sqrt{2} \\approx 4.24", True), ("4.24", "3\\sqrt{2} \\approx 4.24", True),
        ("3\\sqrt{2}", "3\\sqrt{2} \\approx 4.3", False),
    ],
    "2 clock times": [
        ("\\text{9:15 a.m.}", "9:15", True), ("\\text{9:15 a.m.}", "9:15 \\text{ a.m.}", True),
        ("\\text{9:15 a.m.}", "9:15am", True), ("\\text{9:15 a.m.}", "\\text{9:15 AM}", True),
        ("\\text{2:30 p.m.}", "14:30", True), ("\\text{2:30 p.m.}", "2{:}30\\,\\text{p.m.}", True),
        ("\\text{12:00 noon}", "12:00 p.m.", True), ("\\text{9 a.m.}", "9:00 a.m.", True),
        ("\\text{3:00 p.m.}", "15:00", True), ("3:00", "3:00", True),  # 3:00 is a time, not the ratio 3/0
        ("\\text{2:30 p.m.}", "2:30 in the afternoon", True), ("\\text{2:30 p.m.}", "2:30 in the morning", False),
        ("9:15", "9:51", False), ("\\text{9:15 a.m.}", "9:15 p.m.", False), ("\\text{2:30 p.m.}", "2:03 p.m.", False),
        ("\\text{12:00 noon}", "12:00 a.m.", False), ("\\text{9 a.m.}", "9", False),
        # without a meridiem a colon is still a ratio against an answer that is not a time
        ("3:8", "6:16", True), ("10:15", "\\frac{2}{3}", True), ("9:15", "3:05", False),
    ],
    "3 numbers written as words": [
        ("7", "\\text{seven}", True), ("21", "twenty-one", True), ("100", "\\text{one hundred}", True),
        ("105", "one hundred and five", True), ("1200", "\\text{one thousand two hundred}", True),
        ("3", "\\text{three apples}", True), ("\\frac{2}{3}", "\\text{two thirds}", True), ("0", "\\text{zero}", True),
        ("-7", "negative seven", True), ("2, 3", "two, three", True),
        ("4", "\\text{three}", False), ("3", "\\text{three or more}", False), ("1", "\\text{one of them}", False),
        ("\\text{one-to-one}", "\\text{one-to-one}", True), ("4", "\\text{fourth}", False),
    ],
    "4 sets by difference or builder": [
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\mathbb{R} \\setminus \\{-1\\}", True),
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\{x \\mid x \\neq -1\\}", True),
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\{x \\in \\mathbb{R} : x \\neq -1\\}", True),
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\mathbb{R} - \\{-1\\}", True),
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\mathbb{R}\\backslash\\{-1\\}", True),
        ("(-\\infty,1)\\cup(1,2)\\cup(2,\\infty)", "\\{x \\mid x \\neq 1 \\text{ and } x \\neq 2\\}", True),
        ("[0, \\infty)", "\\{x \\mid x \\geq 0\\}", True), ("(2,5)", "\\{x \\mid 2 < x < 5\\}", True),
        ("(-\\infty, 5)", "(-\\infty, 2) \\cup [2, 5)", True), ("[0,1]", "[0, 1) \\cup \\{1\\}", True),
        ("(-\\infty,2]\\cup[3,\\infty)", "\\mathbb{R} \\setminus (2,3)", True),
        ("(-\\infty,-1)\\cup(-1,\\infty)", "\\mathbb{R} \\setminus \\{1\\}", False),
        ("(2,5)", "\\{x \\mid 2 \\le x < 5\\}", False), ("[0, \\infty)", "\\{x \\mid x > 0\\}", False),
        ("(-\\infty,2)\\cup[3,\\infty)", "\\mathbb{R} \\setminus (2,3)", False),
    ],
    "5 a prediction still in its wrapper": [
        ("7", "\\boxed{7}.", True), ("7", "$\\boxed{7}$", True), ("7", "\\fbox{7}", True),
        ("7", "The answer is $\\boxed{7}$.", True), ("\\boxed{7}", "7", True), ("7", "\\boxed{8}.", False),
        ("5", "\\text{The answer is } 5", True), ("5", "Answer: 6", False),
        # a sentence around math states what it concludes, unless words after the math qualify it
        ("7", "So we get $x = 7$.", True), ("7", "The final answer is $7$. I hope it is correct.", True),
        ("\\frac{1}{2}", "Therefore the probability is \\(\\frac{1}{2}\\).", True), ("1, 2", "$1$ and $2$", True),
        ("7", "$7$ or more", False), ("7", "between $1$ and $7$", False), ("7", "So we get $x = 8$.", False),
    ],
    "6 labelled answers": [
        ("3", "|PQ| = 3", True), ("4, 5", "XY = 4, YZ = 5", True), ("3:8", "S_1 : S_2 = 3:8", True),
        ("3\\sqrt{2}", "\\overline{AB} = 3\\sqrt{2}", True), ("30", "m\\angle ABC = 30^\\circ", True),
        ("12", "[ABC] = 12", True), ("\\frac{3}{8}", "\\frac{S_1}{S_2} = \\frac{3}{8}", True),
        ("(4, 5)", "XY = 4, YZ = 5", True), ("(5, 4)", "XY = 4, YZ = 5", False),
        ("2x+1", "f^{-1}(x) = 2x+1", True), ("3", "|PQ| = 4", False),
        # not labels: |x| = 5 says x = \pm 5, xy is a product, 2x + z an expression
        ("5", "|x| = 5", False), ("5", "xy = 5", False), ("1", "2x + z = 1", False),
    ],
    "6 Euler's number in text": [
        ("e", "\\text{e}", True), ("e", "\\mathrm{e}", True), ("e^2", "\\mathrm{e}^2", True),
        ("2e", "2\\text{e}", True),
        ("\\text{(E)}", "\\text{E}", True), ("e", "\\text{E}", False), ("\\text{(E)}", "\\text{e}", False),
    ],
    "6 lists whose last item follows and": [
        ("1, 2, 3", "1, 2, and 3", True), ("1, 2, 3", "\\text{1, 2, and 3}", True),
        ("1, 2, 3", "1, 2, \\text{and } 3", True), ("1, 2, 3", "1, 2 \\text{ and } 3", True),
        ("-2, 1", "x = -2 \\text{ or } x = 1", True), ("-2, 1", "$x=-2$ and $x=1$", True),
        ("1, 2, 3", "1, 2, and 4", False), ("5", "5 \\text{ or more}", False), ("5", "5 or more", False),
    ],
    "6 one list semantics (a list is the set of its values)": [
        ("1, 2", "2, 1, 1", True), ("1", "1, 1", True), ("\\{3\\}", "3", True), ("2", "2, 2", True),
        ("1, 2", "1", False), ("2", "2, 3", False), ("\\emptyset", "0", False), ("(1,2)", "1, 2", False),
        ("(1, 2)", "(1,2), (1,2)", True),
    ],
}


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [pytest.param(*case, id=f"{family}: {case[0]} vs {case[1]}")
     for family, cases in FAMILIES.items() for case in cases],
)
def test_family(grader: Grader, gold: str, pred: str, expected: bool) -> None:
    assert grader.is_equivalent(gold, pred) is expected, (gold, pred)


def test_every_family_has_both_verdicts() -> None:
    for family, cases in FAMILIES.items():
        assert {expected for *_, expected in cases} == {True, False}, family


APPROXIMATE = [
    ("\\frac{2}{3}", "0.667", True), ("\\sqrt{3}", "1.732", True), ("2\\pi", "6.28", True),
    ("\\frac{2}{3}", "0.67", False), ("\\frac{2}{3}", "0.666", False), ("3.14", "\\pi", False), ("3.14", "3.140", True),
]


@pytest.mark.parametrize(("gold", "pred", "expected"), APPROXIMATE)
def test_approximate_keeps_the_rounding_rule(gold: str, pred: str, expected: bool) -> None:
    """``Grader(approximate=True)`` is the pre-issue-12 rule: >= 3 significant digits, rounded (not truncated)."""
    with Grader(approximate=True) as approximate:
        assert approximate.is_equivalent(gold, pred) is expected
        assert approximate.policy == "approximate"


def test_policy_names_the_default() -> None:
    with Grader() as fresh:
        assert (fresh.approximate, fresh.policy) == (False, "exact")  # approximate is off unless asked for


def test_the_policy_travels_to_spawned_processes() -> None:
    """A pickled grader (DataLoader workers) keeps its policy."""
    import pickle

    with Grader(approximate=True) as original:
        copy = pickle.loads(pickle.dumps(original))
        try:
            assert copy.approximate is True and copy.is_equivalent("\\frac{2}{3}", "0.667") is True
        finally:
            copy.close()


def test_clusters_follow_the_same_conventions(grader: Grader) -> None:
    """Majority voting sees the same relation: words, times, labels and set spellings share clusters."""
    answers = ["\\text{seven}", "7", "|PQ| = 7", "\\text{9:15 a.m.}", "9:15am", "\\mathbb{R}\\setminus\\{0\\}",
               "\\{x \\mid x \\neq 0\\}", "0.667"]
    assert grader.cluster_answers(answers) == [[0, 1, 2], [3, 4], [5, 6], [7]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("\\text{9:15 a.m.}", frozenset({555})), ("9:15", frozenset({555, 1275})), ("21:15", frozenset({1275})),
     ("12:30 a.m.", frozenset({30})), ("12:00 noon", frozenset({720})), ("3:8", None), ("9", None),
     ("13:15 p.m.", None), ("9:60", None), ("9:15 and 10:30", None)],
)
def test_read_clock(text: str, expected: frozenset[int] | None) -> None:
    """Minutes of the day by hand: 9:15 is 555, 21:15 is 1275, 12:30 a.m. is 30, noon is 720."""
    clock = read_clock(text)
    assert (None if clock is None else clock.minutes) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [("seven", 7), ("twenty one", 21), ("one hundred and five", 105), ("a hundred", 100),
     ("ninety nine thousand", 99_000), ("two thirds", (2, 3)), ("a half", (1, 2)), ("five one", None),
     ("hundred", None), ("two third", None), ("fourth", None), ("and", None)],
)
def test_number_from_words(words: str, expected: int | tuple[int, int] | None) -> None:
    assert number_from_words(words.split()) == expected


def test_number_words_only_rewrite_whole_items() -> None:
    assert spell_out_numbers("no one") == "no one"
    assert spell_out_numbers("one-to-one") == "one-to-one"
    assert spell_out_numbers("seven, twenty-one") == "7, 21"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.333\\ldots", "\\frac{1}{3}"), ("0.1666...", "\\frac{1}{6}"), ("0.142857142857\\dots", "\\frac{1}{7}"),
     ("3.14159\\ldots", "3.14159\\ldots"), ("0.12\\ldots", "0.12\\ldots"), ("0.1\\overline{6}", "\\frac{1}{6}")],
)
def test_repeating_decimals(text: str, expected: str) -> None:
    """Only digits that visibly repeat (a period seen at least twice up to the ellipsis) are exact."""
    assert repeating_decimals(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("So we get $x = 5$.", "x = 5"), ("costs \\$5, so we get $6$ in all", "6"), ("we find $$7$$ here", "7"),
     ("$5$", None), ("$5$ cm", None), ("$1$ and $2$", None), ("$5$ or more", None), ("no math at all", None),
     ("The answer is $\\boxed{3}$ and not $4$", "3")],
)
def test_answer_in_prose(text: str, expected: str | None) -> None:
    """A dollar sign written \\$ is money, not a delimiter; a box or "the answer is" wins over the last span."""
    assert answer_in_prose(text) == expected


def test_answer_in_prose_is_linear_on_hostile_text() -> None:
    """Unclosed delimiters by the thousand (a backtracking pattern took 70 s on 100k characters)."""
    import time

    start = time.perf_counter()
    for text in ("\\(" * 50_000, "\\[ x" * 30_000, "$a " * 50_000, "$" * 100_000):
        answer_in_prose(text)
    assert time.perf_counter() - start < 2.0

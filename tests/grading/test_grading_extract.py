"""extract_answer: boxes, PRM800K's ``# Answer`` block, Minerva phrasings and texts without an answer."""

from __future__ import annotations

import time

import pytest

from mathft.grading import extract_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so $x = \\boxed{5}$.", "5"),
        ("$\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}"),
        ("nested: \\boxed{\\frac{\\sqrt{2}}{2}} done", "\\frac{\\sqrt{2}}{2}"),
        ("braces in sets \\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
        ("unbraced $\\boxed 5$", "5"),
        ("\\fbox{7} is it", "7"),
        ("first \\boxed{1}, then \\boxed{2}", "2"),
        ("last box empty \\boxed{3} and \\boxed{}", "3"),
        ("unclosed last \\boxed{4} then \\boxed{5", "4"),
        ("Step 1.\nStep 2.\n\n# Answer\n\n42", "42"),
        ("Steps\n\n# Answer\n\n\\frac{3}{4}\n\nmore text", "\\frac{3}{4}"),
        ("Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.", "\\frac{1}{2}"),
        ("Thus the answer is 12.", "12"),
        ("The answer is: $(1, 2)$", "(1, 2)"),
        ("the box wins over the phrase: The answer is 3. \\boxed{4}", "4"),
    ],
)
def test_extracts_final_answer(text: str, expected: str) -> None:
    assert extract_answer(text) == expected


@pytest.mark.parametrize("text", ["", "no answer here", "\\boxed{}", "# Answer\n\n", "The answer is ."])
def test_none_when_there_is_no_answer(text: str) -> None:
    assert extract_answer(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "\\boxed{" * 20_000,
        "{" * 100_000 + "\\boxed{1",
        "the answer is " * 8_000,
        "\\boxed " * 15_000,
        "# Answer\n\n" * 10_000,
        "The final answer is " + " " * 1990 + "x",
        "x" + "}" * 50_000 + "\\boxed{" + "{" * 50_000,
    ],
)
def test_linear_time_on_hostile_text(text: str) -> None:
    start = time.perf_counter()
    extract_answer(text)
    assert time.perf_counter() - start < 1.0

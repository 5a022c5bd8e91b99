"""Extraction from chat transcripts, few-shot continuations, \\(..\\)/\\[..\\] and nested boxes."""

from __future__ import annotations

import pytest

from mathft.grading import Grader, extract_answer

CHAT = (
    "<|im_start|>system\nPut the answer in \\boxed{}.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
    "<|im_start|>assistant\n2+3 = \\boxed{5}<|im_end|>\n<|im_start|>user\nAnd 2+4?"
)
CASES = [
    (CHAT, "5"),
    ("<|im_start|>user\nSay \\boxed{9}<|im_end|><|im_start|>assistant\nIt is \\boxed{4}", "4"),
    ("<|start_header_id|>assistant<|end_header_id|>\n\\boxed{3}<|eot_id|>", "3"),
    ("The answer is \\boxed{2}.<|im_end|><|im_start|>user\n\\boxed{7}", "2"),  # cut at the next turn
    # A bare completion (no leading chat token): a later assistant header opens a hallucinated turn.
    ("Answer: $\\boxed{2}$ <|im_end|><|im_start|>assistant\n\\boxed{5}", "2"),
    # One math span after the phrase is the answer; the prose after it is not.
    ("The answer is: $\\frac{1}{2}$ because the ratio halves.", "\\frac{1}{2}"),
    ("The answer is \\(-4\\) since it is negative.", "-4"),
    # A Minerva continuation that invents the next problem: the first answer wins.
    ("Solution: so $7$.\nFinal Answer: The final answer is $7$. I hope it is correct.\n\n"
     "Problem:\nFind y.\nSolution: The final answer is $9$.", "7"),
    ("The answer is $\\boxed{4}$.\nQuestion: what is 5+5?\nThe answer is $\\boxed{10}$.", "4"),
    ("Problem: find x.\nSolution: The answer is $\\boxed{6}$.", "6"),  # a leading Problem: is the prompt
    # Boxes joined across "x =" in the final sentence; nested boxes are one box.
    ("So $x = \\boxed{1}$ or $x = \\boxed{2}$.", "1, 2"),
    ("We get $\\boxed{1}$. Later, $\\boxed{2}$.", "2"),
    ("\\boxed{\\boxed{5}}", "5"),
    ("The answer is \\boxed{\\boxed{12}}. \n\nFinal answer: \\boxed{\\boxed{12}}", "12"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extract(text: str, expected: str) -> None:
    assert extract_answer(text) == expected


@pytest.mark.parametrize(
    ("gold", "output", "expected"),
    [
        ("-4", "The answer is \\(-4\\).", True),
        ("7", "**Final Answer**\n\\[ 7 \\]", True),
        ("\\frac12", "The final answer is \\(\\frac{1}{2}\\).", True),
        ("7", "Final Answer: The final answer is \\(7\\). I hope it is correct.", True),
        ("5", "\\[ \\boxed{5} \\]", True),
        ("x+1", "\\(x+1\\)", True),
        ("-4", "The answer is \\(4\\).", False),
        ("\\frac{1}{2}", "The area is $\\boxed{\\frac{1}{2} ab}$.", False),
        ("\\frac{1}{2}ab", "The area is $\\boxed{\\frac{1}{2} ab}$.", True),
    ],
)
def test_math_delimiters_are_stripped(grader: Grader, gold: str, output: str, expected: bool) -> None:
    assert grader.is_equivalent(gold, extract_answer(output) or output) is expected


def test_row_break_with_spacing_is_not_a_delimiter(grader: Grader) -> None:
    matrix = "\\begin{pmatrix}1\\\\[2pt]2\\end{pmatrix}"
    assert "\\\\[2pt]" in grader.normalize_answer(matrix)

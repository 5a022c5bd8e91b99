"""extract_answer on how models end their solutions: several boxes, think blocks, template junk."""

from __future__ import annotations

import time

import pytest

from mathft.grading import extract_answer, is_equivalent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the integers are $\\boxed{-2}$ and $\\boxed{1}$.", "-2, 1"),
        ("So $\\boxed{1}\\boxed{2}$", "1, 2"),
        ("solutions: $\\boxed{2}$, $\\boxed{3}$, or $\\boxed{4}$.", "2, 3, 4"),
        ("\\boxed{5} \\boxed{5}", "5"),  # a repeated box is one answer
        ("First \\boxed{3}. More text.\n\nThen the answer is \\boxed{4}.", "4"),  # other sentence: last wins
        ("first \\boxed{1}, then \\boxed{2}", "2"),
        ("\\( \\boxed{5} \\)", "5"),
        ("\\[ \\boxed{x \\in [1,2]} \\]", "x \\in [1,2]"),
        ("<think>maybe \\boxed{3}</think> The answer is $\\boxed{4}$", "4"),
        ("<think>maybe \\boxed{3}</think> The answer is 4.", "4"),
        ("<think>so \\boxed{1}</think>\n\nno final answer stated", "1"),  # nothing after: the draft counts
        ("**Final Answer**\n\\boxed{7}", "7"),
        ("**Final Answer:** 12", "12"),
        ("**Final Answer**\n\n12", "12"),
        ("Final Answer: The final answer is $7$. I hope it is correct.<|im_start|>user\nThe final answer is $9$", "7"),
        ("Final Answer: The final answer is $7$. I hope it is correct.\n\nFinal Answer: The final answer is $", "7"),
        ("<|im_start|>assistant\nSo \\boxed{3}<|im_end|>\n<|im_start|>user\n\\boxed{9}", "3"),
        ("The answer is: 12", "12"),
        ("\\boxed{\\text{(C)}}", "\\text{(C)}"),
    ],
)
def test_final_answer(text: str, expected: str) -> None:
    assert extract_answer(text) == expected


@pytest.mark.parametrize("text", ["to get the final answer we add", "the final answer", "<|im_start|>"])
def test_no_answer(text: str) -> None:
    assert extract_answer(text) is None


def test_joined_boxes_grade_as_an_unordered_list() -> None:
    """The Math-Verify-style evaluation ``is_equivalent(gold, extract_answer(output))`` on two boxes."""
    answer = extract_answer("the integers are \\boxed{-2} and \\boxed{1}")
    assert is_equivalent("1, -2", answer) and not is_equivalent("1", answer)


@pytest.mark.parametrize(
    "text",
    [
        "\\boxed{1} and " * 8_000,
        "</think>" * 12_500,
        "<|im_start|>" * 8_000,
        "Final Answer:\n" * 7_000,
        "final answer" * 8_000,
        "\\boxed{1}" + "$" * 100_000 + "\\boxed{2}",
        "\\boxed{1}" + " and" * 25_000 + "\\boxed{2}",
        " " * 50_000 + "<|im_end|>" * 5_000,
    ],
)
def test_linear_time_on_100k_hostile_text(text: str) -> None:
    start = time.perf_counter()
    extract_answer(text)
    assert time.perf_counter() - start < 1.0

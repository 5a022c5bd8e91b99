"""The 4-shot prompts of the few-shot baseline: answers worked by hand, both styles agree, a valid template."""

from __future__ import annotations

import pytest

from mathft.data.fewshot import FEWSHOT_EXAMPLES, FEWSHOT_STOP, fewshot_template
from mathft.data.rows import detect_style
from mathft.data.templates import SSFT_PROMPT_TEMPLATE, check_template
from mathft.grading import extract_answer, is_equivalent


def test_each_example_has_the_answer_worked_by_hand() -> None:
    """3x - 7 = 11 -> x = 6 -> 6x + 5 = 41; 72 = 2^3 3^2 -> 4 * 3 = 12 divisors; sqrt(64 + 225) = 17;
    2/3 + 3/4 = 8/12 + 9/12 = 17/12."""
    expected = ["41", "12", "17", "\\frac{17}{12}"]
    for (problem, terse, steps), gold in zip(FEWSHOT_EXAMPLES, expected):
        assert is_equivalent(gold, extract_answer(terse)), problem
        assert is_equivalent(gold, extract_answer(steps)), problem
        assert detect_style(terse) == "math" and detect_style(steps) == "prm800k"
    assert len(FEWSHOT_EXAMPLES) == 4


@pytest.mark.parametrize("style", ["math", "prm800k"])
def test_template_holds_four_shots_and_ends_with_the_ssft_prompt(style: str) -> None:
    template = check_template(fewshot_template(style), ("problem",), "fewshot")
    prompt = template.format(problem="What is $1+1$?")
    assert prompt.count("Problem:\n") == 5 and prompt.endswith(SSFT_PROMPT_TEMPLATE.format(problem="What is $1+1$?"))
    assert "\\frac{17}{12}" in prompt  # LaTeX braces survive str.format
    assert ("# Answer" in prompt) == (style == "prm800k")
    # A base model that starts a fifth example stops there: the answer before the stop is still found.
    assert extract_answer("So $x = \\boxed{3}$." + FEWSHOT_STOP[0]) == "3"
    assert extract_answer("x = 3\n\n# Answer\n\n3" + FEWSHOT_STOP[0]) == "3"


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="few-shot style must be one of"):
        fewshot_template("minerva")

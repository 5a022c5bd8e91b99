"""Prompt templates and the verdict-token contract of the evaluator (paper Sec. 3.2, Eq. 5-7).

The evaluator reads p("correct") and p("incorrect") as the next token after the evaluator prompt. Where the
boundary between prompt and verdict word falls matters: byte-level BPE and SentencePiece tokenizers merge
a leading space into the next word (" correct" is one token), so a prompt that ends in a space would make
the model predict a bare "correct" it never saw after a space. :func:`verdict_prompt` finds the split that
tokenizes consistently.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from mathft.backbones.tiny import VERDICT_WORDS

__all__ = [
    "SSFT_PROMPT_TEMPLATE",
    "EVALUATOR_TEMPLATE",
    "VerdictPrompt",
    "check_template",
    "ssft_prompt",
    "evaluator_prompt",
    "verdict_prompt",
]

SSFT_PROMPT_TEMPLATE = "Problem:\n{problem}\nSolution:\n"
EVALUATOR_TEMPLATE = (
    "Here is a math problem: {problem} Here is a candidate solution: {solution} The above candidate solution is "
)


@dataclass(frozen=True)
class VerdictPrompt:
    """How to tokenize an evaluator prompt so that the next token is the verdict.

    Attributes:
        text: Prompt text to tokenize (the template's trailing space moved into the words if needed).
        correct_ids: Token ids of ``correct_word`` after ``text`` (usually one id).
        incorrect_ids: Token ids of ``incorrect_word`` after ``text``.
        correct_word: The exact string that follows ``text`` for "correct" (e.g. ``" correct"``).
        incorrect_word: The exact string that follows ``text`` for "incorrect".
    """

    text: str
    correct_ids: tuple[int, ...]
    incorrect_ids: tuple[int, ...]
    correct_word: str
    incorrect_word: str


def check_template(template: str, fields: tuple[str, ...], key: str) -> str:
    """Return ``template`` if its placeholders are exactly ``fields``.

    Raises:
        ValueError: Naming the configuration ``key`` and the missing or unknown placeholder.
    """
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as err:  # "Single '{' encountered in format string", naming neither key nor template
        raise ValueError(f"{key}: not a valid template ({err}; write a literal brace as {{{{ or }}}}): "
                         f"{template!r:.200}") from None
    if names != set(fields):
        raise ValueError(f"{key}: template must use placeholders {sorted(fields)}, found {sorted(names)}: {template!r}")
    try:  # a conversion or format spec ("{problem!x}", "{problem:d}") fails only when filled in
        template.format(**{name: "" for name in fields})
    except (ValueError, TypeError) as err:
        raise ValueError(f"{key}: not a valid template ({err}): {template!r:.200}") from None
    return template


def ssft_prompt(template: str, problem: str) -> str:
    """The generator prompt for one problem."""
    return template.format(problem=problem)


def evaluator_prompt(template: str, problem: str, solution: str) -> str:
    """The evaluator prompt for one candidate, before :func:`verdict_prompt` adjusts its end."""
    return template.format(problem=problem, solution=solution)


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _continuation(tokenizer: Any, text: str, word: str) -> tuple[int, ...] | None:
    # The ids `word` adds after `text`, if tokenizing them together keeps `text`'s own ids as a prefix.
    head, full = _encode(tokenizer, text), _encode(tokenizer, text + word)
    if full[: len(head)] != head or len(full) == len(head):
        return None
    return tuple(full[len(head) :])


def verdict_prompt(tokenizer: Any, prompt: str) -> VerdictPrompt:
    """Split an evaluator prompt into the text to tokenize and the verdict words' token ids.

    Two splits are tried: the separating space inside the words (``"... is"`` + ``" correct"``), or at the
    end of the prompt (``"... is "`` + ``"correct"``). Of those where
    ``tokenize(text) + ids == tokenize(text + word)`` holds for both words, the one with fewer verdict
    tokens wins; ties go to the space-in-word split, the natural one for byte-level BPE and SentencePiece.

    Args:
        tokenizer: A Hugging Face tokenizer.
        prompt: The filled evaluator template (normally ending in ``"is "``).

    Raises:
        ValueError: If neither split tokenizes consistently.
    """
    base = prompt.rstrip(" ")
    options = []
    for text, sep in ((base, " "), (base + " ", "")):
        ids = [_continuation(tokenizer, text, sep + word) for word in VERDICT_WORDS]
        if all(i is not None for i in ids):
            options.append((len(ids[0]) + len(ids[1]), text, sep, ids))
    if not options:
        raise ValueError(
            f"tokenizer {type(tokenizer).__name__} does not tokenize the verdict words consistently after "
            f"the evaluator prompt ending {prompt[-40:]!r}; change the evaluator template"
        )
    _, text, sep, (correct, incorrect) = min(options, key=lambda o: o[0])  # min is stable: ties keep the first
    return VerdictPrompt(text, correct, incorrect, sep + VERDICT_WORDS[0], sep + VERDICT_WORDS[1])

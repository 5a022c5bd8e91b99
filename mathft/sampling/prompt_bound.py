"""The longest prompt a sampling run accepts, checked for every problem before anything is sampled.

Without a bound a huge problem (the red team's was 50 MB) is tokenized, prefilled and fails minutes in,
deep inside the model; and since it fails before its chunk is stored, every resume retries it and fails
again. The bound is the model's positions less the solution's (``max_position_embeddings -
max_new_tokens``), or a smaller one the user sets. A run with a prompt over it fails at once, naming the
problem, so the fix (drop it, or raise the bound) is clear and a resume never repeats the crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathft.data.errors import DataError
from mathft.data.problem import Problem
from mathft.data.templates import ssft_prompt

__all__ = ["prompt_token_limit", "check_prompt_lengths"]


def prompt_token_limit(model: Any, max_new_tokens: int, requested: int | None = None) -> int | None:
    """The most prompt tokens a sample may have; ``None`` when neither the model nor the user bounds it.

    Raises:
        ValueError: When ``requested < 1``, or ``max_new_tokens`` leaves the model no room for a prompt.
    """
    if requested is not None and requested < 1:
        raise ValueError(f"max_prompt_tokens must be >= 1, got {requested}")
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if not isinstance(positions, int) or positions < 1:
        return requested
    room = positions - max_new_tokens
    if room < 1:
        raise ValueError(f"max_new_tokens={max_new_tokens} leaves no room for a prompt: the model has "
                         f"{positions} positions (max_position_embeddings)")
    return room if requested is None else min(room, requested)


def _longest_token(tokenizer: Any) -> int:
    """Characters of the tokenizer's longest vocabulary entry (a prompt has at least len / this tokens)."""
    try:
        return max((len(t) for t in tokenizer.get_vocab()), default=0) or 1
    except (AttributeError, NotImplementedError, TypeError):
        return 0  # unknown: every prompt is tokenized


def check_prompt_lengths(problems: Sequence[Problem], tokenizer: Any, template: str, limit: int | None) -> None:
    """Fail, naming the first problem whose prompt exceeds ``limit`` tokens (``None``: no bound).

    A prompt longer than ``limit`` times the longest vocabulary entry cannot fit in ``limit`` tokens, so it
    is refused without tokenizing it (tokenizing 50 MB alone takes minutes).

    Raises:
        DataError: Naming the problem id, its prompt length and the limit.
    """
    if limit is None:
        return
    longest = _longest_token(tokenizer)
    for problem in problems:
        prompt = ssft_prompt(template, problem.problem)
        if longest and len(prompt) > limit * longest:
            raise _too_long(problem, f"{len(prompt):,} characters, at least {len(prompt) // longest:,} tokens", limit)
        count = len(tokenizer(prompt)["input_ids"])
        if count > limit:
            raise _too_long(problem, f"{count:,} tokens", limit)


def _too_long(problem: Problem, size: str, limit: int) -> DataError:
    return DataError(
        f"problem {problem.id!r}: its prompt is {size}, over the limit of {limit:,} prompt tokens (the model's "
        "positions less max_new_tokens, or max_prompt_tokens); remove the problem or shorten it"
    )

"""Tokenize problems into SSFT examples with a counted truncation policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mathft.data.problem import Problem
from mathft.data.templates import ssft_prompt
from mathft.datamodules.collate import SSFTExample
from mathft.datamodules.tokenizer import eos_id

__all__ = ["TruncationStats", "encode_problems", "encode_prompts"]

Truncation = Literal["drop", "truncate"]


@dataclass
class TruncationStats:
    """How many examples exceeded ``max_length`` and what the policy did with them."""

    seen: int = 0
    dropped: int = 0
    truncated: int = 0


def encode_prompts(tokenizer: Any, prompts: Sequence[str]) -> list[list[int]]:
    """Prompt ids with the tokenizer's own special tokens (e.g. BOS) but never a trailing EOS."""
    if not prompts:
        return []  # fast tokenizers fail on an empty batch
    eos = tokenizer.eos_token_id
    out = []
    for ids in tokenizer(list(prompts), add_special_tokens=True)["input_ids"]:
        # A few tokenizers append EOS as a "special token"; a prompt must stay open for the solution.
        out.append(ids[:-1] if ids and eos is not None and ids[-1] == eos and eos != tokenizer.bos_token_id else ids)
    return out


def encode_problems(
    tokenizer: Any,
    problems: Sequence[Problem],
    template: str,
    max_length: int,
    truncation: Truncation = "drop",
    stats: TruncationStats | None = None,
) -> list[SSFTExample]:
    """Tokenize ``prompt + solution + EOS``; the loss will cover the solution and EOS only.

    Prompt and solution are tokenized separately so the prompt/solution boundary is exact.

    Args:
        tokenizer: A Hugging Face tokenizer.
        problems: Problems with their reference solutions.
        template: SSFT prompt template with a ``{problem}`` placeholder.
        max_length: Longest allowed ``input_ids``.
        truncation: ``"drop"`` over-long examples, or ``"truncate"`` their solution's tail (EOS is lost,
            so a truncated example never teaches stopping). An example whose prompt alone reaches
            ``max_length`` is dropped either way.
        stats: Counters to update.
    """
    if truncation not in ("drop", "truncate"):
        raise ValueError(f"data.truncation must be 'drop' or 'truncate', got {truncation!r}")
    stats = stats if stats is not None else TruncationStats()
    eos = eos_id(tokenizer)
    if not problems:
        return []
    prompts = encode_prompts(tokenizer, [ssft_prompt(template, p.problem) for p in problems])
    solutions = tokenizer([p.solution for p in problems], add_special_tokens=False)["input_ids"]
    out = []
    for problem, prompt, solution in zip(problems, prompts, solutions):
        ids = list(prompt) + list(solution) + [eos]
        stats.seen += 1
        if len(ids) > max_length:
            if truncation == "drop" or len(prompt) >= max_length:
                stats.dropped += 1
                continue
            stats.truncated += 1
            ids = ids[:max_length]
        out.append(SSFTExample(tuple(ids), len(prompt), problem.id, problem.problem, problem.answer or ""))
    return out

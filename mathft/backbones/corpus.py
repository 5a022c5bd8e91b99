"""The texts a scratch backbone's tokenizer is trained on, from the problems the run will train on.

A tokenizer trained on the synthetic task splits MATH's LaTeX into many more tokens (1.36 characters per
token on MATH500 solutions against 1.76 for one trained on MATH text), which shortens what fits in
``max_length``; so a run on real data trains its tokenizer on that data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from mathft.data.problem import Problem

__all__ = ["problem_corpus", "read_corpus"]


def problem_corpus(problems: Iterable[Problem]) -> list[str]:
    """Every problem in the SSFT prompt followed by its solution, and each MATH-style one also in the
    evaluator prompt, so that the templates' words become tokens (as in the synthetic corpus)."""
    from mathft.data.templates import EVALUATOR_TEMPLATE, SSFT_PROMPT_TEMPLATE

    texts = []
    for p in problems:
        texts.append(SSFT_PROMPT_TEMPLATE.format(problem=p.problem) + p.solution)
        if p.style == "math":
            texts.append(EVALUATOR_TEMPLATE.format(problem=p.problem, solution=p.solution))
    return texts


def read_corpus(specs: Sequence[str | Path]) -> list[str]:
    """:func:`problem_corpus` of every training problem in ``specs`` (MATH trees, PRM800K files, JSONL).

    Raises:
        mathft.data.DataError: On a missing or malformed source, naming file and line; or when the
            sources hold no problem.
    """
    from mathft.data import DataError, read_problems

    problems = [p for spec in specs for p in read_problems(spec, split="train")]
    if not problems:
        raise DataError(f"{', '.join(map(str, specs))}: no problems to train a tokenizer on")
    return problem_corpus(problems)

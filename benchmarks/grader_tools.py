"""Adapters that give mathft's grader and Math-Verify the same small interface for benchmarking.

What is timed for Math-Verify (``mv_equivalent``): ``parse(f"${gold}$")``, then ``parse(f"${pred}$")``,
then ``verify(gold_parsed, pred_parsed)`` -- both strings are parsed for every comparison, exactly as
``mathft.grading.Grader.is_equivalent(gold, pred)`` receives two strings. The ``$...$`` wrapping is what
lets Math-Verify's default ``LatexExtractionConfig`` find bare answers. Parse and verify use
Math-Verify's defaults (5 s ``signal.alarm`` timeouts), so they must run in a main thread.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, Callable, Sequence

Clusters = list[list[int]]


def have_math_verify() -> bool:
    """Whether the optional ``math-verify`` package (the ``bench`` extra) is importable."""
    return importlib.util.find_spec("math_verify") is not None


def quiet_math_verify() -> None:
    """Silence Math-Verify's per-call "Timeout during comparison" warnings (timeouts are counted, not logged)."""
    logging.getLogger("math_verify").setLevel(logging.ERROR)


def clear_math_verify_caches() -> None:
    """Empty Math-Verify's internal ``lru_cache``s so that its timings start cold, like a fresh Grader."""
    from math_verify import parser

    for name in ("parse_latex_cached", "parse_expr_cached", "extract_latex"):
        fn = getattr(parser, name, None)
        if fn is not None and hasattr(fn, "cache_clear"):
            fn.cache_clear()


def mv_parse(answer: str | None) -> list[Any]:
    """Parse one bare answer with Math-Verify (``[]`` for None/unparsable)."""
    from math_verify import parse

    if answer is None:
        return []
    try:
        return parse(f"${answer}$")
    except Exception:  # noqa: BLE001 - Math-Verify may raise on hostile input
        return []


def mv_verify(gold_parsed: list[Any], pred_parsed: list[Any]) -> bool:
    """Math-Verify's ``verify`` on already parsed answers; exceptions count as not equal."""
    from math_verify import verify

    if not gold_parsed or not pred_parsed:
        return False
    try:
        return bool(verify(gold_parsed, pred_parsed))
    except Exception:  # noqa: BLE001
        return False


def mv_equivalent(gold: str, pred: str) -> bool:
    """Math-Verify's decision for one (gold, pred) pair: parse both, then verify."""
    return mv_verify(mv_parse(gold), mv_parse(pred))


def mv_cluster(answers: Sequence[str | None]) -> Clusters:
    """Naive Math-Verify clustering: greedy comparison of each answer with each cluster's representative.

    Identical strings are parsed once and share a cluster (any sensible baseline does that); None and
    unparsable answers join no cluster. Clusters are ordered largest first, ties by first index, to
    match ``mathft.grading.cluster_answers``.
    """
    parsed: dict[str, list[Any]] = {}
    clusters: list[list[int]] = []
    reps: list[list[Any]] = []
    by_string: dict[str, int] = {}
    for i, ans in enumerate(answers):
        if ans is None:
            continue
        if ans in by_string:
            clusters[by_string[ans]].append(i)
            continue
        if ans not in parsed:
            parsed[ans] = mv_parse(ans)
        p = parsed[ans]
        if not p:
            continue
        for k, rep in enumerate(reps):
            if mv_verify(rep, p):
                clusters[k].append(i)
                by_string[ans] = k
                break
        else:
            by_string[ans] = len(clusters)
            clusters.append([i])
            reps.append(p)
    return sorted(clusters, key=lambda c: (-len(c), c[0]))


def make_mathft_equivalent() -> Callable[[str, str], bool]:
    """Factory (picklable, for a guarded child): a fresh mathft ``Grader().is_equivalent``."""
    from mathft.grading import Grader

    return Grader().is_equivalent


def make_mv_equivalent() -> Callable[[str, str], bool]:
    """Factory (picklable, for a guarded child): ``mv_equivalent`` with Math-Verify imported."""
    import math_verify  # noqa: F401 - import cost paid at child start, not in the first timed call

    quiet_math_verify()
    return mv_equivalent


STRESS_MAX_LENGTH = 200_000


def make_mathft_equivalent_long() -> Callable[[str, str], bool]:
    """Factory: ``is_equivalent`` of a Grader whose ``max_length`` lets 100k-char inputs reach the parser."""
    from mathft.grading import Grader

    return Grader(max_length=STRESS_MAX_LENGTH).is_equivalent


def _extract_from_solution(gold: str, pred: str) -> str | None:
    """``extract_answer`` on a solution text ending in ``\\boxed{pred}`` (``gold`` is unused)."""
    from mathft.grading import extract_answer

    return extract_answer(f"We simplify step by step. Thus the answer is $\\boxed{{{pred}}}$.")


def make_mathft_extract() -> Callable[[str, str], str | None]:
    """Factory: mathft's ``extract_answer`` with the (gold, pred) signature used for hostile calls."""
    import mathft.grading  # noqa: F401 - import cost paid at child start

    return _extract_from_solution

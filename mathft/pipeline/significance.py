"""Intervals and paired comparisons for the report, from the per-problem outcomes in stage markers.

Sampling stages (``sample_test_<style>``, ``sample_test_multitask``) and re-ranking stages
(``rerank_<loss>``) record ``metrics.per_problem`` (see :func:`~mathft.pipeline.evaluation.outcome_table`).
From those this module gives every reported accuracy a 95% bootstrap interval over problems, and every
comparison the paper draws a paired difference on the problems both sides saw
(:mod:`mathft.selection.bootstrap`). Markers written before ``per_problem`` existed give no interval and
no comparison rather than a made-up one.

Comparison names are ``"<group>:<metric a>-<metric b>"`` (two metrics of one evaluator's selection) or
``"<a>-<b>:<metric>"`` (one metric of two generators or evaluators); :func:`parse_comparison` reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathft.pipeline.config import PipelineConfig
from mathft.selection.bootstrap import bootstrap_ci, paired_bootstrap_diff

__all__ = ["LEVEL", "RESAMPLES", "comparisons", "intervals", "outcomes_of", "paired", "parse_comparison"]

LEVEL = 0.95
RESAMPLES = 2000

Outcomes = dict[str, Any]
"""A ``per_problem`` block: ``{"problem_ids": [...], "outcomes": {metric: [...]}}``."""


def outcomes_of(marker: dict[str, Any] | None) -> Outcomes | None:
    """The marker's ``per_problem`` block, or ``None`` (a missing stage, or a marker from before it)."""
    if not marker:
        return None
    return marker.get("metrics", {}).get("per_problem")


def _interval(values: Sequence[float], seed: int) -> list[float] | None:
    return list(bootstrap_ci(values, resamples=RESAMPLES, seed=seed, level=LEVEL)) if values else None


def intervals(block: Outcomes | None, names: Sequence[str], *, seed: int) -> dict[str, list[float] | None]:
    """``{name: [low, high]}`` for each metric; ``None`` where the block lacks that metric's outcomes."""
    table = (block or {}).get("outcomes", {})
    return {name: _interval(table[name], seed) if name in table else None for name in names}


def paired(a: Outcomes | None, metric_a: str, b: Outcomes | None, metric_b: str, *,
           seed: int) -> dict[str, Any] | None:
    """``metric_a`` of ``a`` minus ``metric_b`` of ``b`` on the problems both hold, with its interval.

    Returns:
        ``{"diff": float, "ci95": [low, high], "n": problems paired}``, or ``None`` when either side lacks
        the metric or no problem is shared.
    """
    if not a or not b or metric_a not in a["outcomes"] or metric_b not in b["outcomes"]:
        return None
    left = dict(zip(a["problem_ids"], a["outcomes"][metric_a], strict=True))
    right = dict(zip(b["problem_ids"], b["outcomes"][metric_b], strict=True))
    shared = [pid for pid in a["problem_ids"] if pid in right]  # a's order: stable under reruns
    if not shared:
        return None
    diff, (low, high) = paired_bootstrap_diff([left[p] for p in shared], [right[p] for p in shared],
                                              resamples=RESAMPLES, seed=seed, level=LEVEL)
    return {"diff": diff, "ci95": [low, high], "n": len(shared)}


def _planned(config: PipelineConfig, markers: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """``(name, stage a, metric a, stage b, metric b)`` of each comparison the run's stages allow."""
    plan = []
    for style in config.generator.styles:  # the regime: Pass@N > Maj1@N > Pass@1 (paper Sec. 4)
        stage = f"sample_test_{style}"
        plan.append((f"{style}:maj1@N-pass@1", stage, "maj1@N", stage, "pass@1"))
        plan.append((f"{style}:pass@N-maj1@N", stage, "pass@N", stage, "maj1@N"))
        if f"sample_test_fewshot_{style}" in markers:  # SSFT over the base model's few-shot prompt (Table 2)
            for metric in ("pass@1", "maj1@N"):
                plan.append((f"{style}-fewshot_{style}:{metric}", stage, metric, f"sample_test_fewshot_{style}", metric))
    losses = config.evaluator.losses
    for loss in losses:
        for strategy in ("rr_majK", "rr_all"):
            plan.append((f"{loss}:{strategy}-maj1@N", f"rerank_{loss}", strategy, f"rerank_{loss}", "maj1@N"))
        # Re-ranking within the top-K clusters vs over all samples (paper Table 4).
        plan.append((f"{loss}:rr_majK-rr_all", f"rerank_{loss}", "rr_majK", f"rerank_{loss}", "rr_all"))
    if {"margin", "xent"} <= set(losses):
        for strategy in ("rr_majK", "rr_all"):
            plan.append((f"margin-xent:{strategy}", "rerank_margin", strategy, "rerank_xent", strategy))
    if "sample_test_multitask" in markers:
        ssft = f"sample_test_{config.primary_style}"
        for metric in ("maj1@N", "pass@1"):
            plan.append((f"multitask-ssft:{metric}", "sample_test_multitask", metric, ssft, metric))
    if {"math", "prm800k"} <= set(config.generator.styles):
        for metric in ("maj1@N", "pass@1"):
            plan.append((f"prm800k-math:{metric}", "sample_test_prm800k", metric, "sample_test_math", metric))
    return plan


def comparisons(config: PipelineConfig, markers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every comparison of the paper this run has per-problem outcomes for, seeded by ``config.seed``.

    Names: ``<style>:maj1@N-pass@1`` and ``<style>:pass@N-maj1@N`` per generator (the paper's regime),
    ``<loss>:rr_majK-maj1@N``, ``<loss>:rr_all-maj1@N`` and ``<loss>:rr_majK-rr_all`` per evaluator (Tables 3, 4),
    ``margin-xent:rr_majK`` / ``margin-xent:rr_all`` (the two losses, same samples),
    ``<style>-fewshot_<style>:pass@1`` / ``...:maj1@N`` (SSFT vs the base model's few-shot prompt, Table 2),
    ``multitask-ssft:maj1@N`` / ``multitask-ssft:pass@1`` (Table 7) and ``prm800k-math:maj1@N`` /
    ``prm800k-math:pass@1`` (fine-grained vs terse solutions, Table 2). Each is
    ``{"diff", "ci95", "n"}`` in accuracy units (0-1).
    """
    out = {}
    for name, stage_a, metric_a, stage_b, metric_b in _planned(config, markers):
        result = paired(outcomes_of(markers.get(stage_a)), metric_a, outcomes_of(markers.get(stage_b)), metric_b,
                        seed=config.seed)
        if result is not None:
            out[name] = result
    return out


def parse_comparison(name: str) -> tuple[str, str, str, str]:
    """``(side a, side b, metric a, metric b)`` of a comparison name; a side is a generator or evaluator.

    ``"margin:rr_majK-maj1@N"`` -> ``("margin", "margin", "rr_majK", "maj1@N")``;
    ``"prm800k-math:pass@1"`` -> ``("prm800k", "math", "pass@1", "pass@1")``.
    """
    sides, metrics = name.split(":", 1)
    if "-" in metrics:
        metric_a, metric_b = metrics.split("-", 1)
        return sides, sides, metric_a, metric_b
    side_a, side_b = sides.split("-", 1)
    return side_a, side_b, metrics, metrics

"""Majority voting over answer clusters: Maj1@N and MajK@N."""

from __future__ import annotations

from mathft.selection.analysis import ProblemAnalysis

__all__ = ["maj_at_n", "top_k_positions", "top_k_share"]


def maj_at_n(analysis: ProblemAnalysis, k: int = 1) -> float:
    """MajK@N: 1.0 when any of the K largest clusters is correct (K=1: plain majority vote).

    A problem whose samples have no answer at all has no cluster and scores 0.
    """
    return float(any(analysis.cluster_correct[:k]))


def top_k_positions(analysis: ProblemAnalysis, k: int) -> list[int]:
    """Positions of the samples in the K largest clusters, in sample order."""
    return sorted(p for members in analysis.clusters[:k] for p in members)


def top_k_share(analysis: ProblemAnalysis, k: int) -> float:
    """Share of the samples that lie in the K largest clusters (what an evaluator restricted to them
    must score)."""
    if analysis.num_samples == 0:
        return 0.0
    return sum(len(m) for m in analysis.clusters[:k]) / analysis.num_samples

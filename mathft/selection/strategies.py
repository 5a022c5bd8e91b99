"""The six selection strategies of the paper's re-ranking study (Section 3.2, Figure 1).

Each strategy picks one answer for a problem and is scored by whether that answer is correct and by the
share of the samples the evaluator had to score to pick it (its *evaluator cost*). Tie rules, applied
everywhere:

* equal scores go to the smaller sample index;
* equal cluster sizes go to the cluster whose first member comes first (in sample order, or in score
  order for ``maj1_topN``, i.e. the cluster holding the best-scored member);
* equal sums of scores (``w_rr``) go to the earlier cluster in cluster order, i.e. the larger one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mathft.selection.analysis import NO_CLUSTER, ProblemAnalysis
from mathft.selection.voting import top_k_positions, top_k_share

__all__ = ["Verdict", "Strategy", "STRATEGIES", "rr_all", "rr_majk", "w_rr", "w_rr_majk", "maj1", "maj1_top_n"]


@dataclass(frozen=True)
class Verdict:
    """Outcome of one strategy on one problem.

    Attributes:
        correct: Whether the selected answer equals the gold answer.
        cost: Share of the samples the evaluator must score (0 when it needs none).
    """

    correct: bool
    cost: float


Strategy = Callable[..., Verdict]
"""``strategy(analysis, *, k, top_n) -> Verdict``; strategies ignore the parameters they do not use."""


def _best_position(analysis: ProblemAnalysis, positions: Sequence[int]) -> int | None:
    scores = analysis.require_scores()
    # min over (-score, sample index): the best score, ties to the smaller sample index.
    return min(positions, key=lambda p: (-scores[p], analysis.sample_idx[p]), default=None)


def _best_cluster_by_sum(analysis: ProblemAnalysis, num_clusters: int) -> int | None:
    scores = analysis.require_scores()
    sums = [sum(scores[p] for p in members) for members in analysis.clusters[:num_clusters]]
    # max over (sum, -label): the largest sum, ties to the earlier cluster.
    return max(range(len(sums)), key=lambda label: (sums[label], -label), default=None)


def _position_correct(analysis: ProblemAnalysis, position: int | None) -> bool:
    if position is None:
        return False
    label = analysis.labels[position]
    return label != NO_CLUSTER and analysis.cluster_correct[label]


def _cluster_correct(analysis: ProblemAnalysis, label: int | None) -> bool:
    return label is not None and analysis.cluster_correct[label]


def _full_cost(analysis: ProblemAnalysis) -> float:
    return 1.0 if analysis.num_samples else 0.0


def rr_all(analysis: ProblemAnalysis, **_: int) -> Verdict:
    """Re-rank all samples: the highest-scored sample's answer."""
    best = _best_position(analysis, range(analysis.num_samples))
    return Verdict(_position_correct(analysis, best), _full_cost(analysis))


def rr_majk(analysis: ProblemAnalysis, *, k: int, **_: int) -> Verdict:
    """The highest-scored sample among the K largest clusters (the paper's RR.MajK)."""
    best = _best_position(analysis, top_k_positions(analysis, k))
    return Verdict(_position_correct(analysis, best), top_k_share(analysis, k))


def w_rr(analysis: ProblemAnalysis, **_: int) -> Verdict:
    """Weighted re-ranking: the cluster with the largest sum of scores."""
    label = _best_cluster_by_sum(analysis, len(analysis.clusters))
    return Verdict(_cluster_correct(analysis, label), _full_cost(analysis))


def w_rr_majk(analysis: ProblemAnalysis, *, k: int, **_: int) -> Verdict:
    """Weighted re-ranking restricted to the K largest clusters."""
    label = _best_cluster_by_sum(analysis, k)
    return Verdict(_cluster_correct(analysis, label), top_k_share(analysis, k))


def maj1(analysis: ProblemAnalysis, **_: int) -> Verdict:
    """Plain majority vote (Maj1@N); needs no evaluator."""
    return Verdict(bool(analysis.cluster_correct[:1]) and analysis.cluster_correct[0], 0.0)


def maj1_top_n(analysis: ProblemAnalysis, *, top_n: int, **_: int) -> Verdict:
    """Majority vote among the N' best-scored samples; equal counts go to the cluster holding the
    best-scored member."""
    counts: dict[int, int] = {}
    first_rank: dict[int, int] = {}
    for rank, position in enumerate(analysis.score_order()[:top_n]):
        label = analysis.labels[position]
        if label != NO_CLUSTER:
            counts[label] = counts.get(label, 0) + 1
            first_rank.setdefault(label, rank)
    winner = min(counts, key=lambda label: (-counts[label], first_rank[label]), default=None)
    return Verdict(_cluster_correct(analysis, winner), _full_cost(analysis))


# Plain name -> function mapping; the names are the metric keys of mathft.metrics and `mathft rerank`.
STRATEGIES: dict[str, Strategy] = {
    "rr_all": rr_all,
    "rr_majK": rr_majk,
    "w_rr": w_rr,
    "w_rr_majK": w_rr_majk,
    "maj1": maj1,
    "maj1_topN": maj1_top_n,
}

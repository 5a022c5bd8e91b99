"""Every metric as a function of K (clusters kept), N' (top-scored samples voted) and n (samples drawn).

Curves reuse the per-problem analyses: no answer is graded again. Metrics that do not depend on the swept
parameter are computed once and drawn flat, so that every curve carries every metric.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mathft.selection.analysis import ProblemAnalysis
from mathft.selection.passk import pass_at_1, pass_at_k
from mathft.selection.verdicts import DEPENDS_ON_K, DEPENDS_ON_TOP_N, Summary, metric_names, summarize

__all__ = ["Curve", "curves_by_k", "curves_by_top_n", "curves_by_samples", "max_clusters", "max_samples"]


@dataclass(frozen=True)
class Curve:
    """Metric means along one swept parameter.

    Attributes:
        x: The parameter values (K, N' or n), ascending.
        accuracy: For each metric, its mean over problems at each x.
        cost: For each strategy, its mean evaluator cost at each x.
    """

    x: list[int]
    accuracy: dict[str, list[float]]
    cost: dict[str, list[float]]


def max_clusters(analyses: Sequence[ProblemAnalysis]) -> int:
    """The largest number of clusters of any problem (at least 1)."""
    return max((len(a.clusters) for a in analyses), default=0) or 1


def max_samples(analyses: Sequence[ProblemAnalysis]) -> int:
    """The largest N of any problem (at least 1)."""
    return max((a.num_samples for a in analyses), default=0) or 1


def _names(analyses: Sequence[ProblemAnalysis], names: Sequence[str] | None) -> list[str]:
    return list(names) if names is not None else metric_names(all(a.scores is not None for a in analyses))


def _sweep(xs: Sequence[int], names: Sequence[str], varying: frozenset[str], at: Callable[..., Summary]) -> Curve:
    flat_names = [n for n in names if n not in varying]
    swept_names = [n for n in names if n in varying]
    flat = at(xs[0], flat_names)
    points = [at(x, swept_names) for x in xs]
    accuracy = {n: [flat.metrics[n]] * len(xs) for n in flat_names}
    accuracy.update({n: [p.metrics[n] for p in points] for n in swept_names})
    cost = {n: [flat.evaluator_cost[n]] * len(xs) for n in flat.evaluator_cost}
    cost.update({n: [p.evaluator_cost[n] for p in points] for n in points[0].evaluator_cost})
    return Curve(list(xs), {n: accuracy[n] for n in names}, {n: cost[n] for n in names if n in cost})


def curves_by_k(
    analyses: Sequence[ProblemAnalysis], *, top_n: int, max_k: int | None = None, names: Sequence[str] | None = None
) -> Curve:
    """Every metric for K = 1..max_k (default: the largest number of clusters of any problem)."""
    xs = list(range(1, (max_k or max_clusters(analyses)) + 1))
    at = lambda k, chosen: summarize(analyses, k=k, top_n=top_n, names=chosen)  # noqa: E731
    return _sweep(xs, _names(analyses, names), DEPENDS_ON_K, at)


def curves_by_top_n(
    analyses: Sequence[ProblemAnalysis], *, k: int, max_top_n: int | None = None, names: Sequence[str] | None = None
) -> Curve:
    """Every metric for N' = 1..max_top_n (default: the largest N of any problem)."""
    xs = list(range(1, (max_top_n or max_samples(analyses)) + 1))
    at = lambda top_n, chosen: summarize(analyses, k=k, top_n=top_n, names=chosen)  # noqa: E731
    return _sweep(xs, _names(analyses, names), DEPENDS_ON_TOP_N, at)


def _subsets(analysis: ProblemAnalysis, n: int, repeats: int, rng: random.Random) -> list[ProblemAnalysis]:
    if n >= analysis.num_samples:
        return [analysis]  # only one subset: the whole problem
    return [analysis.subset(rng.sample(range(analysis.num_samples), n)) for _ in range(repeats)]


def _point_by_samples(
    analyses: Sequence[ProblemAnalysis], n: int, names: Sequence[str], k: int, top_n: int, draw: Callable[..., list]
) -> tuple[dict[str, float], dict[str, float]]:
    accuracy = dict.fromkeys(names, 0.0)
    cost: dict[str, float] = {}
    for analysis in analyses:
        subsets = draw(analysis, n)
        summary = summarize(subsets, k=k, top_n=top_n, names=names)
        for name in names:
            accuracy[name] += summary.metrics[name] / len(analyses)
        for name, value in summary.evaluator_cost.items():
            cost[name] = cost.get(name, 0.0) + value / len(analyses)
    if "pass@1" in accuracy:
        # pass@1 of a random subset is unbiased for the full set's: use the exact value, not a noisy one.
        accuracy["pass@1"] = sum(pass_at_1(a) for a in analyses) / max(len(analyses), 1)
    if "pass@N" in accuracy:
        # The unbiased estimator is the exact mean over all subsets of size n: no sampling noise.
        accuracy["pass@N"] = sum(
            pass_at_k(a.num_samples, a.num_correct, min(n, a.num_samples)) if a.num_samples else 0.0 for a in analyses
        ) / max(len(analyses), 1)
    return accuracy, cost


def curves_by_samples(
    analyses: Sequence[ProblemAnalysis],
    *,
    k: int,
    top_n: int,
    sizes: Sequence[int] | None = None,
    repeats: int = 8,
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> Curve:
    """Every metric as if only n samples had been drawn per problem, for each n in ``sizes``.

    Each problem's metric at n is its mean over ``repeats`` random subsets of n of its samples (drawn with
    ``seed``, so the curve is reproducible), not over its first n samples, which would inherit any order
    bias of the sampler. ``pass@N`` at n is the exact unbiased pass@n and ``pass@1`` the full set's.
    Problems with N <= n use all their samples.

    Args:
        analyses: One analysis per problem.
        k: K of the MajK metrics.
        top_n: N' of ``maj1_topN`` (capped at n by the subset size).
        sizes: Values of n; defaults to 1..max N.
        repeats: Random subsets per problem and n.
        seed: Seed of the subset draws.
        names: Metrics to compute; defaults to all available.
    """
    xs = sorted(set(sizes)) if sizes is not None else list(range(1, max_samples(analyses) + 1))
    chosen = _names(analyses, names)
    rng = random.Random(seed)
    draw = lambda analysis, n: _subsets(analysis, n, repeats, rng)  # noqa: E731
    points = [_point_by_samples(analyses, n, chosen, k, top_n, draw) for n in xs]
    accuracy = {name: [p[0][name] for p in points] for name in chosen}
    cost = {name: [p[1][name] for p in points] for name in points[0][1]} if points else {}
    return Curve(xs, accuracy, cost)

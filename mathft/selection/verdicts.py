"""All metrics of one problem in one place, and their means over problems.

The ten metric names are the keys used by :mod:`mathft.metrics`, ``mathft rerank`` and the logs:
sampling metrics (``pass@1``, ``pass@N``, ``maj1@N``, ``majK@N``) need no evaluator; re-ranking strategies
(``rr_all``, ``rr_majK``, ``w_rr``, ``w_rr_majK``, ``maj1``, ``maj1_topN``) all but ``maj1`` need scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mathft.selection.analysis import ProblemAnalysis
from mathft.selection.passk import pass_at_1, pass_at_n
from mathft.selection.strategies import STRATEGIES
from mathft.selection.voting import maj_at_n

__all__ = [
    "SAMPLING_METRICS",
    "SAMPLING_NAMES",
    "STRATEGY_NAMES",
    "SCORE_FREE",
    "DEPENDS_ON_K",
    "DEPENDS_ON_TOP_N",
    "Summary",
    "metric_names",
    "check_settings",
    "problem_values",
    "problem_costs",
    "summarize",
]

SAMPLING_METRICS: dict[str, Callable[..., float]] = {
    "pass@1": lambda a, **_: pass_at_1(a),
    "pass@N": lambda a, **_: pass_at_n(a),
    "maj1@N": lambda a, **_: maj_at_n(a, 1),
    "majK@N": lambda a, *, k, **_: maj_at_n(a, k),
}
SAMPLING_NAMES: tuple[str, ...] = tuple(SAMPLING_METRICS)
STRATEGY_NAMES: tuple[str, ...] = tuple(STRATEGIES)
# Metrics computable without evaluator scores.
SCORE_FREE: frozenset[str] = frozenset({*SAMPLING_NAMES, "maj1"})
# Metrics that change with K (clusters) or N' (top-scored samples); the others are flat in those curves.
DEPENDS_ON_K: frozenset[str] = frozenset({"majK@N", "rr_majK", "w_rr_majK"})
DEPENDS_ON_TOP_N: frozenset[str] = frozenset({"maj1_topN"})


def metric_names(scored: bool = True) -> list[str]:
    """The ten metric names in canonical order, or only the score-free ones when ``scored`` is false."""
    return [name for name in (*SAMPLING_NAMES, *STRATEGY_NAMES) if scored or name in SCORE_FREE]


def check_settings(k: int, top_n: int) -> None:
    """Fail unless K and N' are positive integers.

    ``k=0`` keeps no cluster and ``top_n=0`` votes over no sample; negative values slice from the end of
    the cluster or score order. Each gives a number that looks like an accuracy and means nothing.

    Raises:
        ValueError: Naming the setting and its value.
    """
    for name, value in (("k", k), ("top_n", top_n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def problem_values(analysis: ProblemAnalysis, names: Iterable[str], *, k: int, top_n: int) -> dict[str, float]:
    """The verdict (0/1, or a fraction for unbiased pass@1) of each named metric on one problem."""
    check_settings(k, top_n)
    out: dict[str, float] = {}
    for name in names:
        if name in SAMPLING_METRICS:
            out[name] = SAMPLING_METRICS[name](analysis, k=k, top_n=top_n)
        else:
            out[name] = float(STRATEGIES[name](analysis, k=k, top_n=top_n).correct)
    return out


def problem_costs(analysis: ProblemAnalysis, names: Iterable[str], *, k: int, top_n: int) -> dict[str, float]:
    """The evaluator cost (share of samples scored) of each named strategy on one problem."""
    return {name: STRATEGIES[name](analysis, k=k, top_n=top_n).cost for name in names if name in STRATEGIES}


@dataclass(frozen=True)
class Summary:
    """Means over problems.

    Attributes:
        num_problems: Number of problems averaged.
        metrics: Mean verdict of each metric, in [0, 1].
        evaluator_cost: Mean evaluator cost of each strategy, in [0, 1].
    """

    num_problems: int
    metrics: dict[str, float]
    evaluator_cost: dict[str, float]


def _mean_dicts(rows: Sequence[dict[str, float]], names: Sequence[str]) -> dict[str, float]:
    if not rows:
        return dict.fromkeys(names, 0.0)
    return {name: sum(row[name] for row in rows) / len(rows) for name in names}


def summarize(
    analyses: Sequence[ProblemAnalysis], *, k: int, top_n: int, names: Sequence[str] | None = None
) -> Summary:
    """Mean of every metric and evaluator cost over the problems.

    Args:
        analyses: One analysis per problem.
        k: K of the MajK metrics.
        top_n: N' of ``maj1_topN``.
        names: Metrics to compute; defaults to all, or to the score-free ones when a problem is unscored.

    Raises:
        ValueError: When ``k`` or ``top_n`` is not a positive integer.
    """
    check_settings(k, top_n)
    if names is None:
        names = metric_names(scored=all(a.scores is not None for a in analyses))
    values = [problem_values(a, names, k=k, top_n=top_n) for a in analyses]
    costs = [problem_costs(a, names, k=k, top_n=top_n) for a in analyses]
    cost_names = [name for name in names if name in STRATEGIES]
    return Summary(len(analyses), _mean_dicts(values, names), _mean_dicts(costs, cost_names))

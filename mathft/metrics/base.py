"""Shared machinery of the selection metrics: grade once per problem, keep per-problem verdict sums.

The selection layer (:mod:`mathft.selection`) computes every verdict; this class only accumulates them in
sum states so that DDP ranks reduce by summation (``dist_reduce_fx="sum"``): the synced result is the
same as if one process had seen every problem, whatever the number of ranks.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric

from mathft.records import ProblemGroup
from mathft.selection import AnswerGrader, Curve, ProblemAnalysis, analyze_problem, default_grader
from mathft.selection.verdicts import DEPENDS_ON_K, problem_costs, problem_values

__all__ = ["SelectionMetric"]


class SelectionMetric(Metric):
    """Mean of named per-problem selection metrics, plus their curves over K.

    Subclasses choose the metric names; see :class:`~mathft.metrics.SamplingMetrics` and
    :class:`~mathft.metrics.RerankMetrics`.

    Args:
        names: The metric names (keys of :func:`compute`).
        grader: Equivalence grader; defaults to :func:`mathft.selection.default_grader`, created on
            first use so that building the metric starts no grading worker.
        k: K of the MajK metrics.
        top_n: N' of ``maj1_topN``.
        max_k: Length of the curves over K (K = 1..max_k; past a problem's cluster count the value
            stays at its last one).
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self,
        names: Sequence[str],
        grader: AnswerGrader | None = None,
        *,
        k: int = 8,
        top_n: int = 16,
        max_k: int = 16,
    ) -> None:
        super().__init__()
        if k < 1 or top_n < 1 or max_k < 1:
            raise ValueError(f"k, top_n and max_k must be >= 1, got k={k}, top_n={top_n}, max_k={max_k}")
        self.names = tuple(names)
        self.k, self.top_n, self.max_k = k, top_n, max_k
        self._grader = grader
        m = len(self.names)
        # float64: sums over tens of thousands of problems must stay exact enough to compare across ranks.
        self.add_state("count", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("value_sum", torch.zeros(m, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("cost_sum", torch.zeros(m, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("value_by_k", torch.zeros(m, max_k, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("cost_by_k", torch.zeros(m, max_k, dtype=torch.float64), dist_reduce_fx="sum")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle/deepcopy state; a grader that cannot be pickled (worker processes, locks) is left out
        and the copy grades with the package default grader, which follows the same policy."""
        state = super().__getstate__()
        try:
            pickle.dumps(self._grader)
        except (TypeError, AttributeError, pickle.PicklingError):
            state["_grader"] = None
        return state

    @property
    def grader(self) -> AnswerGrader:
        """The grader in use (the package default grader unless one was injected)."""
        if self._grader is None:
            self._grader = default_grader()
        return self._grader

    def update(self, problems: Sequence[ProblemGroup | ProblemAnalysis]) -> None:
        """Grade and accumulate a batch of problems (each problem once per epoch, on one rank).

        Items that are already :class:`~mathft.selection.ProblemAnalysis` are not graded again, so a
        module can analyse a batch once and feed it to several metrics.
        """
        analyses = [p if isinstance(p, ProblemAnalysis) else analyze_problem(p, self.grader) for p in problems]
        if not analyses:
            return
        for analysis in analyses:  # all checks first: a rejected batch leaves every state untouched
            self._check(analysis)
        for analysis in analyses:
            self._extra_update(analysis)
        rows = [self._problem_rows(analysis) for analysis in analyses]
        # One tensor op per state and batch: building tensors per problem would dominate the update.
        device = self.count.device
        as_tensor = lambda i: torch.tensor([r[i] for r in rows], dtype=torch.float64, device=device)  # noqa: E731
        self.count += len(rows)
        self.value_sum += as_tensor(0).sum(0)
        self.cost_sum += as_tensor(1).sum(0)
        self.value_by_k += as_tensor(2).sum(0)
        self.cost_by_k += as_tensor(3).sum(0)

    def _problem_rows(self, analysis: ProblemAnalysis) -> tuple[list[float], list[float], list, list]:
        """Per-problem verdicts, costs and their K curves (columns K = 1..max_k) as plain lists."""
        values = self._row(problem_values(analysis, self.names, k=self.k, top_n=self.top_n))
        costs = self._row(problem_costs(analysis, self.names, k=self.k, top_n=self.top_n))
        k_names = [name for name in self.names if name in DEPENDS_ON_K]
        ks = range(1, self.max_k + 1)
        values_by_k = [self._row(problem_values(analysis, k_names, k=k, top_n=self.top_n)) for k in ks]
        costs_by_k = [self._row(problem_costs(analysis, k_names, k=k, top_n=self.top_n)) for k in ks]
        transpose = lambda columns: [list(row) for row in zip(*columns, strict=True)]  # noqa: E731
        return values, costs, transpose(values_by_k), transpose(costs_by_k)

    def compute(self) -> dict[str, Tensor]:
        """Mean of each metric over the problems seen (on all ranks), keyed by metric name."""
        means = self.value_sum / self.count.clamp(min=1)
        return {name: means[i].float() for i, name in enumerate(self.names)}

    def curve_by_k(self) -> Curve:
        """Every metric and evaluator cost for K = 1..max_k, synced across ranks."""
        with self.sync_context(should_unsync=True):
            count = max(float(self.count), 1.0)
            values, costs = (self.value_by_k / count).tolist(), (self.cost_by_k / count).tolist()
            flat_values, flat_costs = (self.value_sum / count).tolist(), (self.cost_sum / count).tolist()
        xs = list(range(1, self.max_k + 1))
        pick = lambda i, by_k, flat: by_k[i] if self.names[i] in DEPENDS_ON_K else [flat[i]] * len(xs)  # noqa: E731
        accuracy = {name: pick(i, values, flat_values) for i, name in enumerate(self.names)}
        cost = {name: pick(i, costs, flat_costs) for i, name in enumerate(self.names) if self._has_cost(name)}
        return Curve(xs, accuracy, cost)

    def _row(self, values: dict[str, float]) -> list[float]:
        return [values.get(name, 0.0) for name in self.names]

    def _check(self, analysis: ProblemAnalysis) -> None:
        """Hook: reject problems the metric cannot score."""

    def _extra_update(self, analysis: ProblemAnalysis) -> None:
        """Hook: accumulate subclass-specific states."""

    def _has_cost(self, name: str) -> bool:
        return False

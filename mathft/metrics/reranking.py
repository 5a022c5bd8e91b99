"""Re-ranking strategies: accuracy and evaluator cost of the paper's six selection strategies."""

from __future__ import annotations

import torch

from mathft.selection import AnswerGrader, Curve, ProblemAnalysis
from mathft.selection.verdicts import DEPENDS_ON_TOP_N, STRATEGY_NAMES, problem_values

from mathft.metrics.base import SelectionMetric

__all__ = ["RerankMetrics"]


class RerankMetrics(SelectionMetric):
    """Accuracy of ``rr_all``, ``rr_majK``, ``w_rr``, ``w_rr_majK``, ``maj1`` and ``maj1_topN``.

    Every sample of every problem must carry an evaluator score. ``compute()`` returns those six keys;
    :meth:`evaluator_cost` the share of samples each strategy has the evaluator score.

    Args:
        grader: Equivalence grader; defaults to the package default grader.
        k: K of the MajK strategies.
        top_n: N' of ``maj1_topN``.
        max_k: Length of the curves over K.
        max_top_n: Length of the curve over N' (N' = 1..max_top_n).
    """

    def __init__(
        self,
        grader: AnswerGrader | None = None,
        *,
        k: int = 8,
        top_n: int = 16,
        max_k: int = 16,
        max_top_n: int = 64,
    ) -> None:
        super().__init__(STRATEGY_NAMES, grader, k=k, top_n=top_n, max_k=max_k)
        self.max_top_n = max_top_n
        m = len(self.names)
        self.add_state("value_by_top_n", torch.zeros(m, max_top_n, dtype=torch.float64), dist_reduce_fx="sum")

    def evaluator_cost(self) -> dict[str, torch.Tensor]:
        """Mean share of the samples the evaluator scores, per strategy, synced across ranks."""
        with self.sync_context(should_unsync=True):
            means = self.cost_sum / self.count.clamp(min=1)
        return {name: means[i].float() for i, name in enumerate(self.names)}

    def curve_by_top_n(self) -> Curve:
        """Every strategy for N' = 1..max_top_n (flat for those that do not use N'), synced across ranks."""
        with self.sync_context(should_unsync=True):
            count = max(float(self.count), 1.0)
            by_top_n, flat = (self.value_by_top_n / count).tolist(), (self.value_sum / count).tolist()
        xs = list(range(1, self.max_top_n + 1))
        accuracy = {
            name: by_top_n[i] if name in DEPENDS_ON_TOP_N else [flat[i]] * len(xs) for i, name in enumerate(self.names)
        }
        return Curve(xs, accuracy, {})

    def _check(self, analysis: ProblemAnalysis) -> None:
        analysis.require_scores()

    def _extra_update(self, analysis: ProblemAnalysis) -> None:
        names = [name for name in self.names if name in DEPENDS_ON_TOP_N]
        rows = [problem_values(analysis, names, k=self.k, top_n=n) for n in range(1, self.max_top_n + 1)]
        table = [[row.get(name, 0.0) for row in rows] for name in self.names]
        self.value_by_top_n += torch.tensor(table, dtype=torch.float64, device=self.value_by_top_n.device)

    def _has_cost(self, name: str) -> bool:
        return True

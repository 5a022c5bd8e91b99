"""Sampling metrics: Pass@1, Pass@N, Maj1@N, MajK@N and the unbiased pass@k curve."""

from __future__ import annotations

import torch

from mathft.selection import AnswerGrader, Curve, ProblemAnalysis
from mathft.selection.passk import pass_at_k_curve
from mathft.selection.verdicts import SAMPLING_NAMES

from mathft.metrics.base import SelectionMetric

__all__ = ["SamplingMetrics"]


class SamplingMetrics(SelectionMetric):
    """How good the samples are, without an evaluator: ``pass@1``, ``pass@N``, ``maj1@N``, ``majK@N``.

    ``update(problems)`` takes :class:`~mathft.records.ProblemGroup` s (answers extracted); ``compute()``
    returns those four keys (log them as ``f"{stage}/{name}"``).

    Args:
        grader: Equivalence grader; defaults to the package default grader.
        k: K of ``majK@N``.
        max_k: Length of the MajK curve (K = 1..max_k).
        max_n: Length of the pass@k curve (k = 1..max_n; past a problem's N it stays at pass@N).
    """

    def __init__(self, grader: AnswerGrader | None = None, *, k: int = 8, max_k: int = 16, max_n: int = 64) -> None:
        super().__init__(SAMPLING_NAMES, grader, k=k, max_k=max_k)
        self.max_n = max_n
        self.add_state("pass_at_k_sum", torch.zeros(max_n, dtype=torch.float64), dist_reduce_fx="sum")

    def _extra_update(self, analysis: ProblemAnalysis) -> None:
        curve = torch.tensor(pass_at_k_curve(analysis, self.max_n), dtype=torch.float64)
        self.pass_at_k_sum += curve.to(self.pass_at_k_sum.device)

    def pass_at_k(self) -> Curve:
        """The unbiased pass@k for k = 1..max_n, synced across ranks (x is k, the key is ``pass@k``)."""
        with self.sync_context(should_unsync=True):
            values = (self.pass_at_k_sum / self.count.clamp(min=1)).tolist()
        return Curve(list(range(1, self.max_n + 1)), {"pass@k": values}, {})

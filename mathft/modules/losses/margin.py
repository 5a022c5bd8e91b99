"""Pairwise margin loss of the sequence-ranking evaluator (paper Eq. 8)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mathft.modules.losses.inputs import VerdictLossInputs

__all__ = ["pairwise_margin_loss", "PairwiseMarginLoss"]


def pairwise_margin_loss(log_score: Tensor, pair_index: Tensor, margin: float = math.log(2.0)) -> Tensor:
    """``L_seq = mean over pairs of max(0, log S(x-) - log S(x+) + λ)`` (paper Eq. 8).

    Example (worked by hand), λ = ln 2: pair A has S(x+) = 0.8, S(x-) = 0.5, so
    ``ln 0.5 - ln 0.8 + ln 2 = ln 1.25 = 0.22314``; pair B has S(x+) = 0.9, S(x-) = 0.3, so
    ``ln(0.3 * 2 / 0.9) < 0`` gives 0. The mean is ``0.11157``.

    Args:
        log_score: ``FloatTensor[M]``, ``log S`` of every candidate row.
        pair_index: ``LongTensor[P, 2]`` of ``(positive_row, negative_row)``.
        margin: The margin λ (the paper uses ``log 2``: S(x+) should be at least twice S(x-)).

    Returns:
        A scalar; 0 (attached to the graph) when the batch has no pairs.
    """
    if pair_index.numel() == 0:
        return log_score.sum() * 0.0
    positive = log_score[pair_index[:, 0]]
    negative = log_score[pair_index[:, 1]]
    return torch.clamp(negative - positive + margin, min=0.0).mean()


class PairwiseMarginLoss(nn.Module):
    """Sequence-ranking loss, paper Eq. 8 (see :func:`pairwise_margin_loss`).

    ``needs_pairs``: a row in no (correct, incorrect) pair takes no loss, so the evaluator module asks its
    data module for batches of paired rows only (``EvaluatorDataModule(pairs_only=...)``).

    Args:
        margin: λ, in log space; defaults to ``log 2``.
    """

    needs_pairs = True

    def __init__(self, margin: float = math.log(2.0)) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, inputs: VerdictLossInputs) -> Tensor:
        return pairwise_margin_loss(inputs.log_score, inputs.pair_index, self.margin)

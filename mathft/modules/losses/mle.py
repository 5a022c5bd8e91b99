"""Maximum-likelihood loss on solution tokens (paper Eq. 3)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from mathft.modules.losses.inputs import TokenLossInputs

__all__ = ["mle_loss", "MLELoss"]


def mle_loss(logits: Tensor, labels: Tensor, ignore_index: int = -100) -> Tensor:
    """Mean negative log-likelihood of the labelled tokens (paper Eq. 3, averaged over solution tokens).

    ``L_mle = -1/|S| * sum_t log p(s_t | s_<t, q)`` over every labelled token of the batch. The labels are
    aligned with the inputs, so position ``t`` of ``logits`` predicts ``labels[t + 1]``.

    Example (worked by hand): one row, vocabulary 2, logits ``[[0, 0], [ln 3, 0]]``, labels ``[-100, 0]``:
    the only scored token is predicted by position 0 with p = 1/2, so the loss is ``ln 2 = 0.6931``.

    Args:
        logits: ``FloatTensor[B, T, V]``.
        labels: ``LongTensor[B, T]``, ``ignore_index`` on prompt and padding tokens.
        ignore_index: Label value that takes no loss.

    Returns:
        A scalar; 0 (still attached to the graph) when no token is labelled.
    """
    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    if not (shift_labels != ignore_index).any():
        return shift_logits.sum() * 0.0
    return F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1), ignore_index=ignore_index
    )


class MLELoss(nn.Module):
    """Token-level MLE on solution tokens, paper Eq. 3 (see :func:`mle_loss`)."""

    def __init__(self, ignore_index: int = -100) -> None:
        super().__init__()
        self.ignore_index = ignore_index

    def forward(self, inputs: TokenLossInputs) -> Tensor:
        return mle_loss(inputs.logits, inputs.labels, self.ignore_index)

"""Binary cross-entropy over the two verdict words (paper Eq. 9)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from mathft.modules.losses.inputs import VerdictLossInputs

__all__ = ["verdict_bce_loss", "VerdictBCELoss"]


def verdict_bce_loss(log_p_correct: Tensor, log_p_incorrect: Tensor, labels: Tensor) -> Tensor:
    """``L_cls = -mean[y log S + (1 - y) log(1 - S)]`` with S of paper Eq. 7 (paper Eq. 9).

    Since ``S = sigmoid(log p(c) - log p(i))``, this is BCE-with-logits on the log-probability difference,
    which is stable and needs only the two verdict rows of the LM head.

    Example (worked by hand): row 1 has p(c) = 0.6, p(i) = 0.2 (S = 0.75) and y = 1, row 2 has
    p(c) = p(i) (S = 0.5) and y = 0: ``-(ln 0.75 + ln 0.5) / 2 = (0.28768 + 0.69315) / 2 = 0.49041``.

    Args:
        log_p_correct: ``FloatTensor[M]``.
        log_p_incorrect: ``FloatTensor[M]``.
        labels: ``FloatTensor[M]`` in {0, 1}.
    """
    return F.binary_cross_entropy_with_logits(
        (log_p_correct - log_p_incorrect).float(), labels.to(dtype=log_p_correct.dtype).float()
    )


class VerdictBCELoss(nn.Module):
    """Classification loss over "correct"/"incorrect", paper Eq. 9 (see :func:`verdict_bce_loss`)."""

    def forward(self, inputs: VerdictLossInputs) -> Tensor:
        return verdict_bce_loss(inputs.log_p_correct, inputs.log_p_incorrect, inputs.labels)

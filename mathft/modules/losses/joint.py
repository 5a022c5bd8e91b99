"""Joint evaluator objectives: an evaluator loss plus α times the MLE loss (paper Eq. 11-13)."""

from __future__ import annotations

from torch import Tensor, nn

from mathft.modules.losses.inputs import VerdictLossInputs

__all__ = ["JointLoss"]


class JointLoss(nn.Module):
    """``L = L_eval + α · L_mle``: Eq. 12 with the margin loss (``L_seq``), Eq. 13 with BCE (``L_cls``).

    The module computes the MLE term only for losses that declare ``requires_mle = True``, so plain
    evaluator losses never pay for full-vocabulary logits. It does not declare ``needs_pairs`` even around
    the margin loss: the MLE term learns from every correct row, paired or not.

    Example (worked by hand): ``L_eval = 0.5``, ``L_mle = 2.0``, α = 0.25 gives ``0.5 + 0.25 * 2 = 1.0``.

    Args:
        primary: The evaluator loss component (e.g. ``PairwiseMarginLoss`` or ``VerdictBCELoss``).
        alpha: Weight α of the MLE term.
    """

    requires_mle = True

    def __init__(self, primary: nn.Module, alpha: float = 1.0) -> None:
        super().__init__()
        self.primary = primary
        self.alpha = alpha

    def forward(self, inputs: VerdictLossInputs) -> Tensor:
        if inputs.mle_loss is None:
            raise ValueError("JointLoss needs VerdictLossInputs.mle_loss; the module did not compute it")
        return self.primary(inputs) + self.alpha * inputs.mle_loss

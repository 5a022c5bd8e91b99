"""A toy evaluator loss written as one small component, to be named in YAML by ``class_path``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mathft.modules.losses import VerdictLossInputs


class SquaredScoreError(nn.Module):
    """``mean((S - y)^2)``: a Brier score on the verdict probability S (paper Eq. 7).

    Example (by hand): S = 0.75 with y = 1 and S = 0.5 with y = 0 give ``(0.0625 + 0.25) / 2 = 0.15625``.
    """

    def forward(self, inputs: VerdictLossInputs) -> Tensor:
        return ((inputs.log_score.exp() - inputs.labels) ** 2).mean()


__all__ = ["SquaredScoreError", "torch"]

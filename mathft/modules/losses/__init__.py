"""Loss components, one per file: pure functions plus small ``nn.Module`` wrappers named in YAML."""

from mathft.modules.losses.bce import VerdictBCELoss, verdict_bce_loss
from mathft.modules.losses.inputs import TokenLoss, TokenLossInputs, VerdictLoss, VerdictLossInputs, log_verdict_score
from mathft.modules.losses.joint import JointLoss
from mathft.modules.losses.margin import PairwiseMarginLoss, pairwise_margin_loss
from mathft.modules.losses.mle import MLELoss, mle_loss

__all__ = [
    "TokenLossInputs",
    "VerdictLossInputs",
    "TokenLoss",
    "VerdictLoss",
    "log_verdict_score",
    "mle_loss",
    "MLELoss",
    "pairwise_margin_loss",
    "PairwiseMarginLoss",
    "verdict_bce_loss",
    "VerdictBCELoss",
    "JointLoss",
]

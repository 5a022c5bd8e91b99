"""The small typed inputs that every loss component's ``forward`` takes, and the two kinds of component.

Keeping the inputs in two dataclasses (token-level and verdict-level) lets a new loss be written as one
small ``nn.Module`` and named in YAML, without the LightningModule knowing which loss it runs.
:class:`TokenLoss` and :class:`VerdictLoss` say what such a module looks like; the modules' ``loss``
arguments are typed with them, so the CLI lists and accepts only matching components (typed as any
``nn.Module``, ``--help`` listed every module class torch defines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

__all__ = ["TokenLossInputs", "VerdictLossInputs", "TokenLoss", "VerdictLoss", "log_verdict_score"]


@dataclass(frozen=True)
class TokenLossInputs:
    """Inputs of a token-level (language modelling) loss.

    Attributes:
        logits: ``FloatTensor[B, T, V]`` next-token logits at every position.
        labels: ``LongTensor[B, T]`` aligned with the *inputs* (not shifted), ``-100`` where no loss is taken.
    """

    logits: Tensor
    labels: Tensor


@dataclass(frozen=True)
class VerdictLossInputs:
    """Inputs of an evaluator loss: the verdict-word log-probabilities of M candidate rows.

    ``log_p_correct`` and ``log_p_incorrect`` may share any per-row additive constant (e.g. be raw logits of
    the two words): every quantity the paper uses depends only on their difference.

    Attributes:
        log_p_correct: ``FloatTensor[M]``, log p("correct" | x) (up to a per-row constant).
        log_p_incorrect: ``FloatTensor[M]``, log p("incorrect" | x) (same constant).
        labels: ``FloatTensor[M]``, 1.0 for a correct candidate and 0.0 for an incorrect one.
        pair_index: ``LongTensor[P, 2]`` of ``(positive_row, negative_row)``; ``[0, 2]`` when there are none.
        mle_loss: The generator MLE term (Eq. 3) for joint objectives (Eq. 11-13); ``None`` unless the loss
            component sets ``requires_mle = True``.
    """

    log_p_correct: Tensor
    log_p_incorrect: Tensor
    labels: Tensor
    pair_index: Tensor
    mle_loss: Tensor | None = None

    @property
    def log_score(self) -> Tensor:
        """``log S(x)`` with ``S = p(correct) / (p(correct) + p(incorrect))`` (paper Eq. 7), ``[M]``."""
        return log_verdict_score(self.log_p_correct, self.log_p_incorrect)


def log_verdict_score(log_p_correct: Tensor, log_p_incorrect: Tensor) -> Tensor:
    """``log S = log p(c) - log(p(c) + p(i))``, computed stably with ``logaddexp`` (paper Eq. 7)."""
    return log_p_correct - torch.logaddexp(log_p_correct, log_p_incorrect)


class TokenLoss(Protocol):
    """A generator loss component: an ``nn.Module`` whose ``forward`` maps :class:`TokenLossInputs` to a scalar."""

    def forward(self, inputs: TokenLossInputs) -> Tensor: ...


class VerdictLoss(Protocol):
    """An evaluator loss component: an ``nn.Module`` whose ``forward`` maps :class:`VerdictLossInputs` to a
    scalar. It may declare ``needs_pairs = True`` (pair-only batches) or ``requires_mle = True``."""

    def forward(self, inputs: VerdictLossInputs) -> Tensor: ...

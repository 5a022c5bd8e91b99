"""Losses against values worked out by hand (the same examples as in their docstrings)."""

from __future__ import annotations

import math

import pytest
import torch

from mathft.modules.losses import (
    JointLoss,
    MLELoss,
    PairwiseMarginLoss,
    TokenLossInputs,
    VerdictBCELoss,
    VerdictLossInputs,
    log_verdict_score,
    mle_loss,
    pairwise_margin_loss,
    verdict_bce_loss,
)


def _verdicts(p_correct: list[float], p_incorrect: list[float], labels: list[float], pairs: list[tuple[int, int]]):
    return VerdictLossInputs(
        log_p_correct=torch.tensor(p_correct).log(),
        log_p_incorrect=torch.tensor(p_incorrect).log(),
        labels=torch.tensor(labels),
        pair_index=torch.tensor(pairs, dtype=torch.long).reshape(-1, 2),
    )


def test_mle_loss_by_hand() -> None:
    """Position 0 predicts the only labelled token (label 0) with p = 1/2: loss = ln 2 = 0.6931."""
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]]])
    labels = torch.tensor([[-100, 0]])
    assert mle_loss(logits, labels).item() == pytest.approx(math.log(2.0))
    assert MLELoss()(TokenLossInputs(logits, labels)).item() == pytest.approx(math.log(2.0))


def test_mle_loss_without_labels_is_zero_and_differentiable() -> None:
    logits = torch.zeros(1, 3, 4, requires_grad=True)
    loss = mle_loss(logits, torch.full((1, 3), -100))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None


def test_verdict_score_is_normalised_over_the_two_words() -> None:
    """S = 0.6 / (0.6 + 0.2) = 0.75, whatever the shared normaliser."""
    log_s = log_verdict_score(torch.tensor([math.log(0.6) + 5.0]), torch.tensor([math.log(0.2) + 5.0]))
    assert log_s.exp().item() == pytest.approx(0.75)


def test_pairwise_margin_by_hand() -> None:
    """Pair A: S+ = 0.8, S- = 0.5 -> ln(0.5 * 2 / 0.8) = ln 1.25 = 0.22314; pair B: S+ = 0.9, S- = 0.3 -> 0.

    Mean over the two pairs: 0.11157. Rows are given as (p(c), p(i)) with p(c) + p(i) = 1.
    """
    inputs = _verdicts([0.8, 0.5, 0.9, 0.3], [0.2, 0.5, 0.1, 0.7], [1, 0, 1, 0], [(0, 1), (2, 3)])
    expected = math.log(1.25) / 2
    assert pairwise_margin_loss(inputs.log_score, inputs.pair_index).item() == pytest.approx(expected, abs=1e-6)
    assert PairwiseMarginLoss()(inputs).item() == pytest.approx(expected, abs=1e-6)


def test_pairwise_margin_without_pairs_is_zero() -> None:
    inputs = _verdicts([0.8], [0.2], [1], [])
    assert PairwiseMarginLoss()(inputs).item() == 0.0


def test_verdict_bce_by_hand() -> None:
    """Row 1: S = 0.6 / 0.8 = 0.75, y = 1 -> 0.28768; row 2: S = 0.5, y = 0 -> 0.69315; mean 0.49041."""
    inputs = _verdicts([0.6, 0.3], [0.2, 0.3], [1, 0], [])
    expected = (-math.log(0.75) - math.log(0.5)) / 2
    assert verdict_bce_loss(inputs.log_p_correct, inputs.log_p_incorrect, inputs.labels).item() == pytest.approx(expected)
    assert VerdictBCELoss()(inputs).item() == pytest.approx(expected)


def test_joint_loss_by_hand() -> None:
    """L_cls = 0.49041 (as above), L_mle = 2, alpha = 0.25: 0.49041 + 0.5 = 0.99041 (Eq. 13)."""
    base = _verdicts([0.6, 0.3], [0.2, 0.3], [1, 0], [])
    inputs = VerdictLossInputs(base.log_p_correct, base.log_p_incorrect, base.labels, base.pair_index, torch.tensor(2.0))
    loss = JointLoss(VerdictBCELoss(), alpha=0.25)
    assert loss.requires_mle
    assert loss(inputs).item() == pytest.approx((-math.log(0.75) - math.log(0.5)) / 2 + 0.5)
    with pytest.raises(ValueError, match="mle_loss"):
        loss(base)

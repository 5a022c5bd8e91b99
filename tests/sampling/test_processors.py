"""The warped distribution equals HF's processors; the inverse-CDF draw follows it."""

from __future__ import annotations

import pytest
import torch
from transformers.generation.logits_process import (
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from mathft.sampling import draw_tokens, next_token_probs


def _hf_probs(logits, temperature, top_p, top_k=None):
    warpers = [TemperatureLogitsWarper(temperature)]
    if top_k:
        warpers.append(TopKLogitsWarper(top_k))
    warpers.append(TopPLogitsWarper(top_p))
    return LogitsProcessorList(warpers)(None, logits.clone()).softmax(-1)


@pytest.mark.parametrize(
    ("temperature", "top_p", "top_k"), [(0.6, 0.95, None), (1.0, 0.5, None), (0.7, 0.9, 20), (1.3, 1.0, 5)]
)
def test_probs_equal_hf_processors(temperature, top_p, top_k):
    logits = torch.randn(8, 300, generator=torch.Generator().manual_seed(0)) * 3
    ours = next_token_probs(logits, temperature=temperature, top_p=top_p, top_k=top_k)
    hf = _hf_probs(logits, temperature, top_p, top_k)
    assert torch.equal(ours > 0, hf > 0), "kept token sets differ"
    torch.testing.assert_close(ours, hf, rtol=1e-5, atol=1e-7)


def test_top_p_on_hand_computed_distribution():
    """probs (0.5, 0.3, 0.15, 0.05), top_p=0.8: ascending cumulative sums are 0.05, 0.2, 0.5, 1.0; HF removes
    entries with cumsum <= 0.2, leaving {0.5, 0.3} renormalised to (0.625, 0.375)."""
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    probs = next_token_probs(logits, temperature=1.0, top_p=0.8)
    torch.testing.assert_close(probs, torch.tensor([[0.625, 0.375, 0.0, 0.0]]))


def test_inverse_cdf_draw_on_hand_computed_boundaries():
    """Kept probs (0.625, 0.375) sit in ascending order as [token1: 0, 0.375), [token0: 0.375, 1)."""
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log().expand(4, 4)
    u = torch.tensor([0.0, 0.37, 0.38, 0.999999], dtype=torch.float64)
    tokens = draw_tokens(logits, u, temperature=1.0, top_p=0.8)
    assert tokens.tolist() == [1, 1, 0, 0]


def test_draw_frequencies_match_probabilities():
    """20k draws per row against the exact distribution: a chi-square statistic far below its 1e-6 tail."""
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 50, generator=gen) * 2
    probs = next_token_probs(logits, temperature=0.6, top_p=0.95)
    draws = 20_000
    u = torch.rand(draws, 3, generator=gen, dtype=torch.float64)
    tokens = draw_tokens(logits.repeat(draws, 1), u.reshape(-1), temperature=0.6, top_p=0.95).view(draws, 3)
    for row in range(3):
        counts = torch.bincount(tokens[:, row], minlength=50).double()
        kept = probs[row] > 0
        assert counts[~kept].sum() == 0, "a filtered token was drawn"
        expected = probs[row][kept].double() * draws
        chi2 = ((counts[kept] - expected) ** 2 / expected).sum().item()
        dof = int(kept.sum()) - 1
        # mean dof, sd sqrt(2 dof): dof + 8 sd is beyond any plausible fluctuation.
        assert chi2 < dof + 8 * (2 * dof) ** 0.5, (chi2, dof)

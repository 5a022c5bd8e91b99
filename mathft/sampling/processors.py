"""Next-token choice: temperature, top-k and top-p warping (HF's order and arithmetic) and the draw itself.

The warping reproduces ``TemperatureLogitsWarper`` -> ``TopKLogitsWarper`` -> ``TopPLogitsWarper`` of
transformers, so the kept token set and the probabilities equal those of ``generate(do_sample=True)``.
The draw differs from HF's ``torch.multinomial`` only in where its randomness comes from: each row brings
its own uniform number (see :mod:`mathft.sampling.rng`) and takes the inverse CDF of its own distribution,
so a row's token never depends on which other rows share its batch.
"""

from __future__ import annotations

import torch

__all__ = ["warp_sorted", "next_token_probs", "draw_tokens", "greedy_tokens"]


def warp_sorted(
    logits: torch.Tensor, *, temperature: float, top_p: float, top_k: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp logits as HF does and return them sorted ascending, filtered entries set to ``-inf``.

    Args:
        logits: ``FloatTensor[B, V]`` raw next-token logits (float32, as HF casts them).
        temperature: Divides the logits first.
        top_p: Nucleus mass; tokens whose ascending cumulative probability is ``<= 1 - top_p`` are removed,
            the most likely token always kept (HF's ``min_tokens_to_keep=1``).
        top_k: Keep only the ``top_k`` largest logits before top-p; ``None``/0 disables it.

    Returns:
        ``(sorted_scores, sorted_ids)``: the warped scores in ascending order of the temperature-scaled
        logits and the vocabulary id of each position.
    """
    scores = logits / temperature
    # One ascending sort serves top-k and top-p, exactly the order TopPLogitsWarper sorts in.
    sorted_scores, sorted_ids = torch.sort(scores, descending=False)
    vocab = sorted_scores.shape[-1]
    if top_k and top_k < vocab:
        # HF's top-k keeps every token tied with the k-th largest logit; so do we.
        kth = sorted_scores[..., vocab - top_k : vocab - top_k + 1]
        sorted_scores = sorted_scores.masked_fill(sorted_scores < kth, float("-inf"))
    if top_p < 1.0:
        cumulative = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -1:] = False
        sorted_scores = sorted_scores.masked_fill(remove, float("-inf"))
    return sorted_scores, sorted_ids


def next_token_probs(
    logits: torch.Tensor, *, temperature: float, top_p: float, top_k: int | None = None
) -> torch.Tensor:
    """The sampling distribution over the vocabulary, ``FloatTensor[B, V]`` (for tests and diagnostics)."""
    sorted_scores, sorted_ids = warp_sorted(logits, temperature=temperature, top_p=top_p, top_k=top_k)
    probs = torch.empty_like(sorted_scores)
    return probs.scatter_(-1, sorted_ids, sorted_scores.softmax(dim=-1))


def draw_tokens(
    logits: torch.Tensor, uniforms: torch.Tensor, *, temperature: float, top_p: float, top_k: int | None = None
) -> torch.Tensor:
    """Sample one token per row by inverse CDF of the warped distribution.

    Args:
        logits: ``FloatTensor[B, V]`` raw next-token logits.
        uniforms: ``DoubleTensor[B]`` in ``[0, 1)``, one per row.
        temperature: See :func:`warp_sorted`.
        top_p: See :func:`warp_sorted`.
        top_k: See :func:`warp_sorted`.

    Returns:
        ``LongTensor[B]`` token ids; token ``v`` is drawn with the probability HF assigns it.
    """
    sorted_scores, sorted_ids = warp_sorted(logits, temperature=temperature, top_p=top_p, top_k=top_k)
    # float64 CDF: rounding in the running sum must not move mass between neighbouring tokens.
    cdf = sorted_scores.softmax(dim=-1).to(torch.float64).cumsum(dim=-1)
    targets = (uniforms.to(cdf.dtype) * cdf[:, -1]).unsqueeze(-1)
    # right=True returns the first position whose CDF exceeds the target, so zero-probability (filtered)
    # tokens, which sit at the start of the ascending order with a flat CDF, are never chosen.
    position = torch.searchsorted(cdf, targets, right=True).clamp_(max=cdf.shape[-1] - 1)
    return sorted_ids.gather(-1, position).squeeze(-1)


def greedy_tokens(logits: torch.Tensor) -> torch.Tensor:
    """The most likely token per row (first index on ties, like HF's greedy search)."""
    return logits.argmax(dim=-1)

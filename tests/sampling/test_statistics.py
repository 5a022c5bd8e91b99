"""End to end, the sampled first tokens follow the exact temperature + top-p distribution of the model."""

from __future__ import annotations

import torch

from mathft.sampling import next_token_probs, sample_solutions


def test_first_token_frequencies_match_model_distribution(model_and_tokenizer, prompts):
    """2000 samples of one prompt (spread over several batches and so over copies of one prefill) against
    ``softmax(top_p(logits / T))`` of the model's own next-token logits: chi-square test on the tokens
    expected at least 5 times, the rest pooled into one bin."""
    model, tokenizer = model_and_tokenizer
    prompt, draws = prompts[1], 2000
    samples = sample_solutions(
        model, tokenizer, [prompt], num_samples=draws, max_new_tokens=1, eos_token_ids=(), seed=11, batch_size=512
    )[0]
    with torch.inference_mode():
        logits = model(**tokenizer(prompt, return_tensors="pt")).logits[:, -1].float()
    probs = next_token_probs(logits, temperature=0.6, top_p=0.95)[0].double()
    counts = torch.bincount(torch.tensor([s.token_ids[0] for s in samples]), minlength=probs.numel()).double()
    assert counts[probs == 0].sum() == 0, "a token outside the nucleus was sampled"
    big = probs * draws >= 5
    observed = torch.cat([counts[big], counts[~big].sum().view(1)])
    expected = torch.cat([probs[big], probs[~big].sum().view(1)]) * draws
    keep = expected > 0
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum().item()
    dof = int(keep.sum()) - 1
    assert dof >= 5, "the test needs a spread-out distribution to mean anything"
    assert chi2 < dof + 8 * (2 * dof) ** 0.5, (chi2, dof)


def test_temperature_sharpens(model_and_tokenizer, prompts):
    """Lower temperature concentrates the first token: fewer distinct tokens among 300 samples."""
    model, tokenizer = model_and_tokenizer

    def distinct(temperature: float) -> int:
        samples = sample_solutions(
            model, tokenizer, prompts[:1], num_samples=300, max_new_tokens=1, temperature=temperature,
            top_p=1.0, eos_token_ids=(), seed=0,
        )[0]
        return len({s.token_ids for s in samples})

    assert distinct(0.2) < distinct(2.0)

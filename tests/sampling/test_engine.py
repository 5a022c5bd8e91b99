"""Every sampled token is what a from-scratch forward pass of prompt + prefix would give with that sample's
random stream: the shared prefill, the cache fan-out, left padding, position ids, dropping finished rows and
the preallocated cache change nothing."""

from __future__ import annotations

import torch

from mathft.sampling import draw_tokens, sample_solutions
from mathft.sampling.rng import uniform_streams


def test_each_token_replays_from_a_full_forward(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    free = sample_solutions(model, tokenizer, prompts, num_samples=4, max_new_tokens=12, eos_token_ids=(), seed=9)
    # Two tokens of the samples declared EOS: rows end at different steps and leave the batch mid-way.
    eos = (free[0][0].token_ids[2], free[1][1].token_ids[4])
    samples = sample_solutions(
        model, tokenizer, prompts, num_samples=4, max_new_tokens=12, eos_token_ids=eos, seed=9, batch_size=8,
        problem_keys=["a", "b", "c", "d"],
    )
    assert {s.finish_reason for group in samples for s in group} == {"eos", "length"}
    for key, prompt, group in zip("abcd", prompts, samples):
        prompt_ids = tokenizer(prompt)["input_ids"]
        for sample in group:
            ids = prompt_ids + list(sample.token_ids) + ([eos[0]] if sample.finish_reason == "eos" else [])
            with torch.inference_mode():
                logits = model(torch.tensor([ids])).logits[0, len(prompt_ids) - 1 :].float()
            steps = len(ids) - len(prompt_ids)
            u = uniform_streams(9, [(key, sample.sample_idx)], 12)[0, :steps]
            replayed = draw_tokens(logits[:steps], u, temperature=0.6, top_p=0.95)
            generated = torch.tensor(ids[len(prompt_ids) :])
            if sample.finish_reason == "eos":
                assert replayed[-1].item() in eos
                replayed, generated = replayed[:-1], generated[:-1]
            assert torch.equal(replayed, generated)

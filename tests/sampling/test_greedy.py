"""Greedy decoding must equal HF ``generate(do_sample=False)`` token for token."""

from __future__ import annotations

import torch

from mathft.sampling import sample_solutions


def _hf_greedy(model, tokenizer, prompts, max_new_tokens, eos_id=None):
    tokenizer.padding_side = "left"
    enc = tokenizer(prompts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(
            **enc, do_sample=False, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
            eos_token_id=eos_id,
        )
    rows = []
    for row in out[:, enc["input_ids"].shape[1] :].tolist():
        if eos_id is not None and eos_id in row:
            row = row[: row.index(eos_id)]
        rows.append(tuple(row))
    return rows


def test_greedy_matches_hf_generate_on_mixed_length_batch(model_and_tokenizer, prompts):
    """Four prompts of different lengths in one left-padded batch, 40 tokens each, EOS disabled on both sides."""
    model, tokenizer = model_and_tokenizer
    model.generation_config.eos_token_id = None
    expected = _hf_greedy(model, tokenizer, prompts, 40)
    ours = sample_solutions(
        model, tokenizer, prompts, num_samples=1, max_new_tokens=40, greedy=True, eos_token_ids=(), batch_size=4
    )
    assert [s[0].token_ids for s in ours] == expected
    assert all(s[0].finish_reason == "length" for s in ours)


def test_greedy_matches_hf_when_rows_stop_early(model_and_tokenizer, prompts):
    """A frequent greedy token declared EOS ends rows at different steps; finished rows leave our batch
    (cache batch-select) while HF pads them, and the surviving rows must still agree."""
    model, tokenizer = model_and_tokenizer
    free = sample_solutions(model, tokenizer, prompts, num_samples=1, max_new_tokens=40, greedy=True, eos_token_ids=())
    # The first token of the second row: every row that produces it stops there, the others go on.
    eos_id = free[1][0].token_ids[3]
    expected = _hf_greedy(model, tokenizer, prompts, 40, eos_id=eos_id)
    ours = sample_solutions(
        model, tokenizer, prompts, num_samples=1, max_new_tokens=40, greedy=True, eos_token_ids=(eos_id,)
    )
    assert [s[0].token_ids for s in ours] == expected
    assert ours[1][0].finish_reason == "eos"
    assert ours[1][0].num_tokens == free[1][0].token_ids.index(eos_id)
    assert len({s[0].num_tokens for s in ours}) > 1, "rows should end at different steps"


def test_greedy_is_independent_of_batch_size(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    runs = [
        sample_solutions(model, tokenizer, prompts, num_samples=1, max_new_tokens=20, greedy=True, batch_size=b)
        for b in (1, 3, 8)
    ]
    assert runs[0] == runs[1] == runs[2]

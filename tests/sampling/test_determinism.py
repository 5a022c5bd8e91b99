"""A sample depends only on (seed, problem key, sample index): not on batch, shard, order or N."""

from __future__ import annotations

import pytest
import torch

from mathft.sampling import sample_seed, sample_solutions


def _run(model, tokenizer, prompts, **kwargs):
    settings = dict(num_samples=6, max_new_tokens=12, seed=7, eos_token_ids=(), batch_size=64)
    settings.update(kwargs)
    return sample_solutions(model, tokenizer, prompts, **settings)


def test_same_seed_same_samples_and_different_seed_differs(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    first, again = _run(model, tokenizer, prompts), _run(model, tokenizer, prompts)
    assert first == again
    assert first != _run(model, tokenizer, prompts, seed=8)


@pytest.mark.parametrize("batch_size", [2, 7, 13])
def test_samples_do_not_depend_on_batch_size(model_and_tokenizer, prompts, batch_size):
    """batch_size 2 splits each problem's 6 samples over three batches (the prefill is copied), 7 and 13
    mix problems and partial sample ranges in one batch."""
    model, tokenizer = model_and_tokenizer
    assert _run(model, tokenizer, prompts, batch_size=batch_size) == _run(model, tokenizer, prompts)


def test_samples_do_not_depend_on_shard_or_order(model_and_tokenizer, prompts):
    """Sharding the problems over two 'ranks' in another order gives each problem the same samples."""
    model, tokenizer = model_and_tokenizer
    keys = [f"p{i}" for i in range(len(prompts))]
    whole = _run(model, tokenizer, prompts, problem_keys=keys)
    rank0 = _run(model, tokenizer, [prompts[3], prompts[1]], problem_keys=[keys[3], keys[1]])
    rank1 = _run(model, tokenizer, [prompts[2], prompts[0]], problem_keys=[keys[2], keys[0]])
    assert [whole[3], whole[1]] == rank0
    assert [whole[2], whole[0]] == rank1


def test_more_samples_extend_fewer_and_offset_resumes(model_and_tokenizer, prompts):
    """Samples 0..3 are a prefix of samples 0..9; an offset run continues where an earlier run stopped."""
    model, tokenizer = model_and_tokenizer
    few = _run(model, tokenizer, prompts, num_samples=4)
    many = _run(model, tokenizer, prompts, num_samples=10)
    rest = _run(model, tokenizer, prompts, num_samples=6, sample_offset=4)
    for f, m, r in zip(few, many, rest):
        assert f == m[:4]
        assert r == m[4:]
        assert [s.sample_idx for s in m] == list(range(10))


def test_samples_within_a_problem_differ(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    group = _run(model, tokenizer, prompts[:1], num_samples=16)[0]
    assert len({s.token_ids for s in group}) == 16


def test_seed_none_follows_torch_manual_seed(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    torch.manual_seed(3)
    a = _run(model, tokenizer, prompts[:2], seed=None)
    torch.manual_seed(3)
    assert _run(model, tokenizer, prompts[:2], seed=None) == a


def test_sample_seed_is_a_stable_hash():
    """The value is fixed across processes (no salted ``hash()``): this exact number must never change."""
    assert sample_seed(0, "p1", 0) == 5788409701804392049
    variants = {sample_seed(0, "p1", 0), sample_seed(0, "p1", 1), sample_seed(0, "p2", 0), sample_seed(1, "p1", 0)}
    assert len(variants) == 4
    assert 0 <= sample_seed(123, "key", 5) < 2**63

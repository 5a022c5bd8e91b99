"""PreallocatedLayer behaves like transformers' DynamicLayer, without re-concatenating per step."""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicCache

from mathft.sampling.cache import PreallocatedLayer, preallocate


def _kv(batch: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 2, length, 4, generator=gen), torch.randn(batch, 2, length, 4, generator=gen)


def test_update_select_and_repeat_match_dynamic_layer():
    """The same sequence of operations on both layer types gives the same keys and values."""
    reference = DynamicCache()
    reference.update(*_kv(2, 5, 0), layer_idx=0)
    ours = DynamicCache()
    ours.update(*_kv(2, 5, 0), layer_idx=0)
    assert preallocate(ours, capacity=9)
    assert isinstance(ours.layers[0], PreallocatedLayer)
    for cache in (reference, ours):
        cache.batch_repeat_interleave(3)  # 6 rows: 0,0,0,1,1,1
        cache.update(*_kv(6, 1, 1), layer_idx=0)
        cache.batch_select_indices(torch.tensor([0, 4, 5]))
        cache.update(*_kv(3, 1, 2), layer_idx=0)
    assert torch.equal(ours.layers[0].keys, reference.layers[0].keys)
    assert torch.equal(ours.layers[0].values, reference.layers[0].values)
    assert ours.get_seq_length() == reference.get_seq_length() == 7


def test_update_past_capacity_grows():
    cache = DynamicCache()
    cache.update(*_kv(1, 3, 0), layer_idx=0)
    preallocate(cache, capacity=4)
    cache.batch_select_indices(torch.tensor([0, 0]))
    for step in range(5):
        keys, _ = cache.update(*_kv(2, 1, step), layer_idx=0)
    assert keys.shape == (2, 2, 8, 4)
    assert torch.equal(keys[0, :, :3], keys[1, :, :3]), "both rows share the prompt"
    assert torch.equal(keys[:, :, -1], _kv(2, 1, 4)[0][:, :, 0])

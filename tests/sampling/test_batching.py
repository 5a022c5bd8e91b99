"""Prefill grouping and left padding, on hand-worked examples."""

from __future__ import annotations

import torch

from mathft.sampling.batching import left_pad, plan_prefill_groups, split_rows


def test_groups_fill_a_batch_longest_first():
    """batch 8, N=2 -> 4 problems per group; lengths (3, 9, 5, 9, 1) order as 1, 3 (ties by index), 2, 0, 4."""
    assert plan_prefill_groups([3, 9, 5, 9, 1], num_samples=2, batch_size=8) == [[1, 3, 2, 0], [4]]


def test_more_samples_than_batch_gives_one_problem_per_group_split_in_batches():
    assert plan_prefill_groups([4, 4], num_samples=5, batch_size=2) == [[0], [1]]
    assert split_rows(1, 5, 2) == [[(0, 0), (0, 1)], [(0, 2), (0, 3)], [(0, 4)]]


def test_left_pad():
    ids, mask = left_pad([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert torch.equal(mask, torch.tensor([[1, 1, 1], [0, 0, 1]]))

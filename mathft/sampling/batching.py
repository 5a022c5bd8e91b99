"""Planning which problems share a prefill, and left-padding their prompts."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["plan_prefill_groups", "left_pad", "split_rows"]


def plan_prefill_groups(prompt_lengths: Sequence[int], num_samples: int, batch_size: int) -> list[list[int]]:
    """Group problem indices so each group's ``len(group) * num_samples`` rows fit one decoding batch.

    Problems are taken longest first: neighbours of similar length waste little on padding, and the most
    memory-hungry batch runs first, so an out-of-memory error surfaces at once rather than after hours.
    A problem with more samples than ``batch_size`` forms a group of its own, decoded in several batches
    (see :func:`split_rows`). Which group a problem lands in never changes its samples.
    """
    per_group = max(1, batch_size // num_samples)
    order = sorted(range(len(prompt_lengths)), key=lambda i: (-prompt_lengths[i], i))
    return [order[i : i + per_group] for i in range(0, len(order), per_group)]


def split_rows(num_problems: int, num_samples: int, batch_size: int) -> list[list[tuple[int, int]]]:
    """The ``(problem position in group, sample number)`` rows of a group, in batches of <= ``batch_size``."""
    rows = [(p, s) for p in range(num_problems) for s in range(num_samples)]
    return [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]


def left_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad token lists into ``(input_ids, attention_mask)``, both ``LongTensor[B, max_len]``.

    Left padding keeps every prompt's last token in the last column, so one decoding step appends one
    column for all rows.
    """
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if len(seq):
            ids[row, width - len(seq) :] = torch.as_tensor(seq, dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    return ids, mask

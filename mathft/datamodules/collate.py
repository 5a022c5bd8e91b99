"""Collate tokenized examples into the batch dicts of ``docs/contracts.md``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

__all__ = [
    "SSFTExample", "pad_right", "pad_left", "collate_ssft", "collate_packed", "collate_generation", "collate_train"
]

IGNORE_INDEX = -100


@dataclass(frozen=True)
class SSFTExample:
    """One tokenized SSFT example: ``input_ids`` = prompt + solution + EOS; the first ``prompt_len`` are prompt."""

    input_ids: tuple[int, ...]
    prompt_len: int
    problem_id: str
    problem: str
    gold: str

    @property
    def labels(self) -> list[int]:
        """``input_ids`` with the prompt masked to -100 (not shifted: the module shifts)."""
        return [IGNORE_INDEX] * self.prompt_len + list(self.input_ids[self.prompt_len :])

    def __len__(self) -> int:
        return len(self.input_ids)


def pad_right(rows: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    """Right-pad integer rows into a ``LongTensor[B, max_len]``."""
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=torch.long)


def pad_left(rows: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    """Left-pad integer rows (prompts for batched decoding) into a ``LongTensor[B, max_len]``."""
    width = max(len(r) for r in rows)
    return torch.tensor([[value] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)


def collate_ssft(examples: Sequence[SSFTExample], pad_id: int) -> dict[str, Any]:
    """``input_ids``, ``attention_mask``, ``labels``: one example per row, right-padded."""
    return {
        "input_ids": pad_right([e.input_ids for e in examples], pad_id),
        "attention_mask": pad_right([[1] * len(e) for e in examples], 0),
        "labels": pad_right([e.labels for e in examples], IGNORE_INDEX),
    }


def collate_packed(packs: Sequence[Sequence[SSFTExample]], pad_id: int) -> dict[str, Any]:
    """``input_ids``, ``labels``, ``position_ids``: several examples per row, no ``attention_mask``.

    ``position_ids`` restart at 0 at every example; transformers derives the block-diagonal causal mask
    from those restarts when ``attention_mask`` is absent. The padding tail gets its own restart, so
    it forms a separate (loss-free) block and never attends into the last example.
    """
    ids, labels, positions = [], [], []
    for pack in packs:
        ids.append([t for e in pack for t in e.input_ids])
        labels.append([t for e in pack for t in e.labels])
        positions.append([p for e in pack for p in range(len(e))])
    width = max(len(r) for r in ids)
    positions = [row + list(range(width - len(row))) for row in positions]
    return {
        "input_ids": pad_right(ids, pad_id),
        "labels": pad_right(labels, IGNORE_INDEX),
        "position_ids": torch.tensor(positions, dtype=torch.long),
    }


def collate_generation(examples: Sequence[SSFTExample], pad_id: int) -> dict[str, Any]:
    """Validation/test batches: the SSFT keys plus left-padded prompts and the fields Pass@1 needs."""
    batch = collate_ssft(examples, pad_id)
    prompts = [e.input_ids[: e.prompt_len] for e in examples]
    batch["prompt_input_ids"] = pad_left(prompts, pad_id)
    batch["prompt_attention_mask"] = pad_left([[1] * len(p) for p in prompts], 0)
    batch["problem_id"] = [e.problem_id for e in examples]
    batch["gold"] = [e.gold for e in examples]
    batch["problem"] = [e.problem for e in examples]
    return batch


def collate_train(items: Sequence[SSFTExample | Sequence[SSFTExample]], pad_id: int) -> dict[str, Any]:
    """Training batches: packed when the items are packs (lists of examples), padded otherwise."""
    if items and not isinstance(items[0], SSFTExample):
        return collate_packed(items, pad_id)  # type: ignore[arg-type]
    return collate_ssft(items, pad_id)  # type: ignore[arg-type]

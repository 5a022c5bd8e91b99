"""Validation records across ranks: gather, de-duplicate, and give each rank a disjoint share of problems.

The metrics layer keeps *sum* states reduced over ranks, so every problem must be fed on exactly one rank.
A problem's candidates may be split over batches and ranks (and a distributed sampler pads with repeats),
so records are gathered first, de-duplicated by key, grouped by problem, and dealt out round-robin.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from mathft.records import CandidateRecord, ProblemGroup, group_problems

__all__ = ["share_of_problems"]


def share_of_problems(
    records: list[CandidateRecord], trainer: Any, key: Callable[[CandidateRecord], Hashable]
) -> tuple[list[ProblemGroup], int]:
    """This rank's problems, after gathering every rank's ``records`` (a collective when distributed).

    Every rank must call this, even with no records of its own; the returned total (the same on every
    rank) tells all ranks alike whether there is anything to compute, so that no rank skips a collective.

    Args:
        records: The validation records this rank produced.
        trainer: The Lightning trainer (for ``world_size`` and ``global_rank``).
        key: Identity of a record; later duplicates of a key are dropped.

    Returns:
        ``(this rank's problem groups, number of problems over all ranks)``.
    """
    world, rank = trainer.world_size, trainer.global_rank
    if world > 1:
        import torch.distributed as dist

        parts: list[list[CandidateRecord]] = [[] for _ in range(world)]
        dist.all_gather_object(parts, records)
        records = [r for part in parts for r in part]
    unique: dict[Hashable, CandidateRecord] = {}
    for record in records:
        unique.setdefault(key(record), record)
    groups = sorted(group_problems(unique.values()), key=lambda g: g.problem_id)
    return groups[rank::world], len(groups)

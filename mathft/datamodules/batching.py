"""Batch plans (random, length-bucketed, packed, unit-grouped) and the sampler that serves them per rank.

A *plan* is one epoch's list of batches over the whole dataset; a batch lists dataset keys (an index,
or a tuple of indices forming one packed row). Plans are computed identically on every rank from
``(seed, epoch)`` and then dealt out, so every rank gets the same number of batches: packing and
grouping give a data-dependent batch count, and ranks with unequal counts would hang DDP.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from torch.utils.data import BatchSampler, DistributedSampler, Sampler

__all__ = [
    "Plan",
    "RandomBatches",
    "BucketBatches",
    "PackedBatches",
    "GroupBatches",
    "EpochSampler",
    "PlannedBatchSampler",
    "row_lengths",
    "padding_fraction",
]

Plan = list[list[Any]]


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass
class RandomBatches:
    """Shuffled fixed-size batches: the baseline that bucketing and packing improve on."""

    lengths: Sequence[int]
    batch_size: int

    def __call__(self, rng: random.Random) -> Plan:
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        return list(_chunks(order, self.batch_size))


@dataclass
class BucketBatches:
    """Fixed-size batches of similar lengths: shuffle, sort within windows of ``window`` batches, cut, shuffle.

    Sorting only inside a window keeps batches random across the epoch while padding stays small.
    """

    lengths: Sequence[int]
    batch_size: int
    window: int = 50

    def __call__(self, rng: random.Random) -> Plan:
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        batches: Plan = []
        for window in _chunks(order, self.batch_size * self.window):
            window.sort(key=lambda i: self.lengths[i])
            batches.extend(_chunks(window, self.batch_size))
        rng.shuffle(batches)
        return batches


@dataclass
class PackedBatches:
    """Rows of up to ``pack_length`` tokens holding several sequences, ``rows`` rows per batch.

    Sequences are packed first-fit-decreasing inside windows of ``window`` sequences; rows are then
    bucketed by their total length so that a batch's rows pad to nearly the same length.
    """

    lengths: Sequence[int]
    pack_length: int
    rows: int
    window: int = 2000

    def __call__(self, rng: random.Random) -> Plan:
        too_long = [i for i, n in enumerate(self.lengths) if n > self.pack_length]
        if too_long:
            first = too_long[0]
            raise ValueError(f"sequence {first} has {self.lengths[first]} tokens > pack_length {self.pack_length}")
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        packs: list[tuple[int, ...]] = []
        for window in _chunks(order, self.window):
            packs.extend(self._first_fit(sorted(window, key=lambda i: -self.lengths[i])))
        totals = [sum(self.lengths[i] for i in p) for p in packs]
        bucketed = BucketBatches(totals, self.rows)(rng)
        return [[packs[j] for j in batch] for batch in bucketed]

    def _first_fit(self, items: list[int]) -> list[tuple[int, ...]]:
        bins: list[list[int]] = []
        free: list[int] = []
        for i in items:
            n = self.lengths[i]
            slot = next((b for b, space in enumerate(free) if space >= n), None)
            if slot is None:
                bins.append([])
                free.append(self.pack_length)
                slot = len(bins) - 1
            bins[slot].append(i)
            free[slot] -= n
        return [tuple(b) for b in bins]


@dataclass
class GroupBatches:
    """Batches of whole groups (e.g. a problem's paired candidates) holding up to ``max_rows`` rows.

    A group larger than ``max_rows`` is a batch of its own: its pairs must share a batch. Groups are
    sorted by their longest row inside windows so that rows in a batch have similar lengths.
    """

    group_rows: Sequence[int]
    group_lengths: Sequence[int]
    max_rows: int
    window: int = 50
    shuffle: bool = True

    def __call__(self, rng: random.Random) -> Plan:
        order = list(range(len(self.group_rows)))
        if self.shuffle:
            rng.shuffle(order)
        batches: Plan = []
        for window in _chunks(order, self.max_rows * self.window):
            window.sort(key=lambda g: self.group_lengths[g])
            batch, rows = [], 0
            for g in window:
                if batch and rows + self.group_rows[g] > self.max_rows:
                    batches.append(batch)
                    batch, rows = [], 0
                batch.append(g)
                rows += self.group_rows[g]
            if batch:
                batches.append(batch)
        if self.shuffle:
            rng.shuffle(batches)
        return batches


class EpochSampler(Sampler[int]):
    """``range(n)`` with ``set_epoch``: Lightning calls ``batch_sampler.sampler.set_epoch`` every epoch."""

    def __init__(self, n: int) -> None:
        self.n, self.epoch = n, 0

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch; the batch sampler plans from it."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


class PlannedBatchSampler(BatchSampler):
    """Serve this rank's share of an epoch plan.

    Lightning re-creates a ``BatchSampler`` subclass with a ``DistributedSampler`` as ``sampler`` under
    DDP; this class only reads that sampler's ``num_replicas``, ``rank`` and ``epoch`` and plans itself.

    Args:
        sampler: An :class:`EpochSampler`, or the ``DistributedSampler`` Lightning injects.
        batch_size: Nominal batch size (kept for Lightning's re-instantiation; the plan decides).
        drop_last: Drop the plan's tail that does not divide among ranks instead of repeating its head.
        planner: Callable giving the whole epoch's plan from a seeded ``random.Random``.
        seed: Base seed; epoch ``e`` plans with ``Random(f"{seed}/{e}")``.
        shuffle: If false every epoch uses the epoch-0 plan (validation).
    """

    def __init__(
        self,
        sampler: Sampler[int],
        batch_size: int,
        drop_last: bool = False,
        *,
        planner: Callable[[random.Random], Plan],
        seed: int = 0,
        shuffle: bool = True,
    ) -> None:
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last
        self.planner, self.seed, self.shuffle = planner, seed, shuffle
        self._cache: tuple[int, Plan] | None = None

    def set_epoch(self, epoch: int) -> None:
        """For use outside Lightning: forward the epoch to the sampler."""
        self.sampler.set_epoch(epoch)  # type: ignore[attr-defined]

    def _world(self) -> tuple[int, int]:
        if isinstance(self.sampler, DistributedSampler):
            return self.sampler.num_replicas, self.sampler.rank
        return 1, 0

    def plan(self) -> Plan:
        """This rank's batches for the current epoch."""
        epoch = getattr(self.sampler, "epoch", 0) if self.shuffle else 0
        if self._cache is None or self._cache[0] != epoch:
            full = self.planner(random.Random(f"{self.seed}/{epoch}"))
            world, rank = self._world()
            if world > 1 and len(full) % world:
                # Repeat the head (like DistributedSampler's padding) or drop the tail: equal counts per rank.
                if self.drop_last:
                    full = full[: len(full) - len(full) % world]
                else:
                    full = full + [full[i % len(full)] for i in range(world - len(full) % world)]
            self._cache = (epoch, full[rank::world])
        return self._cache[1]

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(self.plan())

    def __len__(self) -> int:
        return len(self.plan())


def row_lengths(batch: Sequence[Any], lengths: Sequence[int]) -> list[int]:
    """Token count of each row of a planned batch (a key is an index or a tuple packed in one row)."""
    return [sum(lengths[i] for i in key) if isinstance(key, tuple) else lengths[key] for key in batch]


def padding_fraction(plan: Plan, lengths: Sequence[int]) -> float:
    """Share of padding tokens when every batch is right-padded to its longest row."""
    real = total = 0
    for batch in plan:
        rows = row_lengths(batch, lengths)
        real += sum(rows)
        total += len(rows) * max(rows)
    return 1.0 - real / total if total else 0.0

"""Batch plans (random, length-bucketed, packed, unit-grouped) and the sampler that serves them per rank.

A *plan* is one epoch's list of batches over the whole dataset; a batch lists dataset keys (an index,
or a tuple of indices forming one packed row). Plans are computed identically on every rank from
``(seed, epoch)`` and then dealt out, so every rank gets the same number of batches: packing and
grouping give a data-dependent batch count, and ranks with unequal counts would hang DDP.

The sampler is stateful: :class:`PlannedDataLoader` counts the batches it hands to the training loop,
Lightning stores that position in every checkpoint, and a resumed run serves the rest of the same plan,
so that it sees exactly the batches the uninterrupted run would have seen.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler, Sampler

__all__ = [
    "Plan",
    "RandomBatches",
    "BucketBatches",
    "PackedBatches",
    "GroupBatches",
    "EpochSampler",
    "PlannedBatchSampler",
    "PlannedDataLoader",
    "loader_generator",
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
    """Serve this rank's share of an epoch plan, resumable from a position inside it.

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
        self.position = (self._epoch(), 0)  # (epoch, batches of it delivered to the training loop)
        self._resume_at: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        """For use outside Lightning: forward the epoch to the sampler."""
        self.sampler.set_epoch(epoch)  # type: ignore[attr-defined]

    def _world(self) -> tuple[int, int]:
        if isinstance(self.sampler, DistributedSampler):
            return self.sampler.num_replicas, self.sampler.rank
        return 1, 0

    def _epoch(self) -> int:
        return getattr(self.sampler, "epoch", 0) if self.shuffle else 0

    def plan(self) -> Plan:
        """This rank's batches for the current epoch."""
        epoch = self._epoch()
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
        # A generator: the epoch is read at the first batch, after Lightning's `set_epoch`, even when the
        # loader's iterator was created before it (Lightning creates one while setting up a resumed fit).
        epoch, plan = self._epoch(), self.plan()
        start = 0
        if self._resume_at is not None and self._resume_at[0] == epoch:
            start = self._resume_at[1]
        self._resume_at = None
        self.position = (epoch, start)
        yield from plan[start:]

    def __len__(self) -> int:
        return len(self.plan())

    def delivered(self) -> None:
        """Count one batch handed to the training loop (called by :class:`PlannedDataLoader`)."""
        epoch, served = self.position
        self.position = (epoch, served + 1)

    def state_dict(self) -> dict[str, int]:
        """The position: ``served`` batches of epoch ``epoch``'s plan were delivered."""
        epoch, served = self.position
        return {"epoch": epoch, "served": served}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from a saved position: the rest of that epoch's plan, or the next epoch when it was done."""
        epoch, served = int(state["epoch"]), int(state["served"])
        if self.shuffle and hasattr(self.sampler, "set_epoch"):
            # Set the epoch here too: with loader workers the plan is read before Lightning sets it.
            self.sampler.set_epoch(epoch)
            if served >= len(self.plan()):
                epoch, served = epoch + 1, 0
                self.sampler.set_epoch(epoch)
        self._resume_at = (epoch, served)
        self.position = (epoch, served)


class PlannedDataLoader(DataLoader):
    """A ``DataLoader`` over a :class:`PlannedBatchSampler` whose position is saved in checkpoints.

    Lightning saves ``state_dict()`` of every training loader that has one (the protocol of torchdata's
    ``StatefulDataLoader``) and calls ``load_state_dict`` before a resumed fit iterates, so a run resumed
    mid-epoch serves the rest of that epoch's plan instead of replaying it from its start. Batches are
    counted as they are handed out, not as the sampler yields them: loader workers run the sampler ahead.
    Takes every ``DataLoader`` argument; ``batch_sampler`` must be a :class:`PlannedBatchSampler`.
    """

    def __iter__(self) -> Iterator[Any]:
        sampler = self.batch_sampler
        for batch in super().__iter__():
            sampler.delivered()  # type: ignore[union-attr]
            yield batch

    def state_dict(self) -> dict[str, int]:
        """The batch sampler's position."""
        return self.batch_sampler.state_dict()  # type: ignore[union-attr]

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume the batch sampler from ``state``."""
        self.batch_sampler.load_state_dict(state)  # type: ignore[union-attr]


def loader_generator(seed: int) -> torch.Generator:
    """A ``DataLoader``'s own generator: without one, every new loader iterator draws its worker seed from
    the global torch RNG, and a resumed run (which creates its iterators at other moments) would then
    draw different validation samples than the uninterrupted run."""
    return torch.Generator().manual_seed(seed)


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

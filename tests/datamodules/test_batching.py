"""Batch plans and their distribution over ranks, including Lightning's sampler injection under DDP."""

from __future__ import annotations

import random

from torch.utils.data import BatchSampler, DataLoader, DistributedSampler

from mathft.datamodules.batching import (
    BucketBatches,
    EpochSampler,
    GroupBatches,
    PackedBatches,
    PlannedBatchSampler,
    RandomBatches,
    padding_fraction,
)

LENGTHS = [random.Random(i).randint(10, 120) for i in range(203)]


def test_padding_fraction_by_hand():
    """Rows [2, 4] pad to 4 (2 of 8 padding); packed row (0, 1) = 6 alone: no padding. 2 / 14."""
    assert padding_fraction([[0, 1], [(0, 1)]], [2, 4]) == 1 - 12 / 14


def test_plans_cover_every_item_once():
    rng = random.Random(0)
    for plan in (RandomBatches(LENGTHS, 8)(rng), BucketBatches(LENGTHS, 8)(rng)):
        assert sorted(i for b in plan for i in b) == list(range(203))
    packed = PackedBatches(LENGTHS, 256, rows=4)(rng)
    assert sorted(i for b in packed for row in b for i in row) == list(range(203))
    assert all(sum(LENGTHS[i] for i in row) <= 256 for b in packed for row in b)
    order = {
        name: padding_fraction(planner(random.Random(1)), LENGTHS)
        for name, planner in (("random", RandomBatches(LENGTHS, 8)), ("bucket", BucketBatches(LENGTHS, 8)),
                              ("pack", PackedBatches(LENGTHS, 256, 4)))
    }
    assert order["random"] > 3 * order["bucket"] and order["pack"] < 0.1


def test_group_batches_keep_groups_whole():
    rows, lengths = [1, 3, 2, 7, 1, 1], [5, 9, 4, 8, 3, 2]
    plan = GroupBatches(rows, lengths, max_rows=4)(random.Random(0))
    assert sorted(g for b in plan for g in b) == list(range(6))
    assert all(sum(rows[g] for g in b) <= 4 or len(b) == 1 for b in plan)


def test_ranks_get_equal_disjoint_shares():
    planner = PackedBatches(LENGTHS, 256, rows=3)
    full = PlannedBatchSampler(EpochSampler(203), 3, planner=planner, seed=7).plan()
    shares = []
    for rank in range(3):
        dist = DistributedSampler(range(203), num_replicas=3, rank=rank)
        shares.append(PlannedBatchSampler(dist, 3, planner=planner, seed=7).plan())
    assert len({len(s) for s in shares}) == 1 and len(shares[0]) == -(-len(full) // 3)
    assert [b for s in shares for b in s if b not in full] == []
    dist = DistributedSampler(range(203), num_replicas=3, rank=0)
    sampler = PlannedBatchSampler(dist, 3, planner=planner, seed=7)
    dist.set_epoch(1)  # Lightning sets the epoch on batch_sampler.sampler
    assert sampler.plan() != shares[0]


def test_lightning_injects_distributed_sampler_and_plan_follows():
    from lightning.fabric.utilities.data import _replace_dunder_methods
    from lightning.pytorch.trainer.states import RunningStage
    from lightning.pytorch.utilities.data import _update_dataloader

    planner = BucketBatches(LENGTHS, 4)
    with _replace_dunder_methods(DataLoader, "dataset"), _replace_dunder_methods(BatchSampler):
        loader = DataLoader(list(range(203)), batch_sampler=PlannedBatchSampler(EpochSampler(203), 4, planner=planner))
    dist = DistributedSampler(range(203), num_replicas=2, rank=1, shuffle=True)
    new = _update_dataloader(loader, dist, mode=RunningStage.TRAINING)
    assert isinstance(new.batch_sampler, PlannedBatchSampler) and new.batch_sampler._world() == (2, 1)
    assert new.batch_sampler.planner is planner and len(new.batch_sampler) == 26


def _loader(sampler: PlannedBatchSampler, **kwargs):
    from mathft.datamodules.batching import PlannedDataLoader

    return PlannedDataLoader(list(range(203)), batch_sampler=sampler, collate_fn=lambda rows: rows, **kwargs)


def _sampler(epoch: int = 0) -> PlannedBatchSampler:
    sampler = PlannedBatchSampler(EpochSampler(203), 8, planner=BucketBatches(LENGTHS, 8), seed=3)
    sampler.set_epoch(epoch)
    return sampler


def test_resumed_loader_serves_the_rest_of_the_epoch_plan():
    """26 batches per epoch: after 10 delivered (epoch 1), the position is (1, 10) and a fresh loader
    loaded with it yields exactly batches 10..25 of epoch 1's plan, then epoch 2 from its start."""
    first = _loader(_sampler(epoch=1))
    seen = []
    for batch in first:
        seen.append(batch)
        if len(seen) == 10:
            break
    state = first.state_dict()
    assert state == {"epoch": 1, "served": 10}

    resumed = _loader(_sampler())  # a new process: the sampler starts at epoch 0 until loaded
    resumed.load_state_dict(state)
    rest = list(resumed)
    assert seen + rest == list(_loader(_sampler(epoch=1)))
    assert resumed.state_dict() == {"epoch": 1, "served": 26}

    done = _loader(_sampler())
    done.load_state_dict({"epoch": 1, "served": 26})  # saved at the epoch's end: go on with epoch 2
    assert list(done) == list(_loader(_sampler(epoch=2)))


def test_position_counts_delivered_batches_not_worker_prefetch():
    """With 2 workers prefetching 2 batches each, the sampler runs ahead; the position still counts the 3
    batches the loop received."""
    loader = _loader(_sampler(), num_workers=2, prefetch_factor=2)
    iterator = iter(loader)
    for _ in range(3):
        next(iterator)
    assert loader.state_dict() == {"epoch": 0, "served": 3}
    del iterator

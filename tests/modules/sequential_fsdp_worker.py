"""Run under ``torchrun --nproc_per_node=2``: the sequential multi-task run (generator -> evaluator ->
generator) under FSDP2 on CPU (gloo), straight, killed inside phase 2, or resumed.

Usage: ``sequential_fsdp_worker.py BACKBONE TRAIN CANDIDATES OUT PHASE [PHASE...]`` where a phase is
``straight`` (the whole run in ``OUT/straight``; rank 0 writes ``OUT/straight/summary.json`` with the
phase hand-off checks on gathered weights), ``kill:NAME:STEP`` (``OUT/NAME``, every rank SIGKILLs itself
after step STEP, ending the launch) or ``resume:NAME`` (``--ckpt_path=last`` in ``OUT/NAME``). The model
and data are those of ``test_sequential.py``; ``last.ckpt`` is written after every step.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.strategies import ModelParallelStrategy

from mathft.callbacks import TaskMetricCheckpoint
from mathft.modules.backbone import full_state_dict, is_sharded
from mathft.pipeline.dist import shutdown
from tests.callbacks.signal_at_step import SignalAtStep
from tests.modules.fsdp_worker import _watchdog
from tests.modules.test_sequential import BUDGET, _parts


def _max_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


class _GatheredWatch(pl.Callback):
    """Gathered backbone weights at the end of each phase and at the first batch of the next (collectives:
    every rank gathers), whether the optimizer was fresh there, that every task borrows one backbone, and
    each training batch (to check that the ranks train on different batches)."""

    def __init__(self) -> None:
        self.at_end: dict[int, dict[str, torch.Tensor]] = {}
        self.at_start: dict[int, dict[str, torch.Tensor]] = {}
        self.fresh_optimizer: dict[int, bool] = {}
        self.model_ids: set[int] = set()
        self.batches: list[list[list[int]]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.model_ids.add(id(pl_module.model))
        self.batches.append(batch["input_ids"].tolist())
        phase = pl_module.phase_index
        if phase not in self.at_start and trainer.global_step == BUDGET * phase:
            self.at_start[phase] = full_state_dict(pl_module.model)
            self.fresh_optimizer[phase] = len(trainer.optimizers[0].state) == 0

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.at_end[pl_module.phase_index] = full_state_dict(pl_module.model)


def _fit(ws: dict[str, Path], root: Path, callbacks: list, ckpt_path: str | None) -> tuple[pl.Trainer, object]:
    pl.seed_everything(0)
    module, data = _parts(ws)
    trainer = pl.Trainer(
        accelerator="cpu", devices=2, strategy=ModelParallelStrategy(data_parallel_size=2, tensor_parallel_size=1),
        max_steps=-1, val_check_interval=2, check_val_every_n_epoch=None, num_sanity_val_steps=0, logger=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=root,
        callbacks=[TaskMetricCheckpoint(monitor=None, save_top_k=0, last_every_n_steps=1), *callbacks],
    )
    trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
    return trainer, module


def straight(ws: dict[str, Path], root: Path) -> None:
    watch = _GatheredWatch()
    trainer, module = _fit(ws, root, [watch], None)
    per_rank: list = [None, None]
    torch.distributed.all_gather_object(per_rank, watch.batches)
    if trainer.is_global_zero:
        summary = {
            "global_step": trainer.global_step,
            "phase_starts": module.phase_starts,
            "sharded": is_sharded(module.model),
            "one_backbone": len(watch.model_ids) == 1 and all(t.model is module.model for t in module.tasks),
            # 0.0: phase i starts from phase i-1's final weights; > 0: phase i trained them.
            "handoff_diff": {i: _max_diff(watch.at_end[i - 1], watch.at_start[i]) for i in (1, 2)},
            "trained_diff": {i: _max_diff(watch.at_start[i], watch.at_end[i]) for i in (1, 2)},
            "fresh_optimizer": watch.fresh_optimizer,
            "batches_per_rank": [len(b) for b in per_rank],
            "same_batch_steps": [i for i, (a, b) in enumerate(zip(*per_rank)) if a == b],
        }
        (root / "summary.json").write_text(json.dumps(summary))


def run(ws: dict[str, Path], out: Path, phase: str) -> None:
    kind, *rest = phase.split(":")
    if kind == "straight":
        straight(ws, out / "straight")
    elif kind == "kill":
        name, step = rest
        _fit(ws, out / name, [SignalAtStep(int(step), "SIGKILL")], None)
    elif kind == "resume":
        _fit(ws, out / rest[0], [], "last")
    else:
        raise ValueError(f"unknown phase {phase!r}")


if __name__ == "__main__":
    _watchdog(400.0)
    workspace = {"backbone": Path(sys.argv[1]), "train": Path(sys.argv[2]), "candidates": Path(sys.argv[3])}
    for phase in sys.argv[5:]:
        run(workspace, Path(sys.argv[4]), phase)
    shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # see fsdp_worker.py: skip the teardown where gloo sometimes aborts a finished rank

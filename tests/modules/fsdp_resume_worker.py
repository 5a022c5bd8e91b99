"""Run under ``torchrun --nproc_per_node=2``: FSDP2 SSFT on the real data module, killed and resumed.

Usage: ``fsdp_resume_worker.py BACKBONE TRAIN_FILE OUT PHASE [PHASE...]`` where a phase is
``straight`` (8 steps in ``OUT/straight``), ``kill:NAME:EVERY:STEP`` (``last.ckpt`` every EVERY steps in
``OUT/NAME``, every rank SIGKILLs itself after step STEP, ending the launch) or ``resume:NAME:EVERY``
(``--ckpt_path=last`` in ``OUT/NAME`` to step 8). The test compares the sharded ``last.ckpt`` folders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.strategies import ModelParallelStrategy

from mathft.callbacks import TaskMetricCheckpoint
from mathft.datamodules import SSFTDataModule
from mathft.modules import BackboneConfig, GenerationSettings, GeneratorModule
from mathft.pipeline.dist import shutdown
from tests.callbacks.signal_at_step import SignalAtStep
from tests.modules.fsdp_worker import _watchdog


def _fit(backbone: str, train_file: str, root: Path, every: int, callbacks: list, ckpt_path: str | None) -> None:
    pl.seed_everything(0)
    module = GeneratorModule(BackboneConfig(backbone), optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2),
                             generation=GenerationSettings(max_new_tokens=4))
    data = SSFTDataModule([train_file], tokenizer=backbone, style="math", max_length=256, batch_size=4,
                          val_fraction=0.2, val_max_problems=2)
    trainer = pl.Trainer(
        accelerator="cpu", devices=2, strategy=ModelParallelStrategy(data_parallel_size=2, tensor_parallel_size=1),
        max_steps=8, val_check_interval=4, check_val_every_n_epoch=None, num_sanity_val_steps=0, logger=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=root,
        callbacks=[TaskMetricCheckpoint(last_every_n_steps=every), *callbacks],
    )
    trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)


def run(backbone: str, train_file: str, out: Path, phase: str) -> None:
    kind, *rest = phase.split(":")
    if kind == "straight":
        _fit(backbone, train_file, out / "straight", 2, [], None)
    elif kind == "kill":
        name, every, step = rest
        _fit(backbone, train_file, out / name, int(every), [SignalAtStep(int(step), "SIGKILL")], None)
    elif kind == "resume":
        name, every = rest
        _fit(backbone, train_file, out / name, int(every), [], "last")
    else:
        raise ValueError(f"unknown phase {phase!r}")


if __name__ == "__main__":
    _watchdog()
    for phase in sys.argv[4:]:
        run(sys.argv[1], sys.argv[2], Path(sys.argv[3]), phase)
    shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # see fsdp_worker.py: skip the teardown where gloo sometimes aborts a finished rank

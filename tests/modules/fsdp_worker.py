"""Run under ``torchrun --nproc_per_node=2``: FSDP2 fit + sharded checkpoint + HF export on CPU (gloo).

Usage: ``python -m torch.distributed.run --nproc_per_node=2 fsdp_worker.py BACKBONE_DIR OUT_DIR KIND [MODE...]``
with modes ``resume`` (2 steps + resume vs 4 steps) and ``lora`` (train LoRA adapters on the sharded model).
Rank 0 writes ``OUT_DIR/summary.json`` for the test to check.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.strategies import ModelParallelStrategy
from tests.modules.mathft_toy_batches import ToyDataModule

from mathft.callbacks import ExportBestToHF, TaskMetricCheckpoint
from mathft.modules import BackboneConfig, EvaluatorModule, GenerationSettings, GeneratorModule
from mathft.modules.backbone import LoraSettings, decoder_layers, is_sharded
from mathft.pipeline.dist import shutdown

LORA = "lora" in sys.argv[4:]  # a mode of every entry point: the backbone carries LoRA adapters


def _config(backbone: str) -> BackboneConfig:
    return BackboneConfig(backbone, lora=LoraSettings(r=4, alpha=8) if LORA else None)


def _module(backbone: str, kind: str) -> pl.LightningModule:
    config = _config(backbone)
    optimizer = lambda p: torch.optim.AdamW(p, lr=1e-2)  # noqa: E731
    if kind == "generator":
        return GeneratorModule(config, optimizer=optimizer, generation=GenerationSettings(max_new_tokens=4))
    return EvaluatorModule(config, optimizer=optimizer)


def _trainer(out: Path, max_steps: int, callbacks: list) -> pl.Trainer:
    return pl.Trainer(
        accelerator="cpu", devices=2, strategy=ModelParallelStrategy(data_parallel_size=2, tensor_parallel_size=1),
        max_steps=max_steps, num_sanity_val_steps=0, logger=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=out, callbacks=callbacks,
        enable_checkpointing=any(isinstance(c, TaskMetricCheckpoint) for c in callbacks),
        use_distributed_sampler=False,  # the toy data shards itself, in a fixed order (see ToyDataModule)
    )


def resume(backbone: str, out: Path, kind: str) -> None:
    """4 steps in one go vs 2 steps + resume from the sharded last.ckpt: same gathered weights."""
    from mathft.modules.backbone import full_state_dict

    states = []
    pl.seed_everything(0)
    straight = _module(backbone, kind)
    _trainer(out / "a", 4, []).fit(straight, datamodule=ToyDataModule(backbone, kind, train_batches=4))
    states.append(full_state_dict(straight.model))
    pl.seed_everything(0)
    first = _module(backbone, kind)
    ckpt = TaskMetricCheckpoint(monitor=None, dirpath=out / "ckpt", every_n_train_steps=2)
    _trainer(out / "b", 2, [ckpt]).fit(first, datamodule=ToyDataModule(backbone, kind, train_batches=4))
    resumed = _module(backbone, kind)
    trainer = _trainer(out / "b", 4, [])
    trainer.fit(resumed, datamodule=ToyDataModule(backbone, kind, train_batches=4), ckpt_path=ckpt.last_model_path)
    states.append(full_state_dict(resumed.model))
    if trainer.is_global_zero:
        diff = max((states[0][k] - states[1][k]).abs().max().item() for k in states[0])
        (out / "summary.json").write_text(json.dumps({"max_abs_diff": diff, "global_step": trainer.global_step}))


def main(backbone: str, out: Path, kind: str) -> None:
    pl.seed_everything(0)
    config = _config(backbone)
    optimizer = lambda p: torch.optim.AdamW(p, lr=1e-2)  # noqa: E731
    if kind == "generator":
        module = GeneratorModule(config, optimizer=optimizer, generation=GenerationSettings(max_new_tokens=4))
        monitor = "val/pass@1"
    else:
        module = EvaluatorModule(config, optimizer=optimizer)
        monitor = "val/rr_majK"
    checkpoint = TaskMetricCheckpoint(monitor=monitor, dirpath=out / "ckpt")
    trainer = pl.Trainer(
        accelerator="cpu", devices=2,
        strategy=ModelParallelStrategy(data_parallel_size=2, tensor_parallel_size=1),
        max_steps=2, num_sanity_val_steps=0, logger=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=out, callbacks=[checkpoint, ExportBestToHF()],
    )
    trainer.fit(module, datamodule=ToyDataModule(backbone, kind, train_batches=4))
    trainable = [n for n, p in module.model.named_parameters() if p.requires_grad]
    local = {n: p.to_local().numel() for n, p in module.model.named_parameters()}
    full = {n: p.numel() for n, p in module.model.named_parameters()}
    module.export_hf(out / "hf_live")  # gathers the shards (collective), rank 0 writes
    if trainer.is_global_zero:
        summary = {
            "sharded": is_sharded(module.model),
            "num_layers_sharded": len(decoder_layers(module.model)),
            "local_fraction": sum(local.values()) / sum(full.values()),
            "best": checkpoint.best_model_path,
            "last": checkpoint.last_model_path,
            "trainable": trainable,
            "metrics": {k: float(v) for k, v in trainer.callback_metrics.items()},
        }
        (out / "summary.json").write_text(json.dumps(summary))


def _watchdog(deadline_s: float = 200.0) -> None:
    """Exit if the launcher dies or the run outlives the test's own timeout.

    torchrun starts workers in sessions of their own, so a test that kills torchrun on timeout would leave
    them blocked in a gloo collective forever; the watchdog makes every worker exit by itself.
    """
    parent, start = os.getppid(), time.monotonic()

    def watch() -> None:
        while os.getppid() == parent and time.monotonic() - start < deadline_s:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    _watchdog()
    (resume if "resume" in sys.argv[4:] else main)(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
    shutdown()
    # Everything the test reads is written and the group is torn down; skip the interpreter's teardown,
    # where a C++ thread of torch's gloo backend is sometimes destroyed while joinable and aborts the rank
    # ("terminate called without an active exception", SIGABRT) after a run that succeeded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

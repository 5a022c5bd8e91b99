"""A pipeline training stage stopped by a signal resumes from its folder's last.ckpt to the same result."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch

from mathft.callbacks import Preempted
from mathft.pipeline import training
from mathft.pipeline.config import BackboneSection, TrainConfig, TrainerConfig
from tests.callbacks.signal_at_step import SignalAtStep

TRAIN = TrainConfig(max_steps=6, batch_size=8, val_every=3, warmup_steps=2, val_fraction=0.2, val_max_problems=2,
                    val_max_new_tokens=4)


def _stage(ws: dict[str, Path], run_dir: Path) -> training.FitResult:
    backbone = training.backbone_config(BackboneSection(), str(ws["backbone"]))
    module, data = training.generator_parts(backbone, TRAIN, "math", [str(ws["train"])], [], seed=0)
    return training.fit(module, data, hw=TrainerConfig(), train=TRAIN, run_dir=run_dir, tb_root=run_dir.parent / "tb",
                        name=run_dir.name, monitor="val/pass@1", seed=0)


def _weights(export_dir: str) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(export_dir).state_dict()


def test_stage_stopped_by_sigusr1_resumes_to_the_uninterrupted_result(workspace, tmp_path, monkeypatch) -> None:
    """SIGUSR1 during step 4 of 6: the stage raises Preempted (exit status 138) with last.ckpt at step 4; the
    restarted stage resumes there and exports the same weights, best checkpoint and metrics as a stage that
    ran straight through."""
    straight = _stage(workspace, tmp_path / "straight")

    build = training._trainer

    def with_signal(*args, **kwargs):
        trainer = build(*args, **kwargs)
        trainer.callbacks.insert(0, SignalAtStep(4, "SIGUSR1"))
        return trainer

    monkeypatch.setattr(training, "_trainer", with_signal)
    with pytest.raises(Preempted) as stop:
        _stage(workspace, tmp_path / "stopped")
    assert stop.value.code == 128 + signal.SIGUSR1
    last = tmp_path / "stopped" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=False)["global_step"] == 4
    monkeypatch.setattr(training, "_trainer", build)

    resumed = _stage(workspace, tmp_path / "stopped")
    assert Path(resumed.checkpoint).name == Path(straight.checkpoint).name and resumed.best == straight.best
    assert resumed.metrics["val/pass@1"] == straight.metrics["val/pass@1"]
    assert resumed.metrics["val/loss"] == straight.metrics["val/loss"]
    a, b = _weights(straight.export_dir), _weights(resumed.export_dir)
    assert all(torch.equal(a[k], b[k]) for k in a)

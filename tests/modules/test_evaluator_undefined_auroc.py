"""A one-class validation set: val/auroc is undefined (NaN, recorded as None), never 0, and never selects."""

from __future__ import annotations

import json
import math

import lightning.pytorch as pl
import torch
from tests.modules.mathft_toy_batches import ToyDataModule, evaluator_batch

from mathft.modules import EvaluatorModule


class OneClassValidation(ToyDataModule):
    """The toy evaluator data, but every validation candidate is correct (problem 3's two right answers)."""

    def setup(self, stage: str | None = None) -> None:
        from transformers import AutoTokenizer

        super().setup(stage)
        self.val = [evaluator_batch(AutoTokenizer.from_pretrained(self.tokenizer_path), [(2, "1", True)] * 2)]


def test_auroc_is_nan_and_the_pipeline_records_none(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    """Through the pipeline's ``fit`` with checkpoints selected on val/auroc: no checkpoint is "best" on an
    undefined value (the export falls back to last.ckpt), and the metrics hold None, valid in strict JSON."""
    from mathft.pipeline.config import TrainConfig, TrainerConfig
    from mathft.pipeline.training import fit

    pl.seed_everything(0)
    module = EvaluatorModule(backbone_config, optimizer=lambda p: torch.optim.AdamW(p, lr=1e-3))
    train = TrainConfig(max_steps=2, val_every=1, warmup_steps=0)
    result = fit(module, OneClassValidation(str(tiny_backbone_dir), "evaluator"), hw=TrainerConfig(), train=train,
                 run_dir=tmp_path, tb_root=tmp_path / "tb", name="one_class", monitor="val/auroc", seed=0)
    assert math.isnan(float(module.trainer.callback_metrics["val/auroc"]))  # logged as NaN, not 0
    assert result.metrics["val/auroc"] is None and result.best is None
    assert result.checkpoint.endswith("last.ckpt")
    assert module.trainer.checkpoint_callback.best_model_path == ""
    assert result.metrics["val/rr_majK"] == 1.0  # re-ranking is still defined: every candidate is right
    json.dumps(result.metrics, allow_nan=False)


def test_auroc_is_defined_with_both_classes(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    pl.seed_everything(0)
    module = EvaluatorModule(backbone_config)
    trainer = pl.Trainer(accelerator="cpu", max_steps=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.validate(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "evaluator"))
    assert 0.0 <= float(trainer.callback_metrics["val/auroc"]) <= 1.0

"""``last.ckpt`` is always the latest state; best-checkpoint ties are broken by the validation loss; a
resume restores the best score and path. Tiny generator on the toy batches (2 per epoch), CPU, seconds."""

from __future__ import annotations

import math
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch

from mathft.callbacks import ExportBestToHF, TaskMetricCheckpoint
from mathft.callbacks.checkpointing import selection_key
from mathft.modules import BackboneConfig, GenerationSettings, GeneratorModule
from tests.modules.mathft_toy_batches import ToyDataModule


class _Record(pl.Callback):
    """Every checkpoint written (file name, step) and every validation's metrics."""

    def __init__(self) -> None:
        self.saves: list[tuple[str, int]] = []
        self.validations: list[tuple[int, dict[str, float]]] = []

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        save = trainer.save_checkpoint

        def recorded(path, *args, **kwargs):
            self.saves.append((Path(path).name, trainer.global_step))
            return save(path, *args, **kwargs)

        trainer.save_checkpoint = recorded

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.validations.append((trainer.global_step, {k: float(v) for k, v in trainer.callback_metrics.items()}))


def _fit(backbone: Path, root: Path, max_steps: int, ckpt_path: str | None = None,
         **checkpoint_args) -> tuple[TaskMetricCheckpoint, _Record, ExportBestToHF]:
    pl.seed_everything(0)
    module = GeneratorModule(BackboneConfig(str(backbone)), optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2),
                             generation=GenerationSettings(max_new_tokens=4))
    checkpoint, record, export = TaskMetricCheckpoint(**checkpoint_args), _Record(), ExportBestToHF()
    trainer = pl.Trainer(accelerator="cpu", max_steps=max_steps, val_check_interval=3, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=root, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[checkpoint, record, export])
    trainer.fit(module, datamodule=ToyDataModule(str(backbone), "generator"), ckpt_path=ckpt_path)
    return checkpoint, record, export


def _step_of(path: str | Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def test_last_ckpt_follows_the_step_cadence_and_the_end_of_fit(tiny_backbone_dir, tmp_path) -> None:
    """7 steps, validation at 3 and 6, last every 2: last.ckpt at 2, 4, 6 (after that step's validation)
    and 7 (end of fit), whether or not val/pass@1 improved; files under <root>/checkpoints."""
    checkpoint, record, _ = _fit(tiny_backbone_dir, tmp_path, 7, last_every_n_steps=2)
    last_steps = [step for name, step in record.saves if name == "last.ckpt"]
    assert {2, 4, 6, 7} <= set(last_steps) and last_steps[-1] == 7
    assert _step_of(tmp_path / "checkpoints" / "last.ckpt") == 7
    assert Path(checkpoint.last_model_path) == tmp_path / "checkpoints" / "last.ckpt"
    # At step 6 the top-k file comes before last.ckpt, so last.ckpt records that validation's best too.
    at_six = [name for name, step in record.saves if step == 6]
    assert at_six.index("last.ckpt") > at_six.index("epoch2-step6.ckpt")


def test_last_ckpt_without_cadence_is_still_written_at_the_end(tiny_backbone_dir, tmp_path) -> None:
    """No cadence: last.ckpt after every validation (3, 6) and at the end (8), not only on improvement."""
    _, record, _ = _fit(tiny_backbone_dir, tmp_path, 8)
    assert [step for name, step in record.saves if name == "last.ckpt"][-1] == 8
    assert _step_of(tmp_path / "checkpoints" / "last.ckpt") == 8


def test_selection_key_by_hand() -> None:
    """max score first; among equal scores the lower loss; NaN or None below everything."""
    assert selection_key(0.5, 3.0) > selection_key(0.4, 1.0)
    assert selection_key(0.0, 1.0) > selection_key(0.0, 2.0)
    assert selection_key(0.0, None) < selection_key(0.0, 9.0)
    assert selection_key(math.nan, 0.0) < selection_key(0.0, 9.0)
    assert selection_key(0.1, 1.0, mode="min") > selection_key(0.2, 0.0, mode="min")


@pytest.mark.parametrize("tie_breaker", ["val/loss", None])
def test_tied_metric_is_broken_by_validation_loss(tiny_backbone_dir, tmp_path, tie_breaker) -> None:
    """val/pass@1 stays 0 at steps 3 and 6 while val/loss falls: the loss picks step 6 (and hf_best
    follows it); without a tie-breaker the earliest (step 3) is kept, as Lightning does."""
    checkpoint, record, export = _fit(tiny_backbone_dir, tmp_path, 6, tie_breaker=tie_breaker)
    (s1, m1), (s2, m2) = record.validations
    assert m1["val/pass@1"] == m2["val/pass@1"] and m2["val/loss"] < m1["val/loss"]  # a tie, a lower loss
    expected = s2 if tie_breaker else s1
    assert _step_of(checkpoint.best_model_path) == expected
    assert export.source == checkpoint.best_model_path


def test_the_selected_checkpoint_keeps_its_own_validation_metrics(tiny_backbone_dir, tmp_path) -> None:
    """No tie-breaker: step 3 is selected, step 6 validated last with another loss. The metrics quoted for
    the selected weights are step 3's (they were the last validation's until 2026-12-01)."""
    checkpoint, record, _ = _fit(tiny_backbone_dir, tmp_path, 6, tie_breaker=None)
    (s1, m1), (s2, m2) = record.validations
    assert _step_of(checkpoint.best_model_path) == s1 and m1["val/loss"] != m2["val/loss"]
    selected = checkpoint.best_model_metrics
    assert selected["val/loss"] == pytest.approx(m1["val/loss"]) and selected["val/pass@1"] == m1["val/pass@1"]


def test_the_pipeline_fit_quotes_the_selected_checkpoints_metrics(tiny_backbone_dir, tmp_path) -> None:
    """``training._run`` (every fine-tuning stage's result) reports the validation of the checkpoint it
    exports, not the last validation's, when the two differ."""
    from mathft.pipeline import training

    pl.seed_everything(0)
    module = GeneratorModule(BackboneConfig(str(tiny_backbone_dir)), optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2),
                             generation=GenerationSettings(max_new_tokens=4))
    record = _Record()
    trainer = pl.Trainer(accelerator="cpu", max_steps=6, val_check_interval=3, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                         enable_model_summary=False,
                         callbacks=[TaskMetricCheckpoint(tie_breaker=None), record, ExportBestToHF()])
    result = training._run(trainer, module, ToyDataModule(str(tiny_backbone_dir), "generator"), tmp_path, "val/pass@1")
    (s1, m1), (_, m2) = record.validations
    assert _step_of(result.checkpoint) == s1 and m1["val/loss"] != m2["val/loss"]
    assert result.metrics["val/loss"] == pytest.approx(m1["val/loss"])
    assert float(trainer.callback_metrics["val/loss"]) == pytest.approx(m2["val/loss"])  # what it quoted before


def test_resume_restores_best_score_and_path(tiny_backbone_dir, tmp_path) -> None:
    """4 steps, then `ckpt_path="last"` to 7 in a fresh Trainer: the best of step 3 is known before any new
    validation, and the final best (step 6 by the tie-breaker) equals the uninterrupted run's."""
    first, _, _ = _fit(tiny_backbone_dir, tmp_path / "split", 4, last_every_n_steps=2)
    restored: dict[str, object] = {}

    class _AtStart(pl.Callback):
        def on_train_start(self, trainer, pl_module) -> None:
            cb = trainer.checkpoint_callback
            restored.update(path=cb.best_model_path, score=cb.best_model_score, ties=dict(cb.best_k_ties),
                            metrics=cb.best_model_metrics)

    pl.seed_everything(0)
    checkpoint = TaskMetricCheckpoint(last_every_n_steps=2)
    module = GeneratorModule(BackboneConfig(str(tiny_backbone_dir)), optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2),
                             generation=GenerationSettings(max_new_tokens=4))
    trainer = pl.Trainer(accelerator="cpu", max_steps=7, val_check_interval=3, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=tmp_path / "split", logger=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[checkpoint, _AtStart()])
    trainer.fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "generator"), ckpt_path="last")
    assert restored["path"] == first.best_model_path and restored["ties"] == first.best_k_ties
    assert restored["metrics"] == first.best_model_metrics and "val/loss" in restored["metrics"]
    assert torch.equal(restored["score"], first.best_model_score)

    straight, _, _ = _fit(tiny_backbone_dir, tmp_path / "straight", 7, last_every_n_steps=2)
    assert Path(checkpoint.best_model_path).name == Path(straight.best_model_path).name == "epoch2-step6.ckpt"
    assert checkpoint.best_k_ties[checkpoint.best_model_path] == straight.best_k_ties[straight.best_model_path]


def test_save_on_exception_writes_last_ckpt_only(tiny_backbone_dir, tmp_path) -> None:
    """An error after step 3 with save_on_exception: last.ckpt holds step 3 and no epoch/step file appears
    among the best checkpoints (none was selected yet: the first validation would have been at step 3)."""

    class _Fail(pl.Callback):
        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == 3:
                raise RuntimeError("boom")

    pl.seed_everything(0)
    module = GeneratorModule(BackboneConfig(str(tiny_backbone_dir)), generation=GenerationSettings(max_new_tokens=4))
    trainer = pl.Trainer(accelerator="cpu", max_steps=6, val_check_interval=3, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[TaskMetricCheckpoint(save_on_exception=True), _Fail()])
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "generator"))
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["last.ckpt"]
    assert _step_of(tmp_path / "checkpoints" / "last.ckpt") == 3

"""Checkpoint selection by task metric, HF export of the best checkpoint, TensorBoard text and figures."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.loggers import TensorBoardLogger

from tests.modules.mathft_toy_batches import ToyDataModule

from mathft.callbacks import ExportBestToHF, LogFigures, LogGenerations, TaskMetricCheckpoint
from mathft.callbacks.generations import generations_markdown
from mathft.modules import BackboneConfig, GenerationSettings, GeneratorModule
from mathft.modules.export import backbone_state, load_checkpoint_state


def _tags(log_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags: set[str] = set()
    for events in log_dir.rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(events.parent), size_guidance={"tensors": 0, "images": 0})
        acc.Reload()
        for values in acc.Tags().values():
            if isinstance(values, list):
                tags.update(values)
    return tags


def test_best_checkpoint_is_selected_by_pass1_and_exported(tiny_backbone_dir, tmp_path) -> None:
    pl.seed_everything(0)
    module = GeneratorModule(
        BackboneConfig(str(tiny_backbone_dir)),
        optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2),
        generation=GenerationSettings(max_new_tokens=4, num_samples=2),
    )
    checkpoint = TaskMetricCheckpoint(monitor="val/pass@1", dirpath=tmp_path / "ckpt")
    export = ExportBestToHF()
    trainer = pl.Trainer(
        accelerator="cpu", max_epochs=2, default_root_dir=tmp_path, num_sanity_val_steps=0,
        logger=TensorBoardLogger(tmp_path / "tb", name=""), enable_progress_bar=False, enable_model_summary=False,
        callbacks=[checkpoint, export, LogGenerations(), LogFigures()],
    )
    trainer.fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "generator"))

    assert Path(checkpoint.best_model_path).is_file() and (tmp_path / "ckpt" / "last.ckpt").is_file()
    assert "/" not in Path(checkpoint.best_model_path).name and checkpoint.monitor == "val/pass@1"
    assert export.exported_to == tmp_path / "hf_best" and export.source == checkpoint.best_model_path

    from transformers import AutoModelForCausalLM, AutoTokenizer

    exported = AutoModelForCausalLM.from_pretrained(str(export.exported_to))
    AutoTokenizer.from_pretrained(str(export.exported_to))
    best = backbone_state(load_checkpoint_state(checkpoint.best_model_path))
    for key, value in exported.state_dict().items():
        torch.testing.assert_close(value, best[key])

    reloaded = GeneratorModule.load_from_checkpoint(checkpoint.best_model_path)  # configure_model, then weights
    for key, value in reloaded.model.state_dict().items():
        torch.testing.assert_close(value, best[key], rtol=0, atol=0)

    tags = _tags(tmp_path / "tb")
    assert any(t.startswith("val/generations") for t in tags), tags
    assert "val/majk_by_k" in tags, tags


def test_generations_markdown_escapes_table_cells() -> None:
    table = generations_markdown([{"problem": "a|b", "gold": "1", "answer": None, "text": "x\ny"}])
    assert "a\\|b" in table and "x<br>y" in table and table.count("\n") == 2


def test_evaluator_figure_draws_the_rerank_strategies(tiny_backbone_dir, tmp_path) -> None:
    """The evaluator's metric re-ranks: LogFigures logs the strategies figure (Figure 1) with curves in it,
    where Figure 3 (MajK@N, the generator's) would draw nothing from the evaluator's metric names."""
    from mathft.callbacks.generations import selection_curves, selection_figure
    from mathft.metrics.figures import majk_figure
    from mathft.modules import EvaluatorModule

    pl.seed_everything(0)
    module = EvaluatorModule(BackboneConfig(str(tiny_backbone_dir)), optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2))
    trainer = pl.Trainer(accelerator="cpu", max_steps=2, default_root_dir=tmp_path, num_sanity_val_steps=0,
                         logger=TensorBoardLogger(tmp_path / "tb", name=""), enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, callbacks=[LogFigures()])
    trainer.fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "evaluator"))

    assert "val/strategies" in _tags(tmp_path / "tb")
    by_k, by_top_n = selection_curves(module.selection_metric)
    tag, figure = selection_figure(by_k, by_top_n)
    assert tag == "val/strategies" and sum(len(ax.lines) for ax in figure.axes) > 0
    assert sum(len(ax.lines) for ax in majk_figure(by_k).axes) == 0  # what it logged before

"""Fine-tuning stages: a Lightning ``Trainer`` built from the pipeline config, best checkpoint by the task
metric, HF export of the best, TensorBoard logs under ``<out>/tb/<stage>``.

A stage's checkpoints (``last.ckpt`` after every validation and at the end, and the best) and export live in
its folder; a stage restarted with the same inputs resumes from its ``last.ckpt``, and a stage stopped by
SIGTERM or SIGUSR1 saves it first (the pipeline then exits with 128 + the signal number)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch

from mathft.pipeline.config import BackboneSection, TrainConfig, TrainerConfig

__all__ = ["WarmupCosine", "FitResult", "backbone_config", "fit", "generator_parts", "evaluator_parts",
           "prepare_evaluator_data"]

# What to change in the pipeline config when the sampled training candidates cannot train an evaluator
# (the data module's own message names its arguments; the pipeline sets those from these settings).
_PIPELINE_FIXES = {
    "no_candidate": "raise sampling.train_problems or evaluator.train.max_length, or lower "
                    "evaluator.train.val_fraction",
    "no_positive": "raise generator.train.max_steps or sampling.num_samples / sampling.train_problems",
    "no_negative": "raise sampling.temperature or sampling.num_samples / sampling.train_problems",
    "no_pair": "raise sampling.num_samples (more samples per problem) or generator.train.max_steps, or use "
               "evaluator.losses: [xent]",
}


class WarmupCosine:
    """LR multiplier: linear warmup to 1, then cosine decay to ``min_ratio`` at ``total`` steps.

    A class, not a lambda, so that the scheduler can be pickled with the checkpoint.
    """

    def __init__(self, warmup: int, total: int, min_ratio: float) -> None:
        self.warmup, self.total, self.min_ratio = max(warmup, 0), max(total, 1), min_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class FitResult:
    """What a fine-tuning stage hands on.

    Attributes:
        export_dir: HF directory of the best checkpoint's backbone (tokenizer included).
        checkpoint: The checkpoint it came from (``live`` when none was saved).
        best: The monitored metric's best value.
        metrics: The last logged scalar metrics; ``None`` where a metric is undefined (logged as NaN, e.g.
            ``val/auroc`` on a one-class validation set).
    """

    export_dir: str
    checkpoint: str
    best: float | None
    metrics: dict[str, float | None]


def backbone_config(section: BackboneSection, path: str) -> Any:
    """The modules' :class:`~mathft.modules.BackboneConfig` for a model directory or Hub name."""
    from mathft.modules import BackboneConfig

    return BackboneConfig(name_or_path=path, dtype=section.dtype, attn_implementation=section.attn_implementation,
                          gradient_checkpointing=section.gradient_checkpointing)


def _optimizers(train: TrainConfig) -> tuple[Any, Any]:
    optimizer = partial(torch.optim.AdamW, lr=train.lr, weight_decay=train.weight_decay)
    schedule = WarmupCosine(train.warmup_steps, train.max_steps, train.min_lr_ratio)
    return optimizer, partial(torch.optim.lr_scheduler.LambdaLR, lr_lambda=schedule)


def generator_parts(backbone: Any, train: TrainConfig, style: str, train_files: list[str],
                    test_files: list[str], seed: int) -> tuple[Any, Any]:
    """The SSFT generator module and its datamodule (validation by greedy Pass@1)."""
    from mathft.datamodules import SSFTDataModule
    from mathft.modules import GenerationSettings, GeneratorModule

    optimizer, scheduler = _optimizers(train)
    module = GeneratorModule(backbone, optimizer=optimizer, scheduler=scheduler,
                             generation=GenerationSettings(max_new_tokens=train.val_max_new_tokens, num_samples=0))
    data = SSFTDataModule(train_files, tokenizer=backbone.tokenizer or backbone.name_or_path, style=style,
                          max_length=train.max_length, truncation=train.truncation, batch_size=train.batch_size,
                          val_fraction=train.val_fraction,
                          val_max_problems=train.val_max_problems, test_files=test_files, seed=seed)
    return module, data


def evaluator_parts(backbone: Any, train: TrainConfig, loss: str, margin: float, candidates: list[str],
                    max_pairs: int, top_k: int, seed: int) -> tuple[Any, Any]:
    """The evaluator module with the named loss (``margin``: Eq. 8, ``xent``: Eq. 9) and its datamodule.

    The datamodule is connected to what the loss needs: the margin loss trains on paired rows only.
    """
    from mathft.datamodules import EvaluatorDataModule
    from mathft.modules import EvaluatorModule
    from mathft.modules.losses import PairwiseMarginLoss, VerdictBCELoss

    optimizer, scheduler = _optimizers(train)
    component = PairwiseMarginLoss(margin) if loss == "margin" else VerdictBCELoss()
    module = EvaluatorModule(backbone, optimizer=optimizer, scheduler=scheduler, loss=component, top_k=top_k)
    data = EvaluatorDataModule(candidates, tokenizer=backbone.tokenizer or backbone.name_or_path,
                               max_length=train.max_length, max_pairs=max_pairs, batch_size=train.batch_size,
                               val_fraction=train.val_fraction, seed=seed)
    data.connect(**module.data_settings())
    return module, data


def prepare_evaluator_data(data: Any) -> str:
    """Set up the evaluator datamodule before any training step; returns its one-line summary.

    Raises:
        EvaluatorDataError: When the sampled candidates cannot train an evaluator, naming the pipeline
            settings to change.
    """
    from mathft.datamodules import EvaluatorDataError

    try:
        data.setup("fit")
    except EvaluatorDataError as err:
        raise EvaluatorDataError(f"{err}. In the pipeline: {_PIPELINE_FIXES[err.cause]}", err.cause) from err
    return data.summary()


def launched_layout(hw: TrainerConfig) -> TrainerConfig:
    """``hw`` with ``devices``/``num_nodes`` taken from torchrun's environment when the config left them at 1.

    Lightning joins a torchrun-launched group only when ``devices * num_nodes`` equals ``WORLD_SIZE``.

    Raises:
        ValueError: When the config sets a layout that disagrees with the launch (names both).
    """
    from dataclasses import replace

    from mathft.pipeline import dist

    world, local = dist.world_size(), dist.local_world_size()
    if world == 1 or hw.devices * hw.num_nodes == world:
        return hw  # one process: Lightning launches any configured devices itself
    if hw.devices == 1 and hw.num_nodes == 1:
        return replace(hw, devices=local, num_nodes=max(1, world // local))
    raise ValueError(f"trainer.devices={hw.devices} x trainer.num_nodes={hw.num_nodes} does not match the launch's "
                     f"WORLD_SIZE={world}; set both to match torchrun, or leave them at 1 to follow it")


def _strategy(hw: TrainerConfig) -> Any:
    if hw.strategy == "fsdp2":
        from lightning.pytorch.strategies import ModelParallelStrategy

        return ModelParallelStrategy(data_parallel_size=hw.devices * hw.num_nodes, tensor_parallel_size=1)
    return hw.strategy


def _trainer(hw: TrainerConfig, train: TrainConfig, run_dir: Path, tb_root: Path, name: str, monitor: str) -> Any:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import TensorBoardLogger

    from mathft.callbacks import ExportBestToHF, LogGenerations, TaskMetricCheckpoint

    from lightning.pytorch.callbacks import TQDMProgressBar

    # tqdm, not rich: its bars also show when the output is a log file rather than a terminal.
    callbacks = [TaskMetricCheckpoint(monitor=monitor, dirpath=str(run_dir / "checkpoints")),
                 ExportBestToHF(dirpath=str(run_dir / "hf")), LogGenerations(), TQDMProgressBar(refresh_rate=10)]
    # Validate every `val_every` steps and at the very end, so that the last weights are candidates too.
    val_every = min(train.val_every, train.max_steps)
    while train.max_steps % val_every:
        val_every -= 1
    return pl.Trainer(
        accelerator=hw.accelerator, devices=hw.devices, num_nodes=hw.num_nodes, strategy=_strategy(hw),
        precision=hw.precision, max_steps=train.max_steps, val_check_interval=val_every * train.accumulate_grad_batches,
        check_val_every_n_epoch=None, num_sanity_val_steps=0, accumulate_grad_batches=train.accumulate_grad_batches,
        gradient_clip_val=train.gradient_clip_val if hw.strategy != "fsdp2" else None,
        logger=TensorBoardLogger(save_dir=str(tb_root), name=name, version=""), callbacks=callbacks,
        default_root_dir=str(run_dir), enable_model_summary=False, log_every_n_steps=max(1, val_every // 5),
    )


def fit(module: Any, data: Any, *, hw: TrainerConfig, train: TrainConfig, run_dir: Path, tb_root: Path,
        name: str, monitor: str, seed: int) -> FitResult:
    """Fine-tune ``module`` on ``data``, keep the best checkpoint by ``monitor`` and export it.

    Raises:
        RuntimeError: When no validation produced ``monitor`` (e.g. an empty validation split).
    """
    import lightning.pytorch as pl

    from mathft.callbacks import ExportBestToHF

    pl.seed_everything(seed, workers=True, verbose=False)
    trainer = _trainer(launched_layout(hw), train, run_dir, tb_root, name, monitor)
    last = run_dir / "checkpoints" / "last.ckpt"
    # The stage runner keeps the folder only for a restart with the same config and inputs: resume it.
    resume = str(last) if last.exists() else None
    trainer.fit(module, datamodule=data, ckpt_path=resume)
    if resume and monitor not in trainer.callback_metrics:
        # Resumed at its end (a rerun of a finished stage): nothing was validated in this process. The
        # run's last validation was of these final weights, so validating them again gives its metrics.
        trainer.validate(module, datamodule=data, verbose=False)
    export = next(c for c in trainer.callbacks if isinstance(c, ExportBestToHF))
    ckpt = trainer.checkpoint_callback
    best = ckpt.best_model_score if ckpt is not None else None
    metrics = {k: _defined(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    if monitor not in metrics:
        raise RuntimeError(f"validation never logged {monitor}; raise val_max_problems / val_fraction of this stage")
    return FitResult(str(export.exported_to), str(export.source), None if best is None else _defined(best), metrics)


def _defined(value: Any) -> float | None:
    """``float(value)``, or ``None`` for NaN/inf: undefined, and JSON has no NaN (markers must stay valid JSON)."""
    number = float(value)
    return number if math.isfinite(number) else None

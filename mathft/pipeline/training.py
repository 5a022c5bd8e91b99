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
from mathft.jsonl import json_number

__all__ = ["WarmupCosine", "FitResult", "backbone_config", "fit", "fit_multitask", "generator_parts", "evaluator_parts",
           "multitask_parts", "prepare_evaluator_data"]

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
        metrics: The scalar metrics of the validation that selected the exported checkpoint (the last
            logged ones where it did not log a metric, or when no checkpoint was selected); ``None`` where a
            metric is undefined (logged as NaN, e.g. ``val/auroc`` on a one-class validation set).
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
    return _generator_task(train)(backbone), _generator_data(backbone, train, style, train_files, test_files, seed)


def _generator_task(train: TrainConfig) -> Any:
    """``backbone -> GeneratorModule`` with ``train``'s optimizer, schedule and validation generation."""
    from mathft.modules import GenerationSettings, GeneratorModule

    optimizer, scheduler = _optimizers(train)
    return partial(GeneratorModule, optimizer=optimizer, scheduler=scheduler,
                   generation=GenerationSettings(max_new_tokens=train.val_max_new_tokens, num_samples=0))


def _generator_data(backbone: Any, train: TrainConfig, style: str, train_files: list[str], test_files: list[str],
                    seed: int) -> Any:
    from mathft.datamodules import SSFTDataModule

    return SSFTDataModule(train_files, tokenizer=backbone.tokenizer or backbone.name_or_path, style=style,
                          max_length=train.max_length, truncation=train.truncation, batch_size=train.batch_size,
                          val_fraction=train.val_fraction,
                          val_max_problems=train.val_max_problems, test_files=test_files, seed=seed)


def evaluator_parts(backbone: Any, train: TrainConfig, loss: str, margin: float, candidates: list[str],
                    max_pairs: int, top_k: int, seed: int) -> tuple[Any, Any]:
    """The evaluator module with the named loss (``margin``: Eq. 8, ``xent``: Eq. 9) and its datamodule.

    The datamodule is connected to what the loss needs: the margin loss trains on paired rows only.
    """
    module = _evaluator_task(train, loss, margin, top_k)(backbone)
    data = _evaluator_data(backbone, train, candidates, max_pairs, seed)
    data.connect(**module.data_settings())
    return module, data


def _evaluator_task(train: TrainConfig, loss: str, margin: float, top_k: int) -> Any:
    """``backbone -> EvaluatorModule`` with the named loss and ``train``'s optimizer and schedule."""
    from mathft.modules import EvaluatorModule
    from mathft.modules.losses import PairwiseMarginLoss, VerdictBCELoss

    optimizer, scheduler = _optimizers(train)
    component = PairwiseMarginLoss(margin) if loss == "margin" else VerdictBCELoss()
    return partial(EvaluatorModule, optimizer=optimizer, scheduler=scheduler, loss=component, top_k=top_k)


def _evaluator_data(backbone: Any, train: TrainConfig, candidates: list[str], max_pairs: int, seed: int) -> Any:
    from mathft.datamodules import EvaluatorDataModule

    return EvaluatorDataModule(candidates, tokenizer=backbone.tokenizer or backbone.name_or_path,
                               max_length=train.max_length, max_pairs=max_pairs, batch_size=train.batch_size,
                               val_fraction=train.val_fraction, seed=seed)


def multitask_parts(backbone: Any, evaluator: TrainConfig, generator: TrainConfig, loss: str, margin: float,
                    candidates: list[str], max_pairs: int, top_k: int, style: str, train_files: list[str],
                    test_files: list[str], seed: int) -> tuple[Any, Any]:
    """Sequential multi-task fine-tuning (paper Sec. 3.3) from an SSFT generator, in one fit on one backbone.

    Phases: the evaluator (``evaluator``'s settings, the named loss, selected by ``val/rr_majK``), then the
    generator again (``generator``'s settings, selected by ``val/pass@1``); the weights pass from one phase
    to the next in memory, with no export or reload between them.

    Returns:
        A :class:`~mathft.modules.SequentialMultiTaskModule` and its connected
        :class:`~mathft.datamodules.PhasedDataModule`.
    """
    from mathft.datamodules import PhasedDataModule
    from mathft.modules.sequential import Phase, SequentialMultiTaskModule

    phases = [Phase("evaluator", _evaluator_task(evaluator, loss, margin, top_k), evaluator.max_steps, "val/rr_majK",
                    val_every=_val_every(evaluator)),
              Phase("generator", _generator_task(generator), generator.max_steps, "val/pass@1",
                    val_every=_val_every(generator))]
    module = SequentialMultiTaskModule(backbone, phases)
    data = PhasedDataModule([_evaluator_data(backbone, evaluator, candidates, max_pairs, seed),
                             _generator_data(backbone, generator, style, train_files, test_files, seed)])
    data.connect(tokenizer=module.tokenizer, **module.data_settings())
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


def _val_every(train: TrainConfig) -> int:
    """``train.val_every`` lowered to a divisor of ``max_steps``: the last step always validates, so that
    the final weights are candidates too."""
    val_every = min(train.val_every, train.max_steps)
    while train.max_steps % val_every:
        val_every -= 1
    return val_every


def _trainer(hw: TrainerConfig, train: TrainConfig, run_dir: Path, tb_root: Path, name: str, monitor: str | None,
             max_steps: int, val_every: int) -> Any:
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import TQDMProgressBar
    from lightning.pytorch.loggers import TensorBoardLogger

    from mathft.callbacks import ExportBestToHF, LogGenerations, TaskMetricCheckpoint

    # tqdm, not rich: its bars also show when the output is a log file rather than a terminal. Without a
    # monitor (a multi-task run, whose phases select their own bests) the callback keeps last.ckpt only.
    checkpoint = TaskMetricCheckpoint(monitor=monitor, dirpath=str(run_dir / "checkpoints"),
                                      save_top_k=1 if monitor else 0)
    callbacks = [checkpoint, ExportBestToHF(dirpath=str(run_dir / "hf")), LogGenerations(),
                 TQDMProgressBar(refresh_rate=10)]
    return pl.Trainer(
        accelerator=hw.accelerator, devices=hw.devices, num_nodes=hw.num_nodes, strategy=_strategy(hw),
        precision=hw.precision, max_steps=max_steps, val_check_interval=val_every * train.accumulate_grad_batches,
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

    pl.seed_everything(seed, workers=True, verbose=False)
    val_every = _val_every(train)
    trainer = _trainer(launched_layout(hw), train, run_dir, tb_root, name, monitor, train.max_steps, val_every)
    return _run(trainer, module, data, run_dir, monitor)


def fit_multitask(module: Any, data: Any, *, hw: TrainerConfig, train: TrainConfig, run_dir: Path,
                  tb_root: Path, name: str, seed: int) -> FitResult:
    """Run a :func:`multitask_parts` module's phases in one fit; export the last phase's best checkpoint.

    ``train`` gives what the phases share (gradient accumulation and clipping); each phase brings its own
    step budget, validation interval and optimizer. Its phase checkpoints are in
    ``<run_dir>/checkpoints/<i>_<name>/``.
    """
    import lightning.pytorch as pl

    pl.seed_everything(seed, workers=True, verbose=False)
    total = sum(p.max_steps for p in module.phases)
    # The trainer's interval only has to fit every phase (each phase validates on its own `val_every`).
    val_every = min(p.val_every or p.max_steps for p in module.phases)
    trainer = _trainer(launched_layout(hw), train, run_dir, tb_root, name, None, total, val_every)
    return _run(trainer, module, data, run_dir, module.phases[-1].monitor)


def _run(trainer: Any, module: Any, data: Any, run_dir: Path, monitor: str) -> FitResult:
    from mathft.callbacks import ExportBestToHF
    from mathft.callbacks.checkpointing import scalar_metrics

    last = run_dir / "checkpoints" / "last.ckpt"
    # The stage runner keeps the folder only for a restart with the same config and inputs: resume it.
    resume = str(last) if last.exists() else None
    trainer.fit(module, datamodule=data, ckpt_path=resume)
    if resume and monitor not in trainer.callback_metrics:
        # Resumed at its end (a rerun of a finished stage): nothing was validated in this process. The
        # run's last validation was of these final weights, so validating them again gives its metrics.
        trainer.validate(module, datamodule=data, verbose=False)
    export = next(c for c in trainer.callbacks if isinstance(c, ExportBestToHF))
    ckpt = getattr(module, "selection_callback", None) or trainer.checkpoint_callback
    best = ckpt.best_model_score if ckpt is not None else None
    metrics = scalar_metrics(trainer.callback_metrics)
    if monitor not in metrics:
        raise RuntimeError(f"validation never logged {monitor}; raise val_max_problems / val_fraction of this stage")
    # The exported weights are the selected checkpoint's: quote its validation, not the last one's.
    metrics.update(getattr(ckpt, "best_model_metrics", None) or {})
    return FitResult(str(export.exported_to), str(export.source), json_number(best), metrics)


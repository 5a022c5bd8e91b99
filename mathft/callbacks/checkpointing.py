"""Checkpoint selection by the task metric (``val/pass@1``, ``val/rr_majK``), not by the loss."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

__all__ = ["TaskMetricCheckpoint"]


class TaskMetricCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` keeping the best checkpoints by a validation task metric, plus ``last.ckpt``.

    Metric names hold ``/`` and ``@``, which must not reach file names (a ``/`` would make folders), so
    files are named by epoch and step only; the monitored value is in the checkpoint's callback state.

    A NaN value is undefined (e.g. ``val/auroc`` on a one-class validation set), not a score: such a
    checkpoint never becomes the best, and with no defined value at all ``best_model_path`` stays empty
    (:class:`~mathft.callbacks.ExportBestToHF` then exports ``last.ckpt``).

    Args:
        monitor: The metric to maximise, e.g. ``val/pass@1`` (generator) or ``val/rr_majK`` (evaluator).
        mode: ``max`` for accuracies.
        save_top_k: How many best checkpoints to keep.
        save_last: Also keep ``last.ckpt`` (for resuming).
        **kwargs: Any other ``ModelCheckpoint`` argument (``dirpath``, ``every_n_train_steps``...).
    """

    def __init__(self, monitor: str = "val/pass@1", mode: str = "max", save_top_k: int = 1,
                 save_last: bool = True, filename: str = "epoch{epoch}-step{step}", **kwargs: Any) -> None:
        super().__init__(monitor=monitor, mode=mode, save_top_k=save_top_k, save_last=save_last,
                         filename=filename, auto_insert_metric_name=False, **kwargs)

    def check_monitor_top_k(self, trainer: pl.Trainer, current: torch.Tensor | None = None) -> bool:
        """Lightning's top-k test, refusing an undefined (NaN) value on every rank alike."""
        if current is None:
            return False
        defined = not bool(torch.isnan(torch.as_tensor(current)))
        if not trainer.strategy.reduce_boolean_decision(defined, all=True):
            return False
        return super().check_monitor_top_k(trainer, current)

"""Checkpoint selection by the task metric (``val/pass@1``, ``val/rr_majK``), not by the loss."""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint

__all__ = ["TaskMetricCheckpoint"]


class TaskMetricCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` keeping the best checkpoints by a validation task metric, plus ``last.ckpt``.

    Metric names hold ``/`` and ``@``, which must not reach file names (a ``/`` would make folders), so
    files are named by epoch and step only; the monitored value is in the checkpoint's callback state.

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

"""The best checkpoints of one phase of a sequential multi-task run (``SequentialMultiTaskModule``)."""

from __future__ import annotations

import os
from typing import Any, Literal

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint

from mathft.callbacks.checkpointing import TaskMetricCheckpoint

__all__ = ["PhaseCheckpoint"]


class PhaseCheckpoint(TaskMetricCheckpoint):
    """:class:`TaskMetricCheckpoint` selecting only among the validations of phase ``phase``.

    Files go to ``<default_root_dir>/checkpoints/<phase>_<name>/``; ``last.ckpt`` and stop signals are
    left to the run's own checkpoint callback. The module adds one per phase with a ``monitor`` to the
    trainer's callbacks in its ``setup`` (not via ``configure_callbacks``; see the module).

    Args:
        phase: Index of the phase.
        name: The phase's name (folder and file names).
        monitor: Metric to select on.
        mode: ``max`` or ``min``.
        **kwargs: Any other :class:`TaskMetricCheckpoint` argument (``save_top_k``, ``tie_breaker``...).
    """

    def __init__(self, phase: int, name: str, monitor: str, mode: Literal["min", "max"] = "max",
                 **kwargs: Any) -> None:
        super().__init__(monitor=monitor, mode=mode, save_last=False, stop_signals=(), **kwargs)
        self.phase, self.phase_name = phase, name

    @property
    def state_key(self) -> str:
        # Two generator phases monitor the same metric: without the phase their states would collide.
        return f"{super().state_key}[phase={self.phase}]"

    def _default_dirpath(self, trainer: pl.Trainer) -> None:
        if self.dirpath is None:
            root = os.path.join(trainer.default_root_dir, "checkpoints", f"{self.phase}_{self.phase_name}")
            self.dirpath = os.path.realpath(root)

    def _running(self, trainer: pl.Trainer) -> bool:
        return getattr(trainer.lightning_module, "phase_index", None) == self.phase

    def _save_topk_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, Any]) -> None:
        if self._running(trainer):  # other phases log other metrics, or the same names for another task
            super()._save_topk_checkpoint(trainer, monitor_candidates)

    # The run's checkpoint callback owns last.ckpt and the stop signals (a collective per step): skip both.
    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        ModelCheckpoint.on_train_batch_end(self, trainer, pl_module, *args)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        ModelCheckpoint.on_validation_end(self, trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.signals.uninstall()

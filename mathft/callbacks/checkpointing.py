"""Checkpoints of a run: the best by the task metric (``val/pass@1``, ``val/rr_majK``) and ``last.ckpt``.

``last.ckpt`` is the run's latest state, whatever the metric did: written every ``last_every_n_steps``
steps (or after every validation), at the end of fit, and when the job is told to stop (SIGTERM, SIGUSR1;
see :mod:`mathft.callbacks.preemption`). Together with the stateful batch samplers
(:class:`mathft.datamodules.batching.PlannedDataLoader`) and the RNG state kept here, a run resumed from
it with ``--ckpt_path=last`` continues as the uninterrupted run would have.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from mathft.callbacks.preemption import Preempted, StopSignals
from mathft.callbacks.rng import capture_rng, restore_rng
from mathft.jsonl import json_number

__all__ = ["TaskMetricCheckpoint", "scalar_metrics", "selection_key"]


def selection_key(score: float | None, tie: float | None, mode: str = "max",
                  tie_mode: str = "min") -> tuple[float, float]:
    """Sort key of a checkpoint: larger is better; the secondary metric only decides among equal scores.

    An undefined value (``None`` or NaN) ranks below every defined one.

    Args:
        score: The monitored metric.
        tie: The tie-breaking metric (e.g. ``val/loss``), or ``None`` when there is none.
        mode: ``max`` or ``min`` for ``score``.
        tie_mode: ``max`` or ``min`` for ``tie``.
    """

    def signed(value: float | None, how: str) -> float:
        if value is None or math.isnan(value):
            return -math.inf
        return value if how == "max" else -value

    return signed(score, mode), signed(tie, tie_mode)


def _scalar(value: Any) -> float | None:
    return None if value is None else float(torch.as_tensor(value).float().mean())


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float | None]:
    """The one-number entries of ``metrics`` (e.g. ``trainer.callback_metrics``) as floats, NaN/inf
    (undefined) as ``None``: JSON has no NaN, and an undefined metric must not read as a number."""
    kept = {}
    for key, value in metrics.items():
        tensor = torch.as_tensor(value)
        if tensor.numel() == 1:
            kept[key] = json_number(tensor.float())
    return kept


class TaskMetricCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` keeping the best checkpoints by a validation task metric, plus ``last.ckpt``.

    Files live in ``<default_root_dir>/checkpoints`` unless ``dirpath`` is given, never under a logger's
    numbered ``version_N`` folder, so that a rerun of the same command finds them (``--ckpt_path=last``).
    Metric names hold ``/`` and ``@``, which must not reach file names (a ``/`` would make folders), so
    files are named by epoch and step only; the monitored value is in the checkpoint's callback state.

    Ties of the monitored metric (e.g. ``val/pass@1`` stuck at 0 while the loss falls) are broken by
    ``tie_breaker``; the best checkpoint, ``hf_best`` and the multi-task hand-off all follow that order.
    A NaN value is undefined (e.g. ``val/auroc`` on a one-class validation set), not a score: such a
    checkpoint never becomes the best, and with no defined value at all ``best_model_path`` stays empty
    (:class:`~mathft.callbacks.ExportBestToHF` then exports ``last.ckpt``).

    Args:
        monitor: The metric to select on, e.g. ``val/pass@1`` (generator) or ``val/rr_majK`` (evaluator).
        mode: ``max`` for accuracies.
        save_top_k: How many best checkpoints to keep.
        save_last: Keep ``last.ckpt`` (for resuming).
        last_every_n_steps: Write ``last.ckpt`` every n optimizer steps; ``None`` writes it after every
            validation. It is also written at the end of fit and on SIGTERM/SIGUSR1 either way.
        tie_breaker: Metric deciding between checkpoints with equal ``monitor`` values (default: the
            validation loss); ``None`` keeps the earliest.
        tie_breaker_mode: ``min`` (a lower ``tie_breaker`` is better) or ``max``.
        stop_signals: Signals that save ``last.ckpt`` and stop the run with exit status 128 + signal
            number (143 for SIGTERM); empty to leave signals to Lightning.
        filename: Name pattern of the best checkpoints.
        **kwargs: Any other ``ModelCheckpoint`` argument (``dirpath``, ``every_n_train_steps``...).
    """

    def __init__(self, monitor: str | None = "val/pass@1", mode: Literal["min", "max"] = "max", save_top_k: int = 1,
                 save_last: bool = True, last_every_n_steps: int | None = None,
                 tie_breaker: str | None = "val/loss", tie_breaker_mode: Literal["min", "max"] = "min",
                 stop_signals: tuple[str, ...] = ("SIGTERM", "SIGUSR1"),
                 filename: str = "epoch{epoch}-step{step}", **kwargs: Any) -> None:
        if last_every_n_steps is not None and last_every_n_steps < 1:
            raise ValueError(f"last_every_n_steps must be >= 1 or None, got {last_every_n_steps}")
        if save_last == "link":
            raise ValueError("save_last='link' would point last.ckpt at an older best checkpoint; use True")
        # Select at the end of validation, where the monitored metric was just logged (Lightning would
        # otherwise move the selection to the train epoch's end when validating once per epoch).
        kwargs.setdefault("save_on_train_epoch_end", False)
        super().__init__(monitor=monitor, mode=mode, save_top_k=save_top_k, save_last=save_last,
                         filename=filename, auto_insert_metric_name=False, **kwargs)
        self.last_every_n_steps = last_every_n_steps
        self.tie_breaker, self.tie_breaker_mode = tie_breaker, tie_breaker_mode
        self.best_k_ties: dict[str, float | None] = {}
        # Each kept checkpoint's validation metrics: what the report quotes for the weights it selects.
        self.best_k_metrics: dict[str, dict[str, float | None]] = {}
        self._current_tie: float | None = None
        self._last_saved_step = -1
        self._last_due_after_validation = False
        self._rng_to_restore: dict[str, Any] | None = None
        self._earlier_files = False
        self.signals = StopSignals(stop_signals)

    # ---- where ----------------------------------------------------------------------------------------
    def _default_dirpath(self, trainer: pl.Trainer) -> None:
        if self.dirpath is None:
            self.dirpath = os.path.realpath(os.path.join(trainer.default_root_dir, "checkpoints"))

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._default_dirpath(trainer)
        super().setup(trainer, pl_module, stage)

    def _ModelCheckpoint__warn_if_dir_not_empty(self, dirpath: str) -> None:  # noqa: N802 (Lightning's private hook)
        # Lightning warns in `setup`, before it knows whether the run resumes; decide in `on_train_start`.
        self._earlier_files = self.save_top_k != 0 and self._fs.isdir(dirpath) and bool(self._fs.ls(dirpath))

    def _find_last_checkpoints(self, trainer: pl.Trainer) -> set[str]:
        # Lightning resolves `ckpt_path="last"` before `setup`, so the default folder is needed here too.
        self._default_dirpath(trainer)
        return super()._find_last_checkpoints(trainer)

    # ---- when: last.ckpt ------------------------------------------------------------------------------
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        if self._earlier_files and trainer.ckpt_path is None:
            # A resumed run writes into its own folder on purpose; a fresh one there mixes two runs' files.
            rank_zero_warn(f"{self.dirpath} already holds checkpoints of an earlier run; pass --ckpt_path=last to "
                           "resume it, or set trainer.default_root_dir to a new folder")
        if self._rng_to_restore is not None:
            # Restored here, after the data loaders were set up, so the RNG continues from where it was saved.
            restore_rng(self._rng_to_restore)
            self._rng_to_restore = None
        self.signals.install()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        stopping = self.signals.received(trainer)
        if not (stopping or self._last_due(trainer)):
            return
        if _validation_follows(trainer):
            # Save after it, so that last.ckpt holds this step's validation and best checkpoint too.
            self._last_due_after_validation = True
            return
        self._save_last_now(trainer)
        if stopping:
            raise Preempted(self.signals.signum)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return
        stopping = self.signals.received(trainer)
        if self._last_due_after_validation or stopping or self.last_every_n_steps is None:
            self._last_due_after_validation = False
            self._save_last_now(trainer)
        if stopping:
            raise Preempted(self.signals.signum)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.signals.uninstall()
        self._save_last_now(trainer)  # the final state, whatever the cadence

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        """With ``save_on_exception``, write ``last.ckpt`` only (Lightning also drops an epoch/step file
        among the best ones). It holds the state where the error struck: a resume from it skips the batch
        that failed. Stop signals and the periodic ``last.ckpt`` need no exception handling."""
        self.signals.uninstall()
        if self._should_save_on_exception(trainer) and not isinstance(exception, Preempted):
            self._save_last_now(trainer)

    def _last_due(self, trainer: pl.Trainer) -> bool:
        n = self.last_every_n_steps
        return n is not None and trainer.global_step % n == 0

    def _save_last_now(self, trainer: pl.Trainer) -> None:
        if not self.save_last or trainer.global_step == self._last_saved_step or trainer.sanity_checking:
            return
        if trainer.fast_dev_run or trainer.state.fn != TrainerFn.FITTING or trainer.global_step == 0:
            return
        topk_step = self._last_global_step_saved
        self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
        # Lightning skips a top-k save at a step where anything was saved; last.ckpt must not block one.
        self._last_global_step_saved = topk_step

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, torch.Tensor]) -> None:
        super()._save_last_checkpoint(trainer, monitor_candidates)
        if self.save_last:
            self._last_saved_step = trainer.global_step

    # ---- which: best checkpoints ----------------------------------------------------------------------
    def _key(self, score: Any, tie: float | None) -> tuple[float, float]:
        return selection_key(_scalar(score), tie, self.mode, self.tie_breaker_mode)

    def _save_monitor_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, torch.Tensor]) -> None:
        tie = monitor_candidates.get(self.tie_breaker) if self.tie_breaker else None
        self._current_tie = _scalar(tie)
        super()._save_monitor_checkpoint(trainer, monitor_candidates)

    def check_monitor_top_k(self, trainer: pl.Trainer, current: torch.Tensor | None = None) -> bool:
        """Whether ``current`` (with this validation's tie-breaker) enters the top k; NaN never does."""
        if current is None:
            return False
        defined = not bool(torch.isnan(torch.as_tensor(current)))
        if not trainer.strategy.reduce_boolean_decision(defined, all=True):
            return False
        if self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k:
            return True
        worst = self.kth_best_model_path
        worst_key = self._key(self.best_k_models[worst], self.best_k_ties.get(worst))
        better = self._key(current, self._current_tie) > worst_key
        return trainer.strategy.reduce_boolean_decision(better, all=True)

    def _update_best_and_save(self, current: torch.Tensor, trainer: pl.Trainer,
                              monitor_candidates: dict[str, torch.Tensor]) -> None:
        """Lightning's bookkeeping, ranking by (score, tie-breaker) instead of the score alone."""
        k = len(self.best_k_models) + 1 if self.save_top_k == -1 else self.save_top_k
        removed = None
        if len(self.best_k_models) == k and k > 0:
            removed = self.kth_best_model_path
            self.best_k_models.pop(removed)
            self.best_k_ties.pop(removed, None)
            self.best_k_metrics.pop(removed, None)
        filepath = self._get_metric_interpolated_filepath_name(monitor_candidates, trainer, removed)
        self.current_score = current
        self.best_k_models[filepath] = current
        self.best_k_ties[filepath] = self._current_tie
        self.best_k_metrics[filepath] = scalar_metrics(monitor_candidates)
        rank = lambda path: self._key(self.best_k_models[path], self.best_k_ties.get(path))  # noqa: E731
        if len(self.best_k_models) == k:
            self.kth_best_model_path = min(self.best_k_models, key=rank)
            self.kth_value = self.best_k_models[self.kth_best_model_path]
        self.best_model_path = max(self.best_k_models, key=rank)
        self.best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            rank_zero_info(f"step {trainer.global_step}: {self.monitor!r} = {float(current):.5f} "
                           f"({self.tie_breaker} {self._current_tie}) enters the top {k}: {filepath}")
        self._save_checkpoint(trainer, filepath)
        if removed and self._should_remove_checkpoint(trainer, removed, filepath):
            self._remove_checkpoint(trainer, removed)

    @property
    def best_model_metrics(self) -> dict[str, float | None] | None:
        """The scalar metrics logged at the validation that selected ``best_model_path`` (``None`` when no
        checkpoint was selected); NaN (undefined) as ``None``. The last validation's metrics describe other
        weights whenever the best checkpoint is an earlier one."""
        return self.best_k_metrics.get(self.best_model_path) if self.best_model_path else None

    # ---- resume ---------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "best_k_ties": dict(self.best_k_ties),
                "best_k_metrics": {k: dict(v) for k, v in self.best_k_metrics.items()}, "rng": capture_rng()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        if state_dict.get("dirpath", self.dirpath) == self.dirpath:
            self.best_k_ties = dict(state_dict.get("best_k_ties", {}))
            self.best_k_metrics = {k: dict(v) for k, v in state_dict.get("best_k_metrics", {}).items()}
        self._rng_to_restore = state_dict.get("rng")

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.signals.uninstall()
        super().teardown(trainer, pl_module, stage)


def _validation_follows(trainer: pl.Trainer) -> bool:
    """Whether the loop validates right after this training batch (Lightning's own test, read-only)."""
    loop = trainer.fit_loop.epoch_loop
    fetcher = trainer.fit_loop._data_fetcher
    return fetcher is not None and bool(loop._should_check_val_fx(fetcher))

"""Sequential multi-task fine-tuning (paper Sec. 3.3) inside one ``fit``: one backbone, several phases.

:class:`SequentialMultiTaskModule` builds the backbone once in ``configure_model`` (sharded once under
FSDP2) and lends it to one task module per phase (e.g. :class:`~mathft.modules.GeneratorModule` ->
:class:`~mathft.modules.EvaluatorModule` -> :class:`~mathft.modules.GeneratorModule`), whose training and
validation logic runs unchanged. Phase ``i`` is the Lightning epoch ``i``: the data module
(:class:`~mathft.datamodules.PhasedDataModule`) serves phase ``i``'s loaders, exactly ``max_steps``
optimizer steps of them, and Lightning reloads the loaders at every epoch. At a phase boundary the live
weights carry on (no export, no reload) and the optimizer and LR schedule are rebuilt from the new
phase's task. Each phase selects its own best checkpoint (:class:`~mathft.callbacks.PhaseCheckpoint`,
``checkpoints/<i>_<name>/``); the phase index and the step at which each phase began are stored in every
checkpoint, so ``--ckpt_path=last`` resumes in the right phase at the right step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn
from torchmetrics import MaxMetric, Metric

from mathft.modules.backbone import BackboneConfig
from mathft.modules.base import BackboneModule

__all__ = ["Phase", "SequentialMultiTaskModule", "saved_phase"]

_STATE_KEY = "multitask"


@dataclass
class Phase:
    """One phase of a sequential multi-task run.

    Attributes:
        name: Short name (``generator``, ``evaluator``...), used in the phase's checkpoint folder.
        task: The task module given the shared backbone's config, e.g. ``partial(GeneratorModule, loss=...)``;
            in YAML a ``class_path`` with ``init_args`` lacking ``backbone``. Its optimizer and scheduler
            train this phase.
        max_steps: Optimizer steps of the phase.
        monitor: Metric selecting the phase's best checkpoint (``val/pass@1``, ``val/rr_majK``); ``None``
            keeps no best checkpoint for it.
        mode: ``max`` or ``min`` for ``monitor``.
        val_every: Validate every this many optimizer steps of the phase (counted from the phase's start);
            ``None``: the trainer's ``val_check_interval``. A generator's validation generates text, an
            evaluator's only scores: their phases want different intervals.
    """

    name: str
    task: Callable[[BackboneConfig], BackboneModule]
    max_steps: int
    monitor: str | None = None
    mode: Literal["max", "min"] = "max"
    val_every: int | None = None


def saved_phase(ckpt_path: str | Path) -> dict[str, Any] | None:
    """The multi-task state stored in a checkpoint (file, or FSDP2 folder's ``meta.pt``), ``None`` without one."""
    path = Path(ckpt_path)
    if path.is_dir():
        path = path / "meta.pt"
    # mmap: only the small dict is read, not the weights of a single-file checkpoint.
    checkpoint = torch.load(path, map_location="cpu", mmap=not path.name.endswith("meta.pt"), weights_only=False)
    return checkpoint.get(_STATE_KEY)


class SequentialMultiTaskModule(BackboneModule):
    """Run ``phases`` in order on one backbone, in one ``trainer.fit``.

    Needs ``trainer.max_steps`` equal to the phases' total (``-1`` is set to it) and loaders reloaded every
    epoch (set here). Logs what each phase's task logs, plus ``train/phase``.

    Args:
        backbone: The shared causal LM (the task modules' own backbone argument is this one).
        phases: The phases, in order (paper: generator -> evaluator -> generator).
    """

    def __init__(self, backbone: BackboneConfig, phases: list[Phase]) -> None:
        super().__init__(backbone)
        if not phases:
            raise ValueError("model.init_args.phases: give at least one phase")
        for i, phase in enumerate(phases):
            if phase.max_steps < 1:
                raise ValueError(f"model.init_args.phases[{i}].max_steps must be >= 1, got {phase.max_steps}")
            if phase.val_every is not None and not 1 <= phase.val_every <= phase.max_steps:
                raise ValueError(f"model.init_args.phases[{i}].val_every must lie in [1, max_steps={phase.max_steps}], "
                                 f"got {phase.val_every}")
        self.save_hyperparameters({"phases": [{"name": p.name, "max_steps": p.max_steps, "monitor": p.monitor}
                                              for p in phases]})
        self.phases = list(phases)
        self.tasks = nn.ModuleList([phase.task(backbone) for phase in phases])
        self.phase_starts: list[int] = []  # global step at which each phase began
        self._optimizers_for: int | None = None  # phase the current optimizers were built for
        self._resume_phase: int | None = None
        self._phase_checkpoints: dict[int, Any] = {}

    # ---- phases ---------------------------------------------------------------------------------------
    @property
    def phase_index(self) -> int:
        """The running phase.

        While fitting, the Lightning epoch (each phase is one epoch), capped at the last phase. Under
        ``validate``/``test`` there is no running phase: the phase saved in the checkpoint given to them,
        else the last phase, whose task and data (:class:`~mathft.datamodules.PhasedDataModule`) are the
        run's result.
        """
        trainer = self._trainer
        if trainer is not None and trainer.state.fn != TrainerFn.FITTING:
            return self._resume_phase if self._resume_phase is not None else len(self.phases) - 1
        epoch = trainer.current_epoch if trainer is not None else 0
        return min(epoch, len(self.phases) - 1)

    @property
    def task(self) -> BackboneModule:
        """The running phase's task module, ready to log under the hook Lightning is calling."""
        task = self.tasks[self.phase_index]
        task._current_fx_name = self._current_fx_name  # its `self.log` checks the running hook's name
        return task

    def phase_batches(self, index: int) -> int:
        """Training batches of phase ``index``: its optimizer steps times gradient accumulation."""
        return self.phases[index].max_steps * self.trainer.accumulate_grad_batches

    def setup(self, stage: str) -> None:
        for task in self.tasks:
            task.trainer = self.trainer
        if stage != "fit":
            return
        self._check_trainer()
        self._attach_phase_checkpoints(stage)

    def _check_trainer(self) -> None:
        trainer, total = self.trainer, sum(p.max_steps for p in self.phases)
        if trainer.max_steps == -1:
            trainer.fit_loop.epoch_loop.max_steps = total
        elif trainer.max_steps != total:
            raise ValueError(f"trainer.max_steps={trainer.max_steps} differs from the phases' total {total}; "
                             "set it to the total or to -1")
        if trainer.max_epochs not in (None, -1) and trainer.max_epochs < len(self.phases):
            raise ValueError(f"trainer.max_epochs={trainer.max_epochs} < {len(self.phases)} phases (one epoch each); "
                             "set it to -1")
        # Phase i is epoch i: its loaders must be requested again at every epoch, and validation steps are
        # counted within the epoch, i.e. from the phase's start (see `val_every`).
        trainer.reload_dataloaders_every_n_epochs = 1
        trainer.check_val_every_n_epoch = 1

    def configure_model(self) -> None:
        """Build the backbone once and lend it to every phase's task (not registered under them: one copy)."""
        if self.model is not None:
            return
        super().configure_model()
        for task in self.tasks:
            object.__setattr__(task, "model", self.model)  # a borrowed reference, outside their state dict
            task._tokenizer = self.tokenizer
            task.on_model_built()

    def _attach_phase_checkpoints(self, stage: str) -> None:
        """One best-checkpoint selector per phase with a ``monitor``, added to the trainer's callbacks.

        Not via ``configure_callbacks``: Lightning would let them replace the run's own
        :class:`TaskMetricCheckpoint` (their base class), which keeps ``last.ckpt``. They go before it, so
        that a ``last.ckpt`` written after a validation holds that validation's selection too (hence
        ``trainer.checkpoint_callback``, the first, is phase 0's selector; see :attr:`selection_callback`).
        """
        from lightning.pytorch.callbacks import Checkpoint

        from mathft.callbacks.phase_checkpoint import PhaseCheckpoint

        if not self._phase_checkpoints:
            self._phase_checkpoints = {i: PhaseCheckpoint(phase=i, name=p.name, monitor=p.monitor, mode=p.mode)
                                       for i, p in enumerate(self.phases) if p.monitor is not None}
        callbacks = self.trainer.callbacks
        first = next((i for i, c in enumerate(callbacks) if isinstance(c, Checkpoint)), len(callbacks))
        missing = [c for c in self._phase_checkpoints.values() if c not in callbacks]
        callbacks[first:first] = missing
        for callback in missing:
            callback.setup(self.trainer, self, stage)  # the trainer called the `setup` hooks already

    @property
    def selection_callback(self) -> Any:
        """The last phase's checkpoint selector: its best checkpoint is the run's result (``hf_best``)."""
        return self._phase_checkpoints.get(len(self.phases) - 1)

    def data_settings(self) -> dict[str, Any]:
        """Each phase's data settings, for :meth:`PhasedDataModule.connect`."""
        return {"phase_settings": [task.data_settings() for task in self.tasks]}

    # ---- optimizers: the running phase's, rebuilt at a phase boundary ---------------------------------
    def configure_optimizers(self) -> Any:
        index = self._resume_phase if self._resume_phase is not None else self.phase_index
        self._optimizers_for = index
        return self.tasks[index].build_optimizers(self.parameters())

    def on_train_start(self) -> None:
        self._resume_phase = None

    def on_train_epoch_start(self) -> None:
        index = self.phase_index
        if len(self.phase_starts) <= index:
            self.phase_starts.append(self.global_step)
        val_every = self.phases[index].val_every
        if val_every is not None:  # Lightning set the trainer's interval when it loaded this phase's data
            self.trainer.val_check_batch = val_every * self.trainer.accumulate_grad_batches
        if self._optimizers_for != index:
            rank_zero_info(f"multitask: phase {index} ({self.phases[index].name}) starts at step {self.global_step}")
            self.trainer.strategy.setup_optimizers(self.trainer)

    # ---- steps: the running phase's task ----------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        self.log("train/phase", float(self.phase_index), batch_size=1)
        return self.task.training_step(batch, batch_idx)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self.task.validation_step(batch, batch_idx)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self.task.test_step(batch, batch_idx)

    def on_validation_epoch_start(self) -> None:
        self.task.on_validation_epoch_start()

    def on_validation_epoch_end(self) -> None:
        self.task.on_validation_epoch_end()

    def on_test_epoch_start(self) -> None:
        self.task.on_test_epoch_start()

    def on_test_epoch_end(self) -> None:
        self.task.on_test_epoch_end()

    @property
    def selection_metric(self) -> Metric | None:
        """The running task's metric of its last validation (for ``LogFigures``)."""
        return getattr(self.tasks[self.phase_index], "selection_metric", None)

    @property
    def val_generations(self) -> list[dict[str, Any]]:
        """The running task's logged generations (for ``LogGenerations``)."""
        return getattr(self.tasks[self.phase_index], "val_generations", [])

    # ---- checkpoints ------------------------------------------------------------------------------------
    def best_metrics(self) -> dict[str, MaxMetric]:
        """Every phase's best-so-far metrics, keyed by phase (two generator phases keep two bests)."""
        return {f"{i}:{name}": metric
                for i, task in enumerate(self.tasks) for name, metric in task.best_metrics().items()}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint[_STATE_KEY] = {"phase": self.phase_index, "phase_starts": list(self.phase_starts),
                                  "names": [p.name for p in self.phases]}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        state = checkpoint.get(_STATE_KEY)
        if state is None:
            raise ValueError("the checkpoint holds no multi-task state; resume a SequentialMultiTaskModule run from "
                             "its own checkpoint")
        names = [p.name for p in self.phases]
        if state["names"] != names:
            raise ValueError(f"the checkpoint's phases {state['names']} differ from model.init_args.phases {names}")
        self.phase_starts = list(state["phase_starts"])
        # The loops (hence the epoch) are restored only after the optimizers are built: say which phase's.
        self._resume_phase = int(state["phase"])
        if self._optimizers_for is not None and self._optimizers_for != self._resume_phase:
            self._rebuild_optimizers_keeping_state()

    def _rebuild_optimizers_keeping_state(self) -> None:
        """Build the saved phase's optimizers and schedulers, keeping the optimizer states just loaded.

        Under strategies that restore after ``setup`` (FSDP2's ``ModelParallelStrategy``) the optimizers
        were built before the checkpoint was read, for phase 0, and the saved states were loaded into them;
        the schedulers' states are loaded after this hook, into the rebuilt ones.
        """
        strategy = self.trainer.strategy
        loaded = [(type(o), o.state_dict()) for o in strategy.optimizers]
        strategy.setup_optimizers(self.trainer)
        self._optimizers_for = self._resume_phase
        for optimizer, (kind, state) in zip(strategy.optimizers, loaded):
            if type(optimizer) is not kind:
                raise ValueError(f"resuming phase {self._resume_phase} under {type(strategy).__name__} needs the "
                                 f"optimizer class of phase 0 ({kind.__name__}), got {type(optimizer).__name__}")
            optimizer.load_state_dict(state)

"""Stop requests from a batch scheduler: SIGTERM (preemption, ``scancel``) and SIGUSR1 (SLURM's warning
before the time limit, ``sbatch --signal=USR1@120``).

A handler only records the signal; the checkpoint callback acts at the next step boundary (or at the end
of a running validation), where every rank agrees on the decision, saves ``last.ckpt`` and raises
:class:`Preempted`. Its exit status, 128 + the signal number (143 for SIGTERM, 138 for SIGUSR1), tells
the scheduler that the run did not finish, so a requeued job resumes with ``--ckpt_path=last``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

import torch

__all__ = ["Preempted", "StopSignals"]


class Preempted(SystemExit):
    """The run stopped on a signal after saving ``last.ckpt``; ``code`` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}; last.ckpt holds the latest state"


class StopSignals:
    """Records the first of ``names`` (e.g. ``("SIGTERM", "SIGUSR1")``) received while installed.

    Installed for the training loop only; the handlers that were there before (Lightning's own SIGTERM
    handler, whose ``SIGTERMException`` would exit with status 0 and no checkpoint) are put back after.
    """

    def __init__(self, names: Sequence[str] = ("SIGTERM", "SIGUSR1")) -> None:
        unknown = [n for n in names if not hasattr(signal, n)]
        if unknown:
            raise ValueError(f"stop_signals: unknown signal name(s) {unknown}; use e.g. SIGTERM, SIGUSR1")
        self.names = tuple(names)
        self.local: int | None = None  # signal number received by this process
        self.signum: int = signal.SIGTERM
        self._previous: dict[int, Any] = {}

    def _record(self, signum: int, _frame: FrameType | None) -> None:
        if self.local is None:
            self.local = signum

    def install(self) -> None:
        """Take over the signals (main thread only; elsewhere Python refuses handlers)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        self.local = None
        for name in self.names:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, self._record)

    def uninstall(self) -> None:
        """Put the previous handlers back."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number, handler in self._previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}

    def received(self, trainer: Any) -> bool:
        """Whether any rank received a stop signal; a collective when the run has several ranks."""
        local = self.local or 0
        if trainer.world_size > 1:
            # Every rank must stop at the same step, whichever rank the scheduler signalled.
            flag = torch.tensor(local, device=trainer.strategy.root_device)
            local = int(trainer.strategy.reduce(flag, reduce_op="max"))
        if local:
            self.signum = local
        return bool(local)

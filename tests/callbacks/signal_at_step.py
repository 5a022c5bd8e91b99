"""A test callback that sends its own process a signal after a given training step (a kill, a preemption)."""

from __future__ import annotations

import os
import signal

import lightning.pytorch as pl


class SignalAtStep(pl.Callback):
    """Send ``signal_name`` to this process when training step ``step`` has finished.

    Lightning runs checkpoint callbacks after every other callback, so ``last.ckpt`` of that step is not
    yet written when the signal arrives: a SIGKILL here loses the step, as a real crash would.

    Args:
        step: The global step after which to signal.
        signal_name: e.g. ``SIGKILL`` or ``SIGTERM``.
    """

    def __init__(self, step: int, signal_name: str = "SIGKILL") -> None:
        self.step, self.signal_name = step, signal_name

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), getattr(signal, self.signal_name))

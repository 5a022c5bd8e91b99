"""Lightning callbacks: checkpoints (best by task metric, last, on preemption), HF export, generation and
figure logging."""

from mathft.callbacks.checkpointing import TaskMetricCheckpoint
from mathft.callbacks.export import ExportBestToHF
from mathft.callbacks.generations import LogFigures, LogGenerations
from mathft.callbacks.phase_checkpoint import PhaseCheckpoint
from mathft.callbacks.preemption import Preempted

__all__ = ["TaskMetricCheckpoint", "ExportBestToHF", "LogGenerations", "LogFigures", "Preempted", "PhaseCheckpoint"]

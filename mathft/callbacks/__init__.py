"""Lightning callbacks: checkpoint selection by task metric, HF export, generation and figure logging."""

from mathft.callbacks.checkpointing import TaskMetricCheckpoint
from mathft.callbacks.export import ExportBestToHF
from mathft.callbacks.generations import LogFigures, LogGenerations

__all__ = ["TaskMetricCheckpoint", "ExportBestToHF", "LogGenerations", "LogFigures"]

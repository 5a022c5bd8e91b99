"""mathft.datamodules: LightningDataModules for generator SSFT and evaluator training."""

from mathft.datamodules.evaluator import EvaluatorDataModule
from mathft.datamodules.evaluator_stats import EvaluatorDataError
from mathft.datamodules.phased import PhasedDataModule
from mathft.datamodules.ssft import SSFTDataModule

__all__ = ["EvaluatorDataModule", "EvaluatorDataError", "SSFTDataModule", "PhasedDataModule"]

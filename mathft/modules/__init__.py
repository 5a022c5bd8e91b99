"""LightningModules (generator, evaluator), their backbone and loss components."""

from mathft.modules.backbone import BackboneConfig, LoraSettings
from mathft.modules.base import BackboneModule
from mathft.modules.evaluator import EvaluatorModule
from mathft.modules.generator import GenerationSettings, GeneratorModule
from mathft.modules.sequential import Phase, SequentialMultiTaskModule

__all__ = [
    "BackboneConfig",
    "LoraSettings",
    "BackboneModule",
    "GenerationSettings",
    "GeneratorModule",
    "EvaluatorModule",
    "Phase",
    "SequentialMultiTaskModule",
]

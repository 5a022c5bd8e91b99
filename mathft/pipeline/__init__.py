"""The end-to-end recipe of Liu et al. 2023 as resumable stages: config, stage runner, report.

``load_config(path, overrides)`` reads a :class:`PipelineConfig`; ``run_pipeline(config)`` runs or resumes
every stage (see :mod:`mathft.pipeline.recipe`) and writes ``<out>/report.md`` and ``<out>/report.json``.
"""

from mathft.pipeline.config import ConfigError, PipelineConfig, load_config
from mathft.pipeline.recipe import build_stages, run_pipeline
from mathft.pipeline.stages import Stage, StageError, run_stages

__all__ = ["ConfigError", "PipelineConfig", "Stage", "StageError", "build_stages", "load_config", "run_pipeline",
           "run_stages"]

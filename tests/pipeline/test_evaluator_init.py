"""``evaluator.init``: the re-ranking evaluator starts from the SSFT generator (default) or from the base model."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

import mathft.pipeline.training as training
from mathft.pipeline import build_stages, load_config
from mathft.pipeline.config import ConfigError, config_hash
from mathft.pipeline.stages import StageContext
from tests.pipeline.test_report_intervals import MICRO


class _Started(Exception):
    """Raised by the patched model loader with the path the evaluator would start from."""


def _start_of(init: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str = "evaluator_margin",
              *overrides: str) -> str:
    def record(section: object, path: str) -> None:  # stands in for training.backbone_config
        raise _Started(str(path))

    monkeypatch.setattr(training, "backbone_config", record)
    config = load_config(MICRO, [f"evaluator.init={init}", *overrides])
    stage = next(s for s in build_stages(config) if s.name == name)
    inputs = {"generator_math": {"path": "GENERATOR"}, "backbone": {"path": "BASE"}, "sample_train": {"store": "S"},
              "evaluator_margin": {"path": "EVALUATOR"}, "evaluator_xent": {"path": "XENT"}, "data": {}}
    with pytest.raises(_Started) as started:
        stage.run(StageContext(stage.name, tmp_path, tmp_path, {d: inputs[d] for d in stage.deps}, {}))
    return str(started.value)


def test_the_evaluator_starts_from_the_generator_by_default(monkeypatch, tmp_path) -> None:
    assert load_config(MICRO).evaluator.init == "generator"
    assert _start_of("generator", monkeypatch, tmp_path) == "GENERATOR"


def test_init_backbone_starts_from_the_base_model_and_depends_on_it(monkeypatch, tmp_path) -> None:
    assert _start_of("backbone", monkeypatch, tmp_path) == "BASE"
    stages = {s.name: s for s in build_stages(load_config(MICRO, ["evaluator.init=backbone"]))}
    assert "backbone" in stages["evaluator_xent"].deps
    assert "backbone" not in {s.name: s for s in build_stages(load_config(MICRO))}["evaluator_xent"].deps
    # The multi-task stage still starts from the SSFT generator (generator -> evaluator -> generator), in one
    # fit: the evaluator stage, started from the base model, is not its evaluator phase.
    assert "backbone" not in stages["multitask"].deps
    assert "generator_math" in stages["multitask"].deps and "evaluator_margin" not in stages["multitask"].deps


def test_the_multitask_generator_phase_starts_from_the_evaluator_stage(monkeypatch, tmp_path) -> None:
    """``multitask.reuse_evaluator`` (default): the evaluator stage of ``multitask.from_loss`` is the evaluator
    phase; the stage fine-tunes the generator phase from its export. Off, or with ``evaluator.init=backbone``,
    the sequential fit starts from the SSFT generator."""
    assert _start_of("generator", monkeypatch, tmp_path, "multitask") == "EVALUATOR"
    assert _start_of("generator", monkeypatch, tmp_path, "multitask", "multitask.from_loss=xent") == "XENT"
    stages = {s.name: s for s in build_stages(load_config(MICRO, ["multitask.from_loss=xent"]))}
    assert stages["multitask"].deps == ("data", "evaluator_xent")
    for overrides in (["multitask.reuse_evaluator=false"], ["evaluator.init=backbone"]):
        stages = {s.name: s for s in build_stages(load_config(MICRO, overrides))}
        assert stages["multitask"].deps == ("data", "sample_train", "generator_math"), overrides


def test_an_unknown_init_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"evaluator\.init"):
        load_config(MICRO, ["evaluator.init=base"])


def test_only_a_non_default_init_changes_the_evaluator_stages_keys() -> None:
    """Runs written before ``evaluator.init`` existed stay finished; the sequential multi-task stage never
    depends on it, and keeps the key it had before ``multitask.reuse_evaluator`` existed."""
    def keys(*overrides: str) -> dict[str, str]:
        return {s.name: config_hash(s.config) for s in build_stages(load_config(MICRO, list(overrides)))
                if s.name in {"evaluator_margin", "multitask"}}

    default, backbone = keys(), keys("evaluator.init=backbone")
    assert default == keys("evaluator.init=generator")
    assert backbone["evaluator_margin"] != default["evaluator_margin"]
    sequential = keys("multitask.reuse_evaluator=false")
    assert backbone["multitask"] == sequential["multitask"] != default["multitask"]
    assert keys("multitask.reuse_evaluator=false", "evaluator.init=backbone")["multitask"] == sequential["multitask"]
    config = load_config(MICRO)
    multitask = {"multitask": {k: v for k, v in asdict(config.multitask).items() if k != "reuse_evaluator"},
                 "evaluator": {k: v for k, v in asdict(config.evaluator).items() if k != "init"},
                 "loss": "margin", "k": config.rerank.k, "trainer": asdict(config.trainer), "seed": config.seed}
    assert sequential["multitask"] == config_hash(multitask)
    config = load_config(MICRO)
    before = {"evaluator": {k: v for k, v in asdict(config.evaluator).items() if k != "init"},
              "trainer": asdict(config.trainer), "k": config.rerank.k, "seed": config.seed}
    assert default["evaluator_margin"] == config_hash(before)

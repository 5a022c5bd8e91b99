"""``backbone.scratch.judge_steps`` / ``judge_lr``: the judging drill of a scratch backbone."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from mathft.pipeline import build_stages, load_config
from mathft.pipeline.config import ConfigError, config_hash
from tests.pipeline.test_report_intervals import MICRO


def _keys(*overrides: str) -> dict[str, str]:
    return {s.name: config_hash(s.config) for s in build_stages(load_config(MICRO, list(overrides)))}


def test_the_judging_drill_is_off_by_default_and_then_leaves_every_stage_key_as_before() -> None:
    """Runs written before the judging drill existed stay finished."""
    config = load_config(MICRO)
    assert config.backbone.scratch.judge_steps == 0
    before = asdict(config.backbone)
    del before["scratch"]["judge_steps"], before["scratch"]["judge_lr"], before["scratch"]["prebuilt"]
    del before["scratch"]["number_tokens"]  # off too (its own test below)
    backbone = next(s for s in build_stages(config) if s.name == "backbone")
    assert config_hash(backbone.config) == config_hash({"backbone": before, "families": config.data.families})
    assert _keys() == _keys("backbone.scratch.judge_lr=0.002")  # the rate of a drill that does not run


def test_turning_the_judging_drill_on_reruns_the_backbone_and_what_follows() -> None:
    off, on = _keys(), _keys("backbone.scratch.judge_steps=100")
    assert on["backbone"] != off["backbone"]
    assert on["generator_math"] != off["generator_math"]
    assert on["data"] == off["data"]


@pytest.mark.parametrize("override, key", [("backbone.scratch.judge_steps=-1", "backbone.scratch.judge_steps"),
                                           ("backbone.scratch.judge_lr=0", "backbone.scratch.judge_lr")])
def test_bad_judging_values_name_their_key(override: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(MICRO, [override])


@pytest.mark.usefixtures("one_thread")
def test_the_backbone_stage_runs_both_drills_and_records_their_losses(tmp_path) -> None:
    from mathft.pipeline.config import ScratchModelConfig
    from mathft.pipeline.data import run_scratch_backbone
    from mathft.pipeline.stages import StageContext

    config = ScratchModelConfig(vocab_size=400, corpus_problems=100, hidden_size=32, num_layers=1, num_heads=2,
                                drill_steps=1, judge_steps=2, drill_batch_size=2)
    result = run_scratch_backbone(StageContext("backbone", tmp_path, tmp_path, {}, {}), config, data_seed=0,
                                  families=["factored_linear"])
    metrics = result["metrics"]
    assert metrics["drill_loss"] > 0 and metrics["judge_loss"] > 0
    assert (Path(result["outputs"]["path"]) / "model.safetensors").exists()


def test_number_tokens_off_leaves_the_backbone_key_as_before_and_on_rebuilds() -> None:
    """``backbone.scratch.number_tokens``: 0 (digits one per token) keeps earlier runs finished."""
    config = load_config(MICRO)
    assert config.backbone.scratch.number_tokens == 0
    backbone = next(s for s in build_stages(config) if s.name == "backbone")
    assert "number_tokens" not in backbone.config["backbone"]["scratch"]
    off, on = _keys(), _keys("backbone.scratch.number_tokens=100")
    assert on["backbone"] != off["backbone"] and on["generator_math"] != off["generator_math"]
    with pytest.raises(ConfigError, match=r"backbone\.scratch\.number_tokens"):
        load_config(MICRO, ["backbone.scratch.number_tokens=-5"])


def test_a_shipped_build_key_has_number_tokens_only_when_on() -> None:
    from mathft.backbones.prebuilt import build_key

    config = load_config(MICRO)
    assert "number_tokens" not in build_key(config.backbone.scratch, 0, None)["scratch"]
    config = load_config(MICRO, ["backbone.scratch.number_tokens=300"])
    assert build_key(config.backbone.scratch, 0, None)["scratch"]["number_tokens"] == 300

"""``backbone.scratch.prebuilt``: a shipped build is copied only when its settings are the run's."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from mathft.backbones import prebuilt
from mathft.pipeline import build_stages, load_config
from mathft.pipeline.config import ScratchModelConfig, config_hash
from mathft.pipeline.data import build_scratch_backbone, run_scratch_backbone
from mathft.pipeline.stages import StageContext
from tests.pipeline.test_report_intervals import MICRO

_TINY = ScratchModelConfig(vocab_size=400, corpus_problems=100, hidden_size=32, num_layers=1, num_heads=2,
                           drill_steps=1, drill_batch_size=2, prebuilt=True)
_FAMILIES = ["factored_linear"]


@pytest.fixture()
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder holding one build of ``_TINY`` (seed 0), as ``python -m mathft.backbones.prebuilt``
    ships it."""
    model_dir, metrics = build_scratch_backbone(tmp_path / "built", _TINY, 0, _FAMILIES)
    root = tmp_path / "package"
    prebuilt.save_prebuilt(model_dir, prebuilt.build_key(_TINY, 0, _FAMILIES), metrics, root / "tiny")
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", root)
    return root / "tiny"


def _stage(tmp_path: Path, name: str) -> StageContext:
    (tmp_path / name).mkdir()
    return StageContext("backbone", tmp_path / name, tmp_path, {}, {})


@pytest.mark.usefixtures("one_thread")
def test_a_matching_build_is_copied_byte_for_byte_with_its_metrics(shipped: Path, tmp_path: Path) -> None:
    result = run_scratch_backbone(_stage(tmp_path, "run"), _TINY, 0, _FAMILIES)
    model = Path(result["outputs"]["path"])
    assert (model / "model.safetensors").read_bytes() == (shipped / "model.safetensors").read_bytes()
    assert (model / "tokenizer.json").read_bytes() == (shipped / "tokenizer.json").read_bytes()
    assert not (model / "build.json").exists()
    recorded = json.loads((shipped / "build.json").read_text())["metrics"]
    assert result["metrics"] == {**recorded, "prebuilt": True}


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("change", [{"drill_steps": 2}, {"hidden_size": 16}, {"judge_steps": 1}])
def test_any_other_setting_builds_instead_of_copying(shipped: Path, tmp_path: Path, change: dict) -> None:
    result = run_scratch_backbone(_stage(tmp_path, "run"), replace(_TINY, **change), 0, _FAMILIES)
    assert "prebuilt" not in result["metrics"]
    assert (Path(result["outputs"]["path"]) / "model.safetensors").read_bytes() != \
        (shipped / "model.safetensors").read_bytes()


@pytest.mark.parametrize("seed, families", [(1, _FAMILIES), (0, ["inverse_linear"]), (0, None)])
def test_the_data_seed_and_families_are_part_of_the_build(shipped: Path, seed: int, families: list | None) -> None:
    assert prebuilt.find_prebuilt(prebuilt.build_key(_TINY, seed, families)) is None
    assert prebuilt.find_prebuilt(prebuilt.build_key(_TINY, 0, _FAMILIES)) == shipped


def test_the_switch_itself_is_not_part_of_the_build(shipped: Path) -> None:
    assert prebuilt.find_prebuilt(prebuilt.build_key(replace(_TINY, prebuilt=False), 0, _FAMILIES)) == shipped


def test_a_damaged_shipped_file_fails_loudly_instead_of_loading(shipped: Path) -> None:
    weights = shipped / "model.safetensors"
    weights.write_bytes(b"version https://git-lfs.github.com/spec/v1\n")  # what a checkout without LFS holds
    with pytest.raises(ValueError, match="model.safetensors: SHA-256 differs"):
        prebuilt.find_prebuilt(prebuilt.build_key(_TINY, 0, _FAMILIES))


def test_an_extra_or_missing_file_fails_loudly(shipped: Path) -> None:
    (shipped / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="tokenizer.json"):
        prebuilt.find_prebuilt(prebuilt.build_key(_TINY, 0, _FAMILIES))


def test_the_switch_keys_no_stage() -> None:
    """Where the backbone comes from is not what it is: turning the switch on or off reruns nothing, and
    runs written before it existed stay finished."""
    def keys(*overrides: str) -> dict[str, str]:
        return {s.name: config_hash(s.config) for s in build_stages(load_config(MICRO, list(overrides)))}

    assert load_config(MICRO).backbone.scratch.prebuilt is False
    backbone = next(s for s in build_stages(load_config(MICRO)) if s.name == "backbone")
    assert "prebuilt" not in backbone.config["backbone"]["scratch"]
    assert keys("backbone.scratch.prebuilt=true") == keys()
    assert keys("backbone.scratch.prebuilt=true", "backbone.scratch.drill_steps=5")["backbone"] != keys()["backbone"]


@pytest.mark.usefixtures("one_thread")
def test_the_build_command_ships_what_the_backbone_stage_then_copies(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m mathft.backbones.prebuilt CONFIG`` builds with the config's own settings and seed."""
    root = tmp_path / "package"
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", root)
    assert prebuilt.main([str(MICRO), "--name", "micro"]) == 0
    config = load_config(MICRO, ["backbone.scratch.prebuilt=true"])
    found = prebuilt.find_prebuilt(prebuilt.build_key(config.backbone.scratch, config.data.seed,
                                                      config.data.families))
    assert found == root / "micro"
    result = run_scratch_backbone(_stage(tmp_path, "run"), config.backbone.scratch, config.data.seed,
                                  config.data.families)
    assert result["metrics"]["prebuilt"] is True


def test_a_config_without_a_scratch_backbone_cannot_be_prebuilt(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only a backbone.scratch"):
        prebuilt.build(MICRO.parent / "paper.yaml", tmp_path / "x", tmp_path)

"""Pipeline config: every shipped YAML parses, and every error names the key (and the file) to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathft.pipeline.config import ConfigError, PipelineConfig, config_hash, load_config
from tests.conftest import CONFIGS

PIPELINE_CONFIGS = sorted((CONFIGS / "pipeline").glob("*.yaml"))


def test_there_are_pipeline_configs() -> None:
    assert {p.stem for p in PIPELINE_CONFIGS} >= {"demo", "micro", "paper"}


@pytest.mark.parametrize("path", PIPELINE_CONFIGS, ids=lambda p: p.stem)
def test_every_pipeline_config_parses(path: Path) -> None:
    config = load_config(path)
    assert isinstance(config, PipelineConfig)
    assert config.primary_style in config.generator.styles


def test_paper_config_is_the_papers_setting() -> None:
    """Paper Sec. 4: N = 64 samples at T = 0.6, top-p 0.95; MATH + PRM800K generators; 8 GPUs, FSDP2."""
    config = load_config(CONFIGS / "pipeline" / "paper.yaml")
    assert (config.sampling.num_samples, config.sampling.temperature, config.sampling.top_p) == (64, 0.6, 0.95)
    assert config.generator.styles == ["math", "prm800k"]
    assert config.evaluator.losses == ["margin", "xent"]
    assert (config.trainer.strategy, config.trainer.devices, config.trainer.accelerator) == ("fsdp2", 8, "gpu")
    assert config.backbone.scratch is None and config.backbone.name_or_path
    assert not config.data.synthetic and config.data.train_files and config.data.test_files


def test_unknown_key_in_file_names_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("sampling:\n  num_sampels: 8\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "sampling.num_sampels" in str(err.value) and str(path) in str(err.value)


def test_wrong_type_names_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("generator:\n  train:\n    max_steps: many\n")
    with pytest.raises(ConfigError, match=r"generator\.train\.max_steps"):
        load_config(path)


def test_bad_choice_names_key() -> None:
    with pytest.raises(ConfigError, match=r"generator\.styles"):
        load_config(None, ["generator.styles=[math,latex]"])
    with pytest.raises(ConfigError, match=r"evaluator\.losses"):
        load_config(None, ["evaluator.losses=[hinge]", "backbone.name_or_path=x"])


def test_overrides_apply_and_unknown_override_is_named() -> None:
    config = load_config(CONFIGS / "pipeline" / "micro.yaml",
                         ["sampling.num_samples=3", "rerank.ks=[1,3]", "rerank.top_ns=[2,3]"])
    assert config.sampling.num_samples == 3 and config.rerank.ks == [1, 3]
    with pytest.raises(ConfigError, match=r"sampling\.tempreature"):
        load_config(CONFIGS / "pipeline" / "micro.yaml", ["sampling.tempreature=0.5"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(CONFIGS / "pipeline" / "micro.yaml", ["sampling.num_samples"])


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


def test_config_hash_changes_with_values() -> None:
    a, b = load_config(CONFIGS / "pipeline" / "micro.yaml"), load_config(CONFIGS / "pipeline" / "micro.yaml")
    assert config_hash(a.sampling) == config_hash(b.sampling)
    b.sampling.num_samples += 1
    assert config_hash(a.sampling) != config_hash(b.sampling)


def test_cli_reports_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mathft.cli.pipeline import main

    path = tmp_path / "typo.yaml"
    path.write_text("evaluator:\n  lossses: [margin]\n")
    assert main(["--config", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "evaluator.lossses" in capsys.readouterr().err


def test_synthetic_families_are_checked_up_front() -> None:
    """A misspelt family fails when the config loads, naming the key and the known families."""
    with pytest.raises(ConfigError, match=r"data\.families.*unknown synthetic families \['inverse_linaer'\].*"
                                          r"inverse_linear"):
        load_config(None, ["backbone.name_or_path=x", "data.families=[inverse_linaer]"])
    config = load_config(CONFIGS / "pipeline" / "demo.yaml")
    assert config.data.families == ["factored_linear"] and config.data.n_test >= 300

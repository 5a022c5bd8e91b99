"""The few-shot baseline stage: the base model sampled with the 4-shot prompt, and its row in Table 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.data.fewshot import fewshot_template
from mathft.pipeline import build_stages, load_config, run_stages
from mathft.pipeline.report import build_report, render_markdown
from tests.pipeline.test_report_intervals import MICRO, make_markers


@pytest.fixture(scope="module")
def fewshot_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The micro config's data, scratch backbone and few-shot stage (not the rest of the recipe)."""
    config = load_config(MICRO, ["fewshot.enabled=true"])
    stages = [s for s in build_stages(config) if s.name in {"data", "backbone", "sample_test_fewshot_math"}]
    out = tmp_path_factory.mktemp("fewshot")
    return out, run_stages(stages, out)


def test_stages_come_before_fine_tuning_and_only_when_enabled() -> None:
    names = [s.name for s in build_stages(load_config(MICRO, ["fewshot.enabled=true"]))]
    assert names.index("sample_test_fewshot_prm800k") < names.index("generator_math")
    stage = next(s for s in build_stages(load_config(MICRO, ["fewshot.enabled=true"]))
                 if s.name == "sample_test_fewshot_math")
    assert stage.deps == ("data", "backbone")  # the base model: no fine-tuned generator
    assert not any("fewshot" in s.name for s in build_stages(load_config(MICRO)))


def test_base_model_is_sampled_with_the_four_shot_prompt(fewshot_run: tuple[Path, dict]) -> None:
    out, markers = fewshot_run
    store = out / "sample_test_fewshot_math" / "store"
    assert json.loads((store / "fingerprint.json").read_text())["prompt_template"] == fewshot_template("math")
    metrics = markers["sample_test_fewshot_math"]["metrics"]
    assert metrics["num_problems"] == 6 and len(metrics["per_problem"]["problem_ids"]) == 6
    assert markers["sample_test_fewshot_math"]["outputs"]["model"] == markers["backbone"]["outputs"]["path"]


def test_report_has_the_few_shot_row(fewshot_run: tuple[Path, dict], tmp_path: Path) -> None:
    _, run = fewshot_run
    config = load_config(MICRO, ["fewshot.enabled=true"])
    markers = {**make_markers(), "sample_test_fewshot_math": run["sample_test_fewshot_math"]}
    report = build_report(config, markers, tmp_path)
    assert set(report["table2_fewshot"]) == {"math"} and report["table2_fewshot"]["math"]["num_problems"] == 6
    markdown = render_markdown(report)
    assert "| few-shot base model, math |" in markdown and "Few-shot" in markdown
    assert report["table2_fewshot"] is not None and build_report(load_config(MICRO), make_markers(),
                                                                 tmp_path)["table2_fewshot"] is None

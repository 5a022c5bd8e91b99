"""Intervals, paired comparisons and the computed closing text of the pipeline report, on hand-made markers.

The markers mimic what the stages record (``metrics`` with the means and ``per_problem`` outcomes) for 40
problems ``p00..p39``, the first ``c`` of them right for a metric with ``c`` right::

    math generator       Pass@1 10, Maj1@N 20, MajK@N 25, Pass@N 30      (regime: 75 > 50 > 25)
    prm800k generator    Pass@1 10, Maj1@N 20 (same problems as math: differences exactly 0)
    margin evaluator     RR.MajK 30: Maj1@N's 20 plus 10 more, never fewer -> +25 points, resolved
                         RR.All: p00..p17 and p20, p21 -> +2 -2 around Maj1@N, diff 0, not resolved
    multitask generator  only p00..p29 sampled; Pass@1 18 vs SSFT's 10 -> paired on 30 problems
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from mathft.pipeline import load_config
from mathft.pipeline.config import PipelineConfig
from mathft.pipeline.evaluation import outcome_table
from mathft.pipeline.findings import comparison_label
from mathft.pipeline.report import build_report, render_markdown, write_report
from mathft.selection import from_clusters
from mathft.selection.verdicts import STRATEGY_NAMES
from tests.conftest import CONFIGS

MICRO = CONFIGS / "pipeline" / "micro.yaml"
IDS = [f"p{i:02d}" for i in range(40)]
RR_ALL = [1] * 18 + [0, 0, 1, 1] + [0] * 18  # right on p00..p17, p20, p21


def _first(count: int, n: int = 40) -> list[int]:
    return [1] * count + [0] * (n - count)


def _means(outcomes: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(values) / len(values) for name, values in outcomes.items()}


def _marker(outcomes: dict[str, list[int]], ids: list[str], per_problem: bool, **metrics: Any) -> dict[str, Any]:
    block = {"per_problem": {"problem_ids": ids, "outcomes": outcomes}} if per_problem else {}
    return {"seconds": 1.0, "outputs": {"figures": {}},
            "metrics": {**_means(outcomes), "num_problems": len(ids), "num_samples": 4, "distinct_answers": 2.0,
                        **metrics, **block}}


def _rerank(per_problem: bool) -> dict[str, Any]:
    outcomes = {"pass@1": _first(10), "pass@N": _first(30), "maj1@N": _first(20), "majK@N": _first(25),
                "rr_all": RR_ALL, "rr_majK": _first(30), "w_rr": _first(20), "w_rr_majK": _first(25),
                "maj1": _first(20), "maj1_topN": _first(20)}
    accuracy = {s: sum(outcomes[s]) / 40 for s in STRATEGY_NAMES}
    cost = dict.fromkeys(STRATEGY_NAMES, 0.5)
    marker = _marker(outcomes, IDS, per_problem, k=2, top_n=2, cost=cost,
                     rows=[{"k": 2, "top_n": 2, "accuracy": accuracy, "cost": cost},
                           {"k": 1, "top_n": 2, "accuracy": accuracy, "cost": cost}])
    marker["metrics"].update(test_auroc=0.8125, test_auroc_answered=None)
    return marker


def make_markers(*, per_problem: bool = True, auroc: float | None = 0.75) -> dict[str, dict[str, Any]]:
    """Markers of a run with both styles, both losses and the multitask stage (see the module docstring)."""
    math_style = {"pass@1": _first(10), "maj1@N": _first(20), "majK@N": _first(25), "pass@N": _first(30)}
    prm = {"pass@1": _first(10), "maj1@N": _first(20), "majK@N": _first(20), "pass@N": _first(20)}
    multitask = {"pass@1": _first(18, 30), "maj1@N": _first(20, 30), "majK@N": _first(25, 30), "pass@N": _first(30, 30)}
    return {
        "sample_test_math": _marker(math_style, IDS, per_problem),
        "sample_test_prm800k": _marker(prm, IDS, per_problem),
        "evaluator_margin": {"seconds": 1.0, "metrics": {"val/auroc": auroc}},
        "evaluator_xent": {"seconds": 1.0, "metrics": {"val/auroc": 0.6}},
        "rerank_margin": _rerank(per_problem),
        "rerank_xent": _rerank(per_problem),
        "sample_test_multitask": _marker(multitask, IDS[:30], per_problem),
    }


@pytest.fixture(scope="module")
def config() -> PipelineConfig:
    return load_config(MICRO)


@pytest.fixture(scope="module")
def report(config: PipelineConfig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_report(config, make_markers(), tmp_path_factory.mktemp("report"))


def _check_interval(value: float, ci: list[float]) -> None:
    assert isinstance(value, float) and len(ci) == 2
    assert 0.0 <= ci[0] <= value <= ci[1] <= 1.0


def test_every_accuracy_keeps_its_number_and_gets_an_interval(report: dict[str, Any]) -> None:
    for style, row in report["table2"].items():
        assert set(row["ci95"]) == {"pass@1", "maj1@N", "majK@N", "pass@N"}, style
        for key, ci in row["ci95"].items():
            _check_interval(row[key], ci)
    assert report["table2"]["math"]["pass@N"] == 0.75  # the plain float consumers read
    for row in report["table3"].values():
        assert set(row["ci95"]) == {"rr_all", "rr_majK", "maj1@N", "pass@N"}
        for key, ci in row["ci95"].items():
            _check_interval(row[key], ci)
    for table in report["table4"].values():
        assert set(table["ci95"]) == set(STRATEGY_NAMES)
        for key, ci in table["ci95"].items():
            _check_interval(table["accuracy"][key], ci)
    for row in report["table7"].values():
        for key in ("pass@1", "maj1@N", "pass@N"):
            _check_interval(row[key], row["ci95"][key])


# Every comparison a run with both styles, both losses and the multi-task stage reports (test_pipeline_run too).
ALL_COMPARISONS = {
    "math:maj1@N-pass@1", "math:pass@N-maj1@N", "prm800k:maj1@N-pass@1", "prm800k:pass@N-maj1@N",
    "margin:rr_majK-rr_all", "xent:rr_majK-rr_all",
    "margin:rr_majK-maj1@N", "margin:rr_all-maj1@N", "xent:rr_majK-maj1@N", "xent:rr_all-maj1@N",
    "margin-xent:rr_majK", "margin-xent:rr_all", "multitask-ssft:maj1@N", "multitask-ssft:pass@1",
    "prm800k-math:maj1@N", "prm800k-math:pass@1"}

def test_significance_names_and_paired_values(report: dict[str, Any]) -> None:
    """RR.MajK - Maj1@N = 30/40 - 20/40 = 0.25 on 40 problems; multitask pairs on the 30 it sampled:
    Pass@1 18/30 - 10/30."""
    assert set(report["significance"]) == ALL_COMPARISONS
    majk = report["significance"]["margin:rr_majK-maj1@N"]
    assert set(majk) == {"diff", "ci95", "n"}
    assert majk["diff"] == pytest.approx(0.25) and majk["n"] == 40 and 0 < majk["ci95"][0] < 0.25 < majk["ci95"][1]
    assert report["significance"]["prm800k-math:pass@1"] == {"diff": 0.0, "ci95": [0.0, 0.0], "n": 40}
    multitask = report["significance"]["multitask-ssft:pass@1"]
    assert multitask["n"] == 30 and multitask["diff"] == pytest.approx(8 / 30)


def test_only_comparisons_whose_stages_ran(tmp_path: Path) -> None:
    config = load_config(MICRO, ["evaluator.losses=[margin]", "generator.styles=[math]", "multitask.enabled=false"])
    markers = {k: v for k, v in make_markers().items() if k in (
        "sample_test_math", "evaluator_margin", "rerank_margin")}
    report = build_report(config, markers, tmp_path)
    assert set(report["significance"]) == {"margin:rr_majK-maj1@N", "margin:rr_all-maj1@N",
                                           "margin:rr_majK-rr_all", "math:maj1@N-pass@1", "math:pass@N-maj1@N"}
    assert report["table7"] is None


def test_intervals_are_deterministic_in_the_config_seed(config: PipelineConfig, tmp_path: Path) -> None:
    first = build_report(config, make_markers(), tmp_path)
    assert build_report(config, make_markers(), tmp_path)["significance"] == first["significance"]
    other = build_report(load_config(MICRO, ["seed=5"]), make_markers(), tmp_path)
    # Another seed moves some percentile by a grid step of 1/40 (others land on the same step).
    assert other["significance"]["margin:rr_majK-maj1@N"] != first["significance"]["margin:rr_majK-maj1@N"]


def test_markdown_shows_intervals_comparisons_and_glossary(report: dict[str, Any]) -> None:
    markdown = render_markdown(report)
    assert "| math | 25.0 [" in markdown  # Pass@1 with its interval
    assert "## Comparisons" in markdown and "RR.Maj2 vs Maj1@4 (margin-loss evaluator) | +25.0 |" in markdown
    for term in ("Pass@1", "Pass@N", "Maj1@N", "MajK@N", "RR.All", "RR.MajK", "W-RR", "W-RR.MajK", "Maj1.TopN",
                 "Evaluator cost", "Distinct answers", "val AUROC", "test AUROC", "test AUROC, answered"):
        assert f"- **{term}**:" in markdown


def test_table3_quotes_the_test_aurocs_and_undefined_as_na(report: dict[str, Any]) -> None:
    """The rerank stage's test AUROCs reach Table 3; an undefined one is n/a, never 0."""
    row = report["table3"]["margin"]
    assert row["val_auroc"] == 0.75 and row["test_auroc"] == 0.8125 and row["test_auroc_answered"] is None
    assert "| 0.750 | 0.812 | n/a |" in render_markdown(report)


def test_closing_text_quotes_the_test_aurocs(report: dict[str, Any], config: PipelineConfig,
                                            tmp_path: Path) -> None:
    markdown = render_markdown(report)
    assert "the margin-loss evaluator 0.812 (n/a among the samples with an answer)" in markdown
    markers = make_markers()
    for loss in ("margin", "xent"):
        markers[f"rerank_{loss}"]["metrics"].update(test_auroc=None, test_auroc_answered=None)
    assert "Test AUROC, the chance" not in render_markdown(build_report(config, markers, tmp_path))


def test_resolved_comparison_is_a_finding_and_the_rest_are_not(report: dict[str, Any]) -> None:
    markdown = render_markdown(report)
    assert "RR.Maj2 beats Maj1@4 by 25.0 points (difference +25.0 points [" in markdown
    assert "(margin-loss evaluator, 40 problems)." in markdown
    assert ("RR.All vs Maj1@4 (margin-loss evaluator): +0.0 points [" in markdown
            and "not resolved at this sample size (40 problems)" in markdown)
    assert "beats Maj1@4 by 0.0" not in markdown  # a zero difference is never a finding
    assert "The multi-task generator beats the SSFT generator on Pass@1 by 26.7 points" in markdown


def test_regime_is_read_from_the_numbers(config: PipelineConfig, report: dict[str, Any], tmp_path: Path) -> None:
    assert "math generator is in the regime" in render_markdown(report)
    markers = make_markers()
    markers["sample_test_math"]["metrics"]["pass@1"] = 0.6  # Pass@1 above Maj1@N: not the paper's regime
    assert "math generator is not in the regime" in render_markdown(build_report(config, markers, tmp_path))


def test_text_follows_the_data_source(report: dict[str, Any], tmp_path: Path) -> None:
    """A real-data run with a pretrained model never reads like the synthetic demo."""
    assert "synthetic" in render_markdown(report)
    config = load_config(MICRO, ["data.synthetic=false", "data.train_files=[data/MATH/train]",
                                 "data.test_files=[data/MATH/test]", "backbone.scratch=null",
                                 "backbone.name_or_path=meta-llama/Llama-2-7b-hf"])
    markdown = render_markdown(build_report(config, make_markers(), tmp_path))
    assert "synthetic" not in markdown.lower() and "from scratch" not in markdown
    assert "the pretrained model meta-llama/Llama-2-7b-hf on problems from data/MATH/train" in markdown
    assert "test problems from data/MATH/test" in markdown


def test_text_names_the_real_data_and_its_tokenizer(tmp_path: Path) -> None:
    """A scratch model on MATH files: the count of training problems and where its tokenizer came from."""
    config = load_config(MICRO, ["data.synthetic=false", "data.train_files=[math/train.jsonl]",
                                 "data.test_files=[math/test.jsonl]"])
    markers = {**make_markers(), "data": {"seconds": 0.1, "metrics": {"train_problems": 400, "test_problems": 100}},
               "backbone": {"seconds": 1.0, "metrics": {"parameters": 30_000}}}
    markdown = render_markdown(build_report(config, markers, tmp_path))
    assert ("This run fine-tuned a 0.03M-parameter Llama trained from scratch (its tokenizer trained on the "
            "training problems) on 400 training problems from math/train.jsonl (test problems from "
            "math/test.jsonl)") in markdown
    assert "synthetic" not in markdown.lower()


@pytest.mark.parametrize("auroc", [None, math.nan])
def test_undefined_auroc_is_null_and_na(config: PipelineConfig, tmp_path: Path, auroc: float | None) -> None:
    write_report(tmp_path, config, make_markers(auroc=auroc))
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["table3"]["margin"]["val_auroc"] is None and report["table3"]["xent"]["val_auroc"] == 0.6
    row = next(line for line in (tmp_path / "report.md").read_text().splitlines() if line.startswith("| margin |"))
    assert row.endswith("| n/a |")


def test_markers_without_outcomes_give_no_interval(config: PipelineConfig, tmp_path: Path) -> None:
    """Markers written before ``per_problem`` existed: plain numbers, no made-up interval or comparison."""
    report = build_report(config, make_markers(per_problem=False), tmp_path)
    assert report["significance"] == {}
    assert report["table2"]["math"]["ci95"]["pass@1"] is None and report["table2"]["math"]["pass@1"] == 0.25
    markdown = render_markdown(report)
    assert "| math | 25.0 | 50.0 |" in markdown and "No per-problem outcomes" in markdown


def test_outcome_table_lists_each_problem_in_order() -> None:
    """Problem a: clusters [x, x, y] with x right -> Maj1@N 1, Pass@N 1; b: [x, y, y] with x right ->
    Maj1@N 0 (y is the majority), Pass@N 1; no greedy answer, so Pass@1 is the share right: 2/3, 1/3."""
    a = from_clusters("a", [0, 0, 1], [True, False])
    b = from_clusters("b", [0, 1, 1], [True, False])
    table = outcome_table([a, b], ["maj1@N", "pass@N", "pass@1"], k=1, top_n=1)
    assert table == {"problem_ids": ["a", "b"],
                     "outcomes": {"maj1@N": [1, 0], "pass@N": [1, 1], "pass@1": [0.666667, 0.333333]}}


def test_ssft_against_the_few_shot_baseline_is_a_paired_comparison(tmp_path: Path) -> None:
    """With a few-shot stage the report pairs the SSFT generator against the base model (paper Table 2)."""
    config = load_config(MICRO, ["evaluator.losses=[margin]", "generator.styles=[math]", "multitask.enabled=false"])
    markers = {k: v for k, v in make_markers().items() if k in (
        "sample_test_math", "evaluator_margin", "rerank_margin")}
    fewshot = {"pass@1": _first(4), "maj1@N": _first(6), "majK@N": _first(8), "pass@N": _first(12)}
    markers["sample_test_fewshot_math"] = copy.deepcopy(markers["sample_test_math"])
    markers["sample_test_fewshot_math"]["metrics"]["per_problem"]["outcomes"] = fewshot
    report = build_report(config, markers, tmp_path)
    entry = report["significance"]["math-fewshot_math:pass@1"]
    assert entry["n"] == 40 and entry["diff"] == pytest.approx(6 / 40)
    assert report["significance"]["math-fewshot_math:maj1@N"]["diff"] == pytest.approx(14 / 40)
    assert "few-shot base model (math prompt)" in comparison_label(report, "math-fewshot_math:pass@1")


@pytest.mark.parametrize("overrides, copied, says", [
    ([], False, "Llama trained from scratch on the built-in synthetic task"),
    (["backbone.scratch.drill_steps=400", "backbone.scratch.prebuilt=true"], True,
     "Llama trained from scratch, drilled on arithmetic for 400 steps (the build shipped with mathft) on the "
     "built-in synthetic task"),
    # Switched on after the backbone stage had built it: the stage's record says what happened.
    (["backbone.scratch.drill_steps=400", "backbone.scratch.prebuilt=true"], False,
     "Llama trained from scratch, drilled on arithmetic for 400 steps on the built-in synthetic task"),
    (["backbone.scratch.drill_steps=400", "backbone.scratch.judge_steps=50"], False,
     "Llama trained from scratch, drilled on arithmetic for 400 steps and on judging checks for 50 steps on"),
])
def test_text_says_how_the_scratch_backbone_was_pretrained(tmp_path: Path, overrides: list[str], copied: bool,
                                                           says: str) -> None:
    """A drilled backbone is no longer a model that learned everything from the fine-tuning data."""
    markers = make_markers()
    markers["backbone"] = {"seconds": 0.1, "metrics": {"parameters": 900_352, **({"prebuilt": True} if copied else {})}}
    markdown = render_markdown(build_report(load_config(MICRO, overrides), markers, tmp_path))
    assert says in markdown

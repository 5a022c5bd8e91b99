"""Accuracy by level and subject, per-problem results, and the report sections built from them.

The hand-made markers of ``test_report_intervals`` hold 40 problems ``p00..p39`` whose metric with ``c``
right answers is right on the first ``c``; here ``p00..p19`` are Level 1 Algebra and ``p20..p39`` Level 5
Geometry, so a metric with ``c <= 20`` right is ``c/20`` on Level 1 and 0 on Level 5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.pipeline import load_config
from mathft.pipeline.breakdown import breakdown, breakdowns, group_label, per_problem_results
from mathft.pipeline.report import build_report, render_markdown, write_report
from tests.pipeline.test_report_intervals import IDS, MICRO, make_markers

META = {pid: {"level": 1 if i < 20 else 5, "subject": "Algebra" if i < 20 else "Geometry"}
        for i, pid in enumerate(IDS)}


def test_breakdown_means_per_group_by_hand() -> None:
    """Outcomes [1, 0, 1, 1] at levels 1, 1, 2 and unknown: level 1 -> 1/2, level 2 -> 1, ? -> 1."""
    block = {"problem_ids": ["a", "b", "c", "d"], "outcomes": {"pass@1": [1, 0, 1, 1], "pass@N": [1, 1, 1, 0]}}
    meta = {"a": {"level": 1}, "b": {"level": 1}, "c": {"level": 2, "subject": "Algebra"}}
    assert breakdown(block, meta, "level") == {"1": {"n": 2, "pass@1": 0.5, "pass@N": 1.0},
                                               "2": {"n": 1, "pass@1": 1.0, "pass@N": 1.0},
                                               "?": {"n": 1, "pass@1": 1.0, "pass@N": 0.0}}
    assert breakdown(block, meta, "subject", ["pass@1"]) == {"Algebra": {"n": 1, "pass@1": 1.0},
                                                            "unknown": {"n": 3, "pass@1": 2 / 3}}
    assert group_label(None, "level") == "?" and group_label({"level": 10}, "level") == "10"


def test_levels_sort_numerically() -> None:
    block = {"problem_ids": ["a", "b", "c"], "outcomes": {"pass@1": [1, 0, 0]}}
    meta = {"a": {"level": 10}, "b": {"level": 9}, "c": {"level": None}}
    assert list(breakdown(block, meta, "level")) == ["9", "10", "?"]


def test_no_breakdown_without_levels_or_outcomes() -> None:
    block = {"problem_ids": ["a"], "outcomes": {"pass@1": [1]}}
    assert breakdowns(block, {}) == {} and breakdowns(None, {"a": {"level": 1}}) == {}
    assert set(breakdowns(block, {"a": {"level": 1}})) == {"by_level"}  # no subject anywhere: no subject table


def test_per_problem_results_show_which_problems_failed() -> None:
    blocks = {"sample_test_math": {"problem_ids": ["a", "b"], "outcomes": {"pass@1": [1, 0]}},
              "rerank_margin": {"problem_ids": ["b"], "outcomes": {"rr_majK": [1]}}, "missing": None}
    results = per_problem_results(blocks, {"a": {"level": 2, "subject": "Algebra"}})
    assert results == {"a": {"level": 2, "subject": "Algebra", "sample_test_math": {"pass@1": 1}},
                       "b": {"level": None, "subject": None, "sample_test_math": {"pass@1": 0},
                             "rerank_margin": {"rr_majK": 1}}}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_report(load_config(MICRO), make_markers(), tmp_path_factory.mktemp("r"), META)


def test_every_table_is_broken_down(report: dict) -> None:
    """math Pass@1 has 10 right (all Level 1): 50% on Level 1, 0% on Level 5; Pass@N 30 right: 100% / 50%."""
    by_level = report["table2"]["math"]["by_level"]
    assert by_level["1"] == {"n": 20, "pass@1": 0.5, "maj1@N": 1.0, "majK@N": 1.0, "pass@N": 1.0}
    assert by_level["5"]["pass@N"] == 0.5 and report["table2"]["math"]["by_subject"]["Geometry"]["n"] == 20
    assert report["table3"]["margin"]["by_level"]["5"]["rr_majK"] == 0.5  # 30 right: p20..p29 of Level 5
    assert set(report["table4"]["xent"]["by_subject"]["Algebra"]) >= {"n", "rr_all", "maj1_topN"}
    # The multi-task stage sampled p00..p29 only: Level 5 has 10 of its problems.
    assert report["table7"]["multitask"]["by_level"]["5"]["n"] == 10
    assert report["per_problem"]["p25"]["level"] == 5
    assert report["per_problem"]["p25"]["rerank_margin"]["rr_majK"] == 1
    assert "sample_test_multitask" not in report["per_problem"]["p35"]


def test_markdown_has_level_and_subject_sections(report: dict, tmp_path: Path) -> None:
    markdown = render_markdown(report)
    assert "## Accuracy by level" in markdown and "## Accuracy by subject" in markdown
    assert "| level | problems | math Pass@1 | math Maj1@4 | math Pass@4 |" in markdown
    assert "| 1 | 20 | 50.0 | 100.0 | 100.0 |" in markdown
    assert "**Table 4: strategies, margin evaluator (K = 2, N' = 2)**" in markdown
    plain = render_markdown(build_report(load_config(MICRO), make_markers(), tmp_path))
    assert "Accuracy by level" not in plain  # problems without levels: no empty sections


def test_report_json_carries_breakdowns_and_per_problem(tmp_path: Path) -> None:
    write_report(tmp_path, load_config(MICRO), make_markers(), META)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["table2"]["prm800k"]["by_subject"]["Algebra"]["pass@1"] == 0.5
    assert len(report["per_problem"]) == 40

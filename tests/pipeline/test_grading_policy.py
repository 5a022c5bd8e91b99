"""The pipeline's ``grading.approximate`` key: read from the config, used by the stages' grader, and named
beside every accuracy of the report (with a warning for a table graded under another policy)."""

from __future__ import annotations

from pathlib import Path

from mathft.pipeline import load_config
from mathft.grading import policy_name
from mathft.pipeline.evaluation import analyze
from mathft.pipeline.report import build_report, render_markdown
from mathft.records import CandidateRecord
from tests.pipeline.test_report_intervals import MICRO, make_markers


def test_the_key_defaults_to_exact_and_can_be_overridden() -> None:
    assert load_config(MICRO).grading.approximate is False
    assert load_config(MICRO, ["grading.approximate=true"]).grading.approximate is True


def test_analyze_grades_under_the_configured_policy() -> None:
    """Gold 2/3 and one candidate 0.667: wrong under the exact policy, right under the approximate one."""
    records = [CandidateRecord(problem_id="p", gold="\\frac{2}{3}", answer="0.667", greedy=True)]
    assert [a.greedy_correct for a in analyze(records)] == [False]
    assert [a.greedy_correct for a in analyze(records, approximate=True)] == [True]
    assert (policy_name(False), policy_name(True)) == ("exact", "approximate")


def _tag(markers: dict, policy: str) -> dict:
    for name in ("sample_test_math", "sample_test_prm800k", "rerank_margin", "rerank_xent", "sample_test_multitask"):
        markers[name]["metrics"]["grading_policy"] = policy
    return markers


def test_report_names_the_policy_of_every_table(tmp_path: Path) -> None:
    config = load_config(MICRO, ["grading.approximate=true"])
    report = build_report(config, _tag(make_markers(), "approximate"), tmp_path)
    assert report["grading_policy"] == "approximate"
    assert {r["grading_policy"] for r in report["table2"].values()} == {"approximate"}
    assert {r["grading_policy"] for r in report["table3"].values()} == {"approximate"}
    assert {r["grading_policy"] for r in report["table4"].values()} == {"approximate"}
    text = render_markdown(report)
    assert "Every accuracy was graded under the `approximate` policy" in text and "policy**" not in text


def test_report_warns_about_a_table_graded_under_another_policy(tmp_path: Path) -> None:
    """The sampling stages ran under the exact policy, then the key changed: Table 2 says so."""
    markers = _tag(make_markers(), "exact")
    for name in ("rerank_margin", "rerank_xent"):
        markers[name]["metrics"]["grading_policy"] = "approximate"
    text = render_markdown(build_report(load_config(MICRO, ["grading.approximate=true"]), markers, tmp_path))
    assert "**Table 2 (math) was graded under the `exact` policy**" in text
    assert "**Table 7 (multitask) was graded under the `exact` policy**" in text
    assert "Table 3 (margin) was graded" not in text

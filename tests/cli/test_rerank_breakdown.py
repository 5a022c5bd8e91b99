"""``mathft rerank --json``: metrics by level and subject, and each problem's outcomes.

Two problems of Level 1 Algebra and one of Level 5 Geometry, two samples each, no scores:
``a`` both right, ``b`` both wrong (Level 1), ``c`` one right of two (Level 5), so Pass@N is 1/2 on Level 1
and 1 on Level 5, and Maj1@N on ``c`` (a 1-1 tie) goes to the first sample's answer, which is right.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli.rerank import main

ROWS = [("a", "1", ["1", "1"]), ("b", "2", ["3", "4"]), ("c", "5", ["5", "6"])]
META = {"a": (1, "Algebra"), "b": (1, "Algebra"), "c": (5, "Geometry")}


def _candidates(path: Path, with_meta: bool) -> Path:
    with path.open("w") as out:
        for pid, gold, answers in ROWS:
            for i, answer in enumerate(answers):
                row = {"problem_id": pid, "gold": gold, "answer": answer, "sample_idx": i}
                if with_meta:
                    row.update(level=META[pid][0], subject=META[pid][1])
                out.write(json.dumps(row) + "\n")
    return path


def test_levels_and_subjects_from_the_candidate_lines(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "r.json"
    assert main(["--candidates", str(_candidates(tmp_path / "c.jsonl", True)), "--k", "1", "--top-n", "1",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["by_level"]["1"]["n"] == 2 and report["by_level"]["1"]["pass@N"] == 0.5
    assert report["by_level"]["5"]["pass@N"] == 1.0 and report["by_subject"]["Geometry"]["n"] == 1
    assert report["per_problem"]["b"] == {"level": 1, "subject": "Algebra", "pass@1": 0.0, "pass@N": 0,
                                          "maj1@N": 0, "majK@N": 0, "maj1": 0}
    text = capsys.readouterr().out
    assert "level" in text and "Geometry" in text


def test_levels_and_subjects_from_problem_files(tmp_path: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"unique_id": pid, "problem": f"p {pid}", "solution": "$\\boxed{1}$",
                                            "level": level, "subject": subject}) + "\n"
                                for pid, (level, subject) in META.items()))
    out = tmp_path / "r.json"
    assert main(["--candidates", str(_candidates(tmp_path / "c.jsonl", False)), "--k", "1", "--top-n", "1",
                 "--problems", str(problems), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["by_subject"]["Algebra"]["pass@N"] == 0.5


def test_without_levels_only_per_problem(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["--candidates", str(_candidates(tmp_path / "c.jsonl", False)), "--k", "1", "--top-n", "1",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert "by_level" not in report and report["per_problem"]["a"]["pass@N"] == 1


def test_missing_problem_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--candidates", str(_candidates(tmp_path / "c.jsonl", False)),
                 "--problems", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl: no such file" in capsys.readouterr().err

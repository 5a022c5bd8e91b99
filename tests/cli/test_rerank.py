"""``mathft rerank`` end to end on small hand-made files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli import main as mathft_main
from mathft.cli.rerank import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "candidates.jsonl"


def test_example_file_hand_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/candidates.jsonl with K=2, N'=3, worked out by hand:

    frac (gold 3/4): clusters {0.75 (from text), 3/4, 6/8} right, {1, 1} wrong; sample 5 has no answer;
      greedy \\dfrac34 right. rr_all takes .9 ("1"): wrong; RR.Maj2 too (cost 5/6); W-RR 2.17 > 1.2: right;
      Maj1.Top3 = {1, 0.75, 6/8}: right.
    root (gold 5): clusters {6, 6, 6} wrong, {x = 5, 5 (from "# Answer")} right, {7}; greedy 6 wrong.
      Maj1 wrong, Maj2 right; rr_all .95 ("7") wrong; RR.Maj2 .85 ("x = 5") right (cost 5/6);
      W-RR 1.55 > .95 > .9 right; Maj1.Top3 = {7, 5, 5}: right.
    pair (gold (1,2)): {(1, 2), (1,2)} right, {(2,1)} wrong (order matters); no greedy: pass@1 = 2/3.
      rr_all and RR.Maj2 take .7 ("(2,1)"): wrong (cost 1); W-RR 1.1 > .7 right; Maj1.Top3 right.
    Means: pass@1 = (1 + 0 + 2/3)/3 = 5/9, maj1@N = 2/3, rr_majK = 1/3, RR.Maj2 cost = (5/6+5/6+1)/3 = 8/9.
    """
    out = tmp_path / "report.json"
    assert main(["--candidates", str(EXAMPLE), "--k", "2", "--top-n", "3", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["num_problems"], report["num_candidates"]) == (3, 17)
    assert report["metrics"] == pytest.approx(
        {"pass@1": 5 / 9, "pass@N": 1, "maj1@N": 2 / 3, "majK@N": 1, "rr_all": 0, "rr_majK": 1 / 3,
         "w_rr": 1, "w_rr_majK": 1, "maj1": 2 / 3, "maj1_topN": 1}
    )  # fmt: skip
    assert report["evaluator_cost"] == pytest.approx(
        {"rr_all": 1, "rr_majK": 8 / 9, "w_rr": 1, "w_rr_majK": 8 / 9, "maj1": 0, "maj1_topN": 1}
    )
    assert report["grader"] == {"timeouts": 0, "parse_failures": 0, "policy": "exact"}
    table = capsys.readouterr().out
    assert "3 problems, 17 candidates" in table and "rr_majK" in table and "33.3%" in table
    assert not list(tmp_path.glob(".*tmp"))  # the temporary file was renamed, not left behind


def test_unscored_file_omits_strategies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without scores only the score-free metrics are reported, and the table says what was left out.
    Problem q: answers 2, 2, 3 for gold 2: Maj1 right, pass@1 = 2/3."""
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"problem_id": "q", "gold": "2", "answer": a}) + "\n" for a in "223"))
    out = tmp_path / "r.json"
    assert main(["--candidates", str(path), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["metrics"] == pytest.approx({"pass@1": 2 / 3, "pass@N": 1, "maj1@N": 1, "majK@N": 1, "maj1": 1})
    assert report["evaluator_cost"] == {"maj1": 0.0}
    assert "omitted (the file has no evaluator scores): rr_all, rr_majK, w_rr, w_rr_majK, maj1_topN" in (
        capsys.readouterr().out
    )


def test_malformed_line_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Line 3 has a string score: exit 2, the file, the line and the field on stderr, no traceback, and
    the existing report is left untouched."""
    path = tmp_path / "bad.jsonl"
    lines = [
        {"problem_id": "a", "gold": "1", "answer": "1", "score": 0.5},
        {"problem_id": "a", "gold": "1", "answer": "2", "score": 0.4},
        {"problem_id": "b", "gold": "1", "answer": "1", "score": "high"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "r.json"
    out.write_text("previous report")
    assert main(["--candidates", str(path), "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3" in err and "'score'" in err and "Traceback" not in err
    assert out.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "r.json"]


def test_invalid_json_and_partial_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Broken JSON names its line; a file where only some problems are scored is refused."""
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"problem_id": "a", "gold": "1", "answer": "1"}\n\n{"problem_id": \n')
    assert main(["--candidates", str(broken)]) == 2
    assert f"{broken}:3: invalid JSON" in capsys.readouterr().err
    partial = tmp_path / "partial.jsonl"
    partial.write_text(
        json.dumps({"problem_id": "a", "gold": "1", "answer": "1", "score": 0.2}) + "\n"
        + json.dumps({"problem_id": "b", "gold": "1", "answer": "1"}) + "\n"
    )  # fmt: skip
    assert main(["--candidates", str(partial)]) == 2
    assert "1 of 2 problems have evaluator scores" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--candidates", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_plots_through_the_dispatcher(tmp_path: Path) -> None:
    """``mathft rerank --plots DIR`` writes the four figures as PNG files."""
    plots = tmp_path / "plots"
    assert mathft_main(["rerank", "--candidates", str(EXAMPLE), "--plots", str(plots), "--seed", "1"]) == 0
    names = sorted(p.name for p in plots.iterdir())
    assert names == ["accuracy_vs_samples.png", "cluster_sizes.png", "majk_vs_k.png", "strategies.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in plots.iterdir())

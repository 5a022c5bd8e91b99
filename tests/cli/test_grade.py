"""``mathft grade`` end to end, and the grading policy named beside every accuracy of ``mathft rerank``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli import main as mathft_main
from mathft.cli.grade import main

LINES = [
    {"id": "a", "gold": "\\frac{2}{3}", "answer": "0.667"},  # an approximation: wrong unless --approximate
    {"id": "b", "gold": "7", "text": "So the answer is $\\boxed{7}$."},  # extracted from the text
    {"id": "c", "gold": "9", "text": "I could not finish."},  # no answer
    {"id": "d", "gold": "\\text{9:15 a.m.}", "answer": "9:15"},  # a clock time
    {"id": "e", "gold": 12, "answer": "\\text{twelve}"},  # a JSON number gold, a number in words
    {"id": "f", "gold": "5", "answer": None},  # explicitly no answer
]


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_verdicts_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """By hand: b, d, e are right; a is an approximation; c and f have no answer: 3/6 = 50%."""
    source = _write(tmp_path / "answers.jsonl", LINES)
    assert mathft_main(["grade", "--input", str(source), "--summary", str(tmp_path / "summary.json")]) == 0
    graded = _read(tmp_path / "answers.graded.jsonl")
    assert [line["correct"] for line in graded] == [False, True, False, True, True, False]
    assert [line["id"] for line in graded] == list("abcdef")  # every input field kept, in order
    assert graded[1]["answer"] == "7" and graded[2]["answer"] is None  # extracted answers are added
    assert graded[0]["answer"] == "0.667" and graded[5]["answer"] is None  # given ones kept as written
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary | {"input": None} == {
        "input": None, "lines": 6, "correct": 3, "accuracy": 0.5, "no_answer": 2, "parse_failures": 0,
        "timeouts": 0, "too_long": 0, "grading_policy": "exact",
    }
    printed = capsys.readouterr().out
    assert "accuracy 50.0% (3/6)" in printed and "'exact'" in printed


def test_approximate_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--approximate accepts 0.667 for 2/3: 4/6 right, and the summary says which policy decided."""
    source = _write(tmp_path / "answers.jsonl", LINES)
    out = tmp_path / "out.jsonl"
    assert main(["--input", str(source), "--output", str(out), "--approximate"]) == 0
    assert [line["correct"] for line in _read(out)] == [True, True, False, True, True, False]
    printed = capsys.readouterr().out
    assert "accuracy 66.7% (4/6)" in printed and "'approximate'" in printed


def test_malformed_lines_are_named_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _write(tmp_path / "bad.jsonl", [
        {"gold": "1", "answer": "1"}, "not json", {"answer": "2"}, "", {"gold": "3"}, {"gold": True, "answer": "1"},
        {"gold": "4", "text": 4}, [1, 2], {"gold": "5", "answer": "5"},
    ])
    out = tmp_path / "out.jsonl"
    assert main(["--input", str(source), "--output", str(out), "--summary", str(tmp_path / "s.json")]) == 2
    err = capsys.readouterr().err
    for number, what in ((2, "invalid JSON"), (3, "'gold'"), (5, "'text' or 'answer'"), (6, "bool"),
                         (7, "'text' must be a string"), (8, "JSON object")):
        assert f"{source}:{number}: " in err and what in err, (number, err)
    assert f"{source}:1:" not in err and f"{source}:9:" not in err  # good lines are not blamed
    assert not out.exists() and not (tmp_path / "s.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]  # no temporary file left either


def test_missing_or_empty_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--input", str(tmp_path / "absent.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    empty = _write(tmp_path / "empty.jsonl", [""])
    assert main(["--input", str(empty)]) == 2
    assert "no lines to grade" in capsys.readouterr().err


def test_rerank_names_its_grading_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Gold 2/3, answers 0.667 (x2) and 2/3: Pass@1 over the three is 1/3 exact, 1 approximate."""
    from mathft.cli.rerank import main as rerank

    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"problem_id": "q", "gold": "\\frac23", "answer": a}) + "\n"
                            for a in ("0.667", "0.667", "2/3")))
    reports = {}
    for flag in ([], ["--approximate"]):
        out = tmp_path / f"r{len(flag)}.json"
        assert rerank(["--candidates", str(path), "--json", str(out), *flag]) == 0
        reports[bool(flag)] = json.loads(out.read_text())
    assert reports[False]["metrics"]["pass@1"] == pytest.approx(1 / 3)
    assert reports[True]["metrics"]["pass@1"] == pytest.approx(1)
    assert (reports[False]["grader"]["policy"], reports[True]["grader"]["policy"]) == ("exact", "approximate")
    assert "policy 'approximate'" in capsys.readouterr().out

"""``mathft data check``: statistics worked out by hand on small trees and files, and its exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli.data import main as data_main
from mathft.data.check import read_for_check, split_of
from mathft.data.problem import Problem
from mathft.data.statistics import dataset_statistics, gold_findings, length_summary, percentile, problem_counts
from mathft.grading import Grader


def _write_tree(root: Path, files: dict[str, dict]) -> Path:
    for rel, row in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(row), encoding="utf-8")
    return root


def _row(level: str, subject: str, solution: str) -> dict:
    return {"problem": f"Problem of {subject}, {level}: {solution[:8]}", "level": level, "type": subject,
            "solution": solution}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Three training problems (one without a box) and one test problem, in MATH's layout."""
    return _write_tree(tmp_path / "MATH", {
        "train/algebra/1.json": _row("Level 1", "Algebra", "So $x = \\boxed{2}$."),
        "train/algebra/2.json": _row("Level 3", "Algebra", "Then $\\boxed{1}$ and finally $\\boxed{\\frac{1}{2}}$."),
        "train/geometry/1.json": _row("Level 3", "Geometry", "The area is 12 square units."),
        "test/geometry/5.json": _row("Level ?", "Geometry", "Hence $\\boxed{\\hat{x}}$."),
    })


def test_percentile_is_nearest_rank() -> None:
    """[1, 2, 3, 4]: p50 = the 2nd value (ceil(0.5*4) = 2), p90 = the 4th (ceil(3.6) = 4)."""
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 90) == 4
    assert percentile([7], 99) == 7
    with pytest.raises(ValueError):
        percentile([], 50)
    summary = length_summary([10, 30, 20, 40])
    assert summary == {"count": 4, "mean": 25.0, "p50": 20, "p90": 40, "p95": 40, "p99": 40, "max": 40}
    assert length_summary([]) is None


def test_split_of_reads_the_split_word_from_the_name() -> None:
    assert split_of("prm800k/math_splits/test.jsonl") == "test"
    assert split_of("phase2_train.jsonl") == "train"
    assert split_of("/data/MATH/train") == "train"
    assert split_of("extra_problems.jsonl") == "extra_problems"


def test_tree_reads_both_splits_and_lists_the_problem_without_gold(tree: Path) -> None:
    parts = {p.split: p for p in read_for_check(tree)}
    assert sorted(parts) == ["test", "train"]
    train = parts["train"]
    assert [p.id for p in train.problems] == ["train/algebra/1.json", "train/algebra/2.json"]
    assert len(train.no_gold) == 1 and "geometry/1.json" in train.no_gold[0]
    # MATH's gold is the last box, not both boxes joined.
    assert train.problems[1].answer == "\\frac{1}{2}"


def test_statistics_count_subjects_levels_and_golds(tree: Path) -> None:
    stats = dataset_statistics(read_for_check(tree))
    train, test = stats["splits"]["train"], stats["splits"]["test"]
    assert list(stats["splits"]) == ["train", "test"]  # train first
    assert (train["problems"], train["solutions"], train["styles"]) == (2, 2, {"math": 2})
    assert train["by_subject_level"] == {"Algebra": {"1": 1, "3": 1}}
    assert test["by_level"] == {"?": 1} and test["by_subject"] == {"Geometry": 1}
    # "So $x = \boxed{2}$." has 19 characters, the other solution 51: mean 35.0, p50 19, max 51.
    assert train["solution_chars"]["p50"] == 19 and train["solution_chars"]["max"] == 51
    assert train["solution_chars"]["mean"] == 35.0
    assert test["golds"]["unparsable"] == [{"id": "test/geometry/5.json", "answer": "\\hat{x}"}]
    assert len(train["no_gold"]) == 1 and stats["train_test_overlap"] == 0
    assert "solution_tokens" not in train  # no tokenizer: characters only


def test_gold_findings_separate_text_only_from_ungradable() -> None:
    """``\\hat{x}`` fails the parser but equals its own spelling; ``$$`` and ``1/0`` equal nothing."""
    problems = [Problem(id=str(i), problem="p", solution="s", answer=a)
                for i, a in enumerate(["5", "\\hat{x}", "$$", "1/0", "\\hat{x}", "\\text{Devon}"])]
    with Grader() as grader:
        found = gold_findings(problems, grader)
    assert [g["id"] for g in found["unparsable"]] == ["1", "4"]  # the repeated answer is listed twice
    assert [g["id"] for g in found["ungradable"]] == ["2", "3"]


def test_problem_counts_merge_unknown_level_and_subject() -> None:
    problems = [Problem("a", "p", "s", "1", level=2, subject="Algebra"), Problem("b", "p", "s", "1"),
                Problem("c", "p", "s", "1", level=2, subject="Algebra")]
    assert problem_counts(problems) == {"by_subject": {"Algebra": 2, "unknown": 1}, "by_level": {"2": 2, "?": 1},
                                        "by_subject_level": {"Algebra": {"2": 2}, "unknown": {"?": 1}}}


def test_token_lengths_use_the_ssft_sequence(synth_dir: Path, synth_tokenizer) -> None:
    from mathft.data.templates import SSFT_PROMPT_TEMPLATE

    parts = read_for_check(synth_dir / "test.math.jsonl")
    stats = dataset_statistics(parts, synth_tokenizer, max_lengths=[1, 10_000])["splits"]["test"]
    first = parts[0].problems[0]
    solution = len(synth_tokenizer(first.solution, add_special_tokens=False)["input_ids"])
    prompt = len(synth_tokenizer(SSFT_PROMPT_TEMPLATE.format(problem=first.problem))["input_ids"])
    assert stats["solution_tokens"]["count"] == 20
    assert stats["sequence_tokens"]["max"] >= prompt + solution + 1  # prompt + solution + EOS
    assert stats["over_max_length"] == {"1": 20, "10000": 0}
    total_chars = sum(len(p.solution) for p in parts[0].problems)
    assert stats["chars_per_token"] == pytest.approx(total_chars / (stats["solution_tokens"]["mean"] * 20), abs=0.02)


def test_phase_file_counts_left_out_trajectories(fixtures: Path) -> None:
    part, = read_for_check(fixtures / "prm800k" / "phase1_train.jsonl")
    assert (part.kind, part.split) == ("PRM800K phase file", "train")
    assert part.dropped and all(n > 0 for n in part.dropped.values())
    assert {p.style for p in part.problems} == {"prm800k"}


def test_cli_check_prints_tables_writes_json_and_exits_1_on_missing_gold(tree: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "stats.json"
    assert data_main(["check", str(tree), "--json", str(out)]) == 1  # one problem has no gold
    text = capsys.readouterr().out
    assert "problems whose gold answer cannot be found (skipped): 1" in text
    assert "gold answers the grader cannot parse (matched by spelling only): 1" in text
    assert json.loads(out.read_text())["splits"]["train"]["problems"] == 2
    assert data_main(["check", str(tree / "test")]) == 0


def test_cli_check_names_the_bad_path_and_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert data_main(["check", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err
    bad = tmp_path / "rows.jsonl"
    bad.write_text('{"problem": "p", "solution": "$\\\\boxed{1}$"}\n{"problem": 3}\n')
    assert data_main(["check", str(bad)]) == 2
    assert "rows.jsonl:2" in capsys.readouterr().err
    assert data_main(["check", "hf:some/dataset"]) == 2
    assert "save the dataset as JSONL" in capsys.readouterr().err

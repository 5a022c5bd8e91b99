"""Readers of MATH (tree and JSONL), PRM800K (math_splits and phase files) and Hugging Face datasets."""

from __future__ import annotations

import sys
import types

import pytest

from mathft.data.errors import DataError
from mathft.data.hendrycks_math import read_math
from mathft.data.prm800k import PhaseStats, read_prm800k_phase, read_prm800k_split
from mathft.data.sources import read_problems


def test_math_tree_reads_split_in_numeric_order(fixtures):
    problems = read_math(fixtures / "MATH", split="train")
    assert [p.id for p in problems] == [
        "train/algebra/1.json", "train/algebra/2.json", "train/algebra/10.json", "train/number_theory/7.json"
    ]
    first = problems[0]
    assert (first.level, first.subject, first.answer, first.style, first.source) == (2, "Algebra", "4", "math", "math")
    assert problems[1].level is None  # "Level ?" exists in MATH
    assert problems[1].answer == "9"  # the *last* \boxed{}
    assert problems[2].answer == "\\frac{3}{4}"


def test_math_tree_split_directory_and_test_split(fixtures):
    assert len(read_math(fixtures / "MATH" / "train")) == 4
    assert [p.id for p in read_math(fixtures / "MATH", split="test")] == ["test/algebra/5.json"]


def test_math_jsonl_skips_blank_lines(fixtures):
    problems = read_math(fixtures / "math.jsonl")
    assert [p.answer for p in problems] == ["4", "-3", "\\frac{3}{4}"]
    assert [p.id for p in problems] == ["math/1", "math/2", "math/4"]  # ids carry the line number


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("math_bad.jsonl", ["math_bad.jsonl:3", "'level'", "'hard'"]),
        ("math_badjson.jsonl", ["math_badjson.jsonl:2", "invalid JSON"]),
        ("MATH_bad", ["geometry/3.json", "'solution'"]),
        ("prm800k/math_splits/train_bad.jsonl", ["train_bad.jsonl:2", "'solution'", "must be str"]),
        ("prm800k/phase1_bad.jsonl", ["phase1_bad.jsonl:2", "label.steps[1]", "chosen_completion"]),
        ("prm800k/phase2_bad.jsonl", ["phase2_bad.jsonl:1", "question", "'ground_truth_answer'"]),
    ],
)
def test_malformed_input_names_file_line_and_field(fixtures, path, expected):
    with pytest.raises(DataError) as info:
        read_problems(fixtures / path)
    for part in expected:
        assert part in str(info.value)


def test_prm800k_math_splits(fixtures):
    problems = read_prm800k_split(fixtures / "prm800k/math_splits/train.jsonl")
    assert [p.id for p in problems] == ["train/algebra/1.json", "train/algebra/10.json", "train/number_theory/7.json"]
    assert problems[1].answer == "\\frac{3}{4}" and problems[1].level == 1 and problems[1].source == "prm800k"
    assert read_problems(fixtures / "prm800k/math_splits/train.jsonl") == problems


def test_prm800k_phase1_keeps_correct_deduplicated_trajectories(fixtures):
    """7 lines: 1 kept, 1 duplicate of it, 1 wrong answer (5 != 4), 1 kept through a human completion,
    1 give-up and 1 broken-off trajectory (unfinished), 1 kept with minimal keys."""
    stats = PhaseStats()
    examples = read_prm800k_phase(fixtures / "prm800k/phase1_train.jsonl", stats=stats)
    assert (stats.lines, stats.kept, stats.duplicates, stats.wrong_answer, stats.unfinished) == (7, 3, 1, 1, 2)
    first = examples[0]
    assert first.solution == (
        "The denominators are $2$ and $4$.\n"
        "$\\frac{1}{2} = \\frac{2}{4}$, so the sum is $\\frac{2}{4} + \\frac{1}{4} = \\frac{3}{4}$.\n"
        "# Answer\n\n3/4"
    )
    assert first.answer == "\\frac{3}{4}" and first.style == "prm800k"
    assert examples[1].solution.endswith("Divide by $2$: $x = 4$.\n# Answer\n\n4")
    assert len({e.id for e in examples}) == 3  # ids from the problem text: stable across files


def test_prm800k_phase_optional_filters_and_equivalent_answers(fixtures):
    strict = read_prm800k_phase(fixtures / "prm800k/phase1_train.jsonl", require_no_negative_steps=True)
    assert len(strict) == 2  # the minimal line has a step rated -1
    phase2 = read_problems(fixtures / "prm800k/phase2_train.jsonl")
    assert len(phase2) == 1 and phase2[0].solution.endswith("# Answer\n\n0.75")  # 0.75 == \frac{3}{4}
    assert phase2[0].id == read_prm800k_phase(fixtures / "prm800k/phase1_train.jsonl")[0].id


def test_hf_reader_reports_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(DataError, match=r"pip install 'mathft\[hf\]'"):
        read_problems("hf:hendrycks/competition_math")


def test_hf_reader_reports_unreachable_dataset(monkeypatch):
    def load_dataset(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    expected = r"could not load Hugging Face dataset 'org/math' \(config 'main', split 'train'\)"
    with pytest.raises(DataError, match=expected):
        read_problems("hf:org/math:main")


def test_hf_reader_maps_rows(monkeypatch):
    rows = [{"problem": "What is $1+1$?", "solution": "$\\boxed{2}$", "level": "Level 1", "type": "Prealgebra"}]
    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=lambda *a, **k: rows))
    (problem,) = read_problems("hf:org/math")
    assert (problem.answer, problem.level, problem.subject, problem.source) == ("2", 1, "Prealgebra", "hf:org/math")


def test_missing_path_is_named(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_problems(tmp_path / "nope.jsonl")

"""The built-in synthetic task: determinism, both styles, gradability, sizes, and the CLI."""

from __future__ import annotations

import collections
import json

from mathft.data.problem import Problem
from mathft.data.sources import read_problems
from mathft.data.splits import problem_key
from mathft.data.synthetic import corpus, generate, write_synthetic
from mathft.grading import extract_answer, is_equivalent


def test_generate_is_deterministic_per_seed():
    assert generate(60, seed=3) == generate(60, seed=3)
    assert generate(60, seed=3) != generate(60, seed=4)
    assert generate(60, seed=3, split="train") != generate(60, seed=3, split="test")


def test_every_problem_has_both_styles_with_same_gold():
    problems = generate(100, seed=0)
    by_id = collections.defaultdict(list)
    for p in problems:
        by_id[p.id].append(p)
    assert len(by_id) == 100
    for pair in by_id.values():
        math, prm = sorted(pair, key=lambda p: p.style)
        assert (math.style, prm.style) == ("math", "prm800k")
        assert math.problem == prm.problem and math.answer == prm.answer
        assert "\\boxed{" in math.solution and "# Answer" not in math.solution
        steps, answer = prm.solution.split("\n# Answer\n\n")
        assert steps and "\n" not in answer and "\\boxed" not in prm.solution


def test_answers_round_trip_through_the_grader():
    problems = generate(400, seed=1)
    for p in problems:
        assert is_equivalent(p.answer, extract_answer(p.solution)), (p.id, p.style, p.solution)
    prm_answers = [extract_answer(p.solution) for p in problems if p.style == "prm800k"]
    # Equivalence, not string equality, is needed: 3/4 or 0.75 against the gold \frac{3}{4}.
    assert any("/" in a for a in prm_answers) and any("." in a for a in prm_answers)
    assert any(a.startswith("-") for a in prm_answers)
    golds = {p.answer for p in problems}
    assert any(g.startswith("\\frac") for g in golds) and any(g.startswith("-") for g in golds)


def test_levels_and_families_are_balanced():
    problems = [p for p in generate(200, seed=0) if p.style == "math"]
    assert collections.Counter(p.level for p in problems) == {level: 40 for level in range(1, 6)}
    assert collections.Counter(p.subject for p in problems) == {
        "Arithmetic": 50, "Algebra": 50, "Fractions": 50, "Word Problems": 50
    }
    assert len({problem_key(p.problem) for p in problems}) == 200


def test_sizes_fit_a_tiny_model(synth_tokenizer):
    """~30-120 tokens for prompt plus solution; the longest (level-5 step-by-step fractions) stay < 180."""
    lengths = [len(synth_tokenizer(p.problem + p.solution)["input_ids"]) for p in generate(200, seed=0)]
    assert min(lengths) >= 15 and max(lengths) < 180 and 40 < sum(lengths) / len(lengths) < 100


def test_write_synthetic_files_read_back(tmp_path):
    written = write_synthetic(tmp_path, n_train=40, n_test=8, seed=2)
    assert sorted(written) == ["test.math", "test.prm800k", "train.math", "train.prm800k"]
    row = json.loads(written["train.math"].read_text().splitlines()[0])
    assert {"problem", "solution", "answer", "level", "subject", "unique_id"} <= set(row)
    train = read_problems(written["train.prm800k"])
    test = read_problems(written["test.math"])
    assert len(train) == 40 and len(test) == 8 and all(p.style == "prm800k" for p in train)
    assert train == [p for p in generate(40, seed=2) if p.style == "prm800k"]
    assert not {problem_key(p.problem) for p in test} & {problem_key(p.problem) for p in train}
    assert all(isinstance(p, Problem) and p.source == "synthetic" for p in test)


def test_cli_synth(tmp_path, capsys):
    from mathft.cli import main

    assert main(["data", "synth", "--out", str(tmp_path), "--n", "20", "--seed", "1"]) == 0
    assert "train.math" in capsys.readouterr().out
    assert len((tmp_path / "test.prm800k.jsonl").read_text().splitlines()) == 2  # n/10 by default
    assert main(["data", "synth", "--out", str(tmp_path), "--n", "0"]) == 2


def test_corpus_contains_templates_and_both_styles():
    texts = corpus(20)
    assert any("# Answer" in t for t in texts) and any("\\boxed" in t for t in texts)
    assert any(t.startswith("Here is a math problem:") for t in texts)
    assert any(t.startswith("Problem:\n") for t in texts)


def test_scales_to_thousands_of_distinct_problems():
    problems = [p for p in generate(5000, seed=9) if p.style == "math"]
    assert len({problem_key(p.problem) for p in problems}) == 5000

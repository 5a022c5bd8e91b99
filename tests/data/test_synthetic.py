"""The built-in synthetic task: determinism, both styles, gradability, sizes, and the CLI."""

from __future__ import annotations

import collections
import json
import re

import pytest

from mathft.data.problem import Problem
from mathft.data.sources import read_problems
from mathft.data.splits import problem_key
from mathft.data.synthetic import DEFAULT_FAMILIES, corpus, family_names, generate, write_synthetic
from mathft.data.synthetic_checkable import factored_check
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
    assert main(["data", "synth", "--out", str(tmp_path / "f"), "--n", "10", "--families", "inverse_linear"]) == 0
    assert all(json.loads(line)["subject"] == "Algebra" for line in (tmp_path / "f" / "train.math.jsonl").open())
    assert main(["data", "synth", "--out", str(tmp_path / "g"), "--n", "10", "--families", "nope"]) == 2
    assert "unknown synthetic families" in capsys.readouterr().err


def test_corpus_contains_templates_and_both_styles():
    texts = corpus(20)
    assert any("# Answer" in t for t in texts) and any("\\boxed" in t for t in texts)
    assert any(t.startswith("Here is a math problem:") for t in texts)
    assert any(t.startswith("Problem:\n") for t in texts)


def test_scales_to_thousands_of_distinct_problems():
    problems = [p for p in generate(5000, seed=9) if p.style == "math"]
    assert len({problem_key(p.problem) for p in problems}) == 5000


# --- guess-and-check families (mathft.data.synthetic_checkable) -------------------------------------------

_EQUATION = re.compile(r"\$(\d+)x(?: ([+-]) (\d+))? = (-?\d+)\$")


def test_inverse_linear_answers_solve_their_equations():
    """The gold x satisfies a x +/- b = c, read back from the problem text, at every level."""
    problems = [p for p in generate(500, seed=5, families=["inverse_linear"]) if p.style == "math"]
    assert {p.level for p in problems} == {1, 2, 3, 4, 5}
    for p in problems:
        a, sign, b, c = _EQUATION.search(p.problem).groups()
        x, b = int(p.answer), int(b or 0)
        assert int(a) * x + (b if sign != "-" else -b) == int(c), p.problem
        assert is_equivalent(p.answer, extract_answer(p.solution))


def _evaluate_try(a: int, sign: str | None, b: int, guess: int) -> int:
    return a * guess + (-b if sign == "-" else b)


def test_inverse_linear_solutions_guess_and_check_or_derive_one_step_at_a_time():
    """Either guess x (a first guess that misses is checked, judged too small/large, then corrected) with each
    check computed forward from its guess, or undo + b and divide; the last check lands on the problem's c."""
    problems = generate(300, seed=6, families=["inverse_linear"])
    routes = collections.Counter()
    tries = re.compile(r"Try \$x = (\d+)\$")
    for p in problems:
        a, sign, b, c = _EQUATION.search(p.problem).groups()
        a, b, c, x = int(a), int(b or 0), int(c), int(p.answer)
        work = p.solution.split("# Answer")[0]
        guesses = [int(g) for g in tries.findall(work)]
        if guesses:
            routes["guess", len(guesses)] += 1
            assert guesses[-1] == x and len(guesses) <= 2, p.solution
            for guess in guesses:  # every check is the guess's own forward value, not the problem's c
                assert f"= {_evaluate_try(a, sign, b, guess)}$" in work, p.solution
            if len(guesses) == 2:
                assert 1 <= abs(guesses[0] - x) <= 2
                verdict = "too small" if _evaluate_try(a, sign, b, guesses[0]) < c else "too large"
                assert verdict in work, p.solution
        else:
            routes["derive"] += 1
            assert f"{a * x} \\div {a} = " in work, p.solution
            assert not b or f"{c} {'-' if sign == '+' else '+'} {b} = {a * x}" in work, p.solution
    # All three kinds are common: 60% guess (half of them missing first), 40% derive.
    assert all(routes[kind] > 0.15 * len(problems) for kind in (("guess", 1), ("guess", 2), "derive")), routes
    by_id = collections.defaultdict(set)
    for p in problems:  # both styles of a problem take the same route
        by_id[p.id].add(tuple(tries.findall(p.solution)))
    assert all(len(routes_of_problem) == 1 for routes_of_problem in by_id.values())


def test_families_are_chosen_by_name_and_unknown_names_are_refused():
    mixed = [p for p in generate(40, seed=0, families=["inverse_linear", "arithmetic"]) if p.style == "math"]
    assert collections.Counter(p.subject for p in mixed) == {"Algebra": 20, "Arithmetic": 20}
    assert generate(40, seed=0) == generate(40, seed=0, families=list(DEFAULT_FAMILIES))
    with pytest.raises(ValueError, match="unknown synthetic families \\['nope'\\]"):
        generate(4, families=["nope"])
    assert "inverse_linear" in family_names()


def test_inverse_linear_has_room_for_the_demo():
    """The demo draws thousands of distinct equations, test problems disjoint from training ones."""
    train = [p for p in generate(3000, seed=0, families=["inverse_linear"]) if p.style == "math"]
    assert len({problem_key(p.problem) for p in train}) == 3000


_TABLE = re.compile(r"f\((\d+)\)=(\d+)")
_TABLE_QUESTION = re.compile(r"Find \$x\$ if \$((?:f\()+)x\)+ = (\d+)\$")


def _read_table_problem(text: str) -> tuple[dict[int, int], int, int]:
    """(table, depth, target) read back from an ``inverse_table`` statement."""
    head, _, question = text.partition("Find")
    nested, target = _TABLE_QUESTION.search("Find" + question).groups()
    return {int(k): int(v) for k, v in _TABLE.findall(head)}, nested.count("f("), int(target)


def _apply(table: dict[int, int], x: int, depth: int) -> int:
    for _ in range(depth):
        x = table[x]
    return x


def test_inverse_table_answers_are_the_unique_inverse_at_every_level():
    """Each table is a permutation of 1..n, so exactly one x reaches the target, and it is the gold."""
    problems = [p for p in generate(500, seed=5, families=["inverse_table"]) if p.style == "math"]
    assert {p.level for p in problems} == {1, 2, 3, 4, 5}
    depths = collections.Counter()
    for p in problems:
        table, depth, target = _read_table_problem(p.problem)
        assert sorted(table) == sorted(table.values()) == list(range(1, len(table) + 1)), p.problem
        solutions = [x for x in table if _apply(table, x, depth) == target]
        assert solutions == [int(p.answer)], p.problem
        assert is_equivalent(p.answer, extract_answer(p.solution))
        depths[p.level, depth] += 1
    assert {level: depth for level, depth in depths} == {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}


def test_inverse_table_checks_are_forward_lookups_and_misses_are_written_as_such():
    """Every tried guess is checked by honest look-ups in the problem's table; a miss ends in ``v \\neq t``
    and is followed by another guess; the last guess is the answer and lands on the target."""
    problems = generate(300, seed=6, families=["inverse_table"])
    tries_per_solution = collections.Counter()
    try_line = re.compile(r"Try \$x=(\d+)\$[.:]")
    for p in problems:
        table, depth, target = _read_table_problem(p.problem)
        work = p.solution.split("# Answer")[0]
        guesses = [int(g) for g in try_line.findall(work)]
        assert guesses[-1] == int(p.answer) and len(set(guesses)) == len(guesses) <= 3, p.solution
        tries_per_solution[len(guesses)] += 1
        for guess in guesses:
            value = guess
            for _ in range(depth):
                assert f"f({value})={table[value]}" in work, p.solution
                value = table[value]
            if guess != guesses[-1]:
                assert f"={value} \\neq {target}$" in work, p.solution
        assert work.count("\\neq") == len(guesses) - 1, p.solution
    assert all(tries_per_solution[n] > 0.15 * len(problems) for n in (1, 2, 3)), tries_per_solution


def test_inverse_table_has_room_for_the_demo():
    train = [p for p in generate(3000, seed=0, families=["inverse_table"]) if p.style == "math"]
    assert len({problem_key(p.problem) for p in train}) == 3000


_FACTORED_QUESTION = re.compile(r"\$(\d+)\(x \+ (\d+)\) = (\d+)\$")
_FACTORED_TRY = re.compile(r"Try \$x = (\d+)\$: \$(\d+) - (\d+)\((\d+) \+ (\d+)\) = (\d+) - (\d+) \\cdot (\d+) = "
                           r"(\d+) - (\d+) ([=<>]) 0\$(, too small|, too large)?\.")


def test_factored_linear_checks_start_from_c_and_end_with_a_true_sign():
    """Every try copies the problem's c first, computes a(g + b) honestly and ends with the sign of c - p; a
    miss says too small / too large by that sign and is followed by another try; the last try lands (= 0)
    on the gold, which solves the equation."""
    problems = [p for p in generate(600, seed=7, families=["factored_linear"]) if p.style == "math"]
    assert {p.level for p in problems} == {1, 2, 3, 4, 5}
    tries_per_solution = collections.Counter()
    for p in problems:
        a, b, c = map(int, _FACTORED_QUESTION.search(p.problem).groups())
        x = int(p.answer)
        assert a * (x + b) == c and 2 <= a <= 9 and 1 <= b <= 9
        tries = _FACTORED_TRY.findall(p.solution)
        assert tries and p.solution.endswith(f"So $x = \\boxed{{{x}}}$.")
        tries_per_solution[len(tries)] += 1
        for i, (g, c1, a1, g1, b1, c2, a2, total, c3, value, sign, verdict) in enumerate(tries):
            g, total, value = int(g), int(total), int(value)
            assert (int(c1), int(a1), int(g1), int(b1), int(c2), int(a2), int(c3)) == (c, a, g, b, c, a, c)
            assert total == g + b and value == a * total
            assert sign == ("=" if value == c else (">" if c > value else "<"))
            last = i == len(tries) - 1
            assert (value == c) == last and (g == x) == last
            assert verdict == ("" if last else (", too small" if c > value else ", too large"))
    assert set(tries_per_solution) == {1, 2, 3}


def test_factored_check_writes_the_chain_and_c_minus_p():
    chain, diff = factored_check(7, 5, 3, 63)
    assert (chain, diff) == ("63 - 7(5 + 3) = 63 - 7 \\cdot 8 = 63 - 56 > 0", 7)
    assert factored_check(7, 6, 3, 63) == ("63 - 7(6 + 3) = 63 - 7 \\cdot 9 = 63 - 63 = 0", 0)


def test_factored_linear_steps_match_the_terse_solution():
    for p in generate(40, seed=8, families=["factored_linear"]):
        if p.style == "prm800k":
            steps, answer = p.solution.split("\n# Answer\n\n")
            assert steps.count("Try $x = ") == len(re.findall(r"- \d+ [=<>] 0\$", steps)) and answer.isdigit()


def test_factored_linear_has_room_for_the_demo():
    train = [p for p in generate(2300, seed=0, families=["factored_linear"]) if p.style == "math"]
    assert len({problem_key(p.problem) for p in train}) == 2300

"""Benchmark ``mathft rerank`` end to end on a MATH-like candidate file.

Generates P problems x N candidates (default 500 x 64) whose answers are written the way models write
MATH answers (fractions as ``\\frac``/slash/decimal, radicals, multiples of pi, tuples, intervals,
percentages, polynomials, ``x = ...`` prefixes, answers only inside a ``\\boxed{}`` of the text, no
answer at all), with evaluator scores that favour correct answers. Then:

1. times ``python -m mathft rerank`` as a user runs it (a subprocess, imports included);
2. times the phases in-process (read + extract, grading = clustering + gold comparisons, metrics) and
   reports the share of time spent grading;
3. runs the same with exact-string clustering (what most toolkits do) as the baseline: the cost ratio and
   how much accuracy exact strings lose.

Target: end to end under 60 s on 2 CPU cores. Usage::

    python benchmarks/bench_rerank.py [--problems 500] [--samples 64] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mathft.selection import AnswerGrader, ExactMatchGrader, analyze_problem, summarize

TARGET_S = 60.0


# -- answer families: (gold, equivalent spellings, wrong values in several spellings) -------------------
def _integer(rng: random.Random) -> tuple[str, list[str], list[str]]:
    n = rng.choice([rng.randint(2, 99), rng.randint(100, 9999)])
    forms = [str(n), f"{n}.0", f"x = {n}", f"{n}\\text{{ units}}"]
    if n >= 1000:
        forms.append(f"{n // 1000}{{,}}{n % 1000:03d}")  # 1{,}234
    wrong = [str(n + 1), str(n - 1), f"{2 * n}", f"-{n}", f"x = {n + 2}"]
    return str(n), forms, wrong


def _fraction(rng: random.Random) -> tuple[str, list[str], list[str]]:
    q = rng.choice([3, 4, 5, 7, 8, 9, 12, 16])
    p = rng.choice([i for i in range(1, 3 * q) if _gcd(i, q) == 1])
    forms = [f"\\frac{{{p}}}{{{q}}}", f"{p}/{q}", f"\\dfrac{{{p}}}{{{q}}}", f"\\frac{{{2 * p}}}{{{2 * q}}}"]
    if q in (4, 5, 8, 16):
        forms.append(str(p / q))  # a terminating decimal
    wrong = [f"\\frac{{{q}}}{{{p}}}", f"\\frac{{{p + 1}}}{{{q}}}", f"{p}/{q + 1}", f"\\frac{{{p}}}{{{2 * q}}}"]
    return f"\\frac{{{p}}}{{{q}}}", forms, wrong


def _radical(rng: random.Random) -> tuple[str, list[str], list[str]]:
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7, 10])
    forms = [f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"{a} \\sqrt {b}", f"{a}\\sqrt{b}"]
    wrong = [f"{a}\\sqrt{{{b + 1}}}", f"{a + 1}\\sqrt{{{b}}}", f"\\sqrt{{{a * b}}}", f"{a * b}"]
    return f"{a}\\sqrt{{{b}}}", forms, wrong


def _pi(rng: random.Random) -> tuple[str, list[str], list[str]]:
    a, b = rng.choice([(1, 2), (3, 4), (2, 3), (5, 6), (1, 3)])
    forms = [f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi", f"{a}\\pi/{b}"]
    wrong = [f"\\frac{{{b}\\pi}}{{{a}}}", f"{a}\\pi", f"\\frac{{{a}}}{{{b}}}"]
    return forms[0], forms, wrong


def _pair(rng: random.Random) -> tuple[str, list[str], list[str]]:
    a, b = rng.sample(range(-9, 10), 2)
    forms = [f"({a}, {b})", f"({a},{b})", f"\\left({a}, {b}\\right)"]
    wrong = [f"({b}, {a})", f"({a}, {b + 1})", f"({-a}, {b})"]
    return forms[0], forms, wrong


def _interval(rng: random.Random) -> tuple[str, list[str], list[str]]:
    a = rng.randint(-9, 5)
    b = a + rng.randint(1, 9)
    forms = [f"[{a}, {b})", f"[{a},{b})", f"\\left[{a}, {b}\\right)"]
    wrong = [f"({a}, {b})", f"[{a}, {b}]", f"[{a}, \\infty)"]
    return forms[0], forms, wrong


def _percent(rng: random.Random) -> tuple[str, list[str], list[str]]:
    n = rng.choice([5, 10, 12.5, 20, 25, 40, 75])
    forms = [f"{n}\\%", f"{n}", f"{n}\\text{{\\%}}"]
    wrong = [f"{n / 100}", f"{n + 5}\\%", f"{100 - n}"]
    return forms[0], forms, wrong


def _polynomial(rng: random.Random) -> tuple[str, list[str], list[str]]:
    a = rng.randint(2, 9)
    forms = [f"x^2+{a}x", f"x(x+{a})", f"x^2 + {a} x", f"(x+{a})x"]
    wrong = [f"x^2-{a}x", f"x^2+{a + 1}x", f"x(x-{a})"]
    return forms[0], forms, wrong


def _stray(rng: random.Random) -> str:
    """A wrong answer unrelated to the problem, in one of the common shapes."""
    a, b = rng.randint(1, 500), rng.randint(2, 60)
    return rng.choice([str(a), f"\\frac{{{a}}}{{{b}}}", f"{a}\\sqrt{{{b}}}", f"{a}/{b}", f"{a / b:.3f}", f"({a}, {b})"])


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


# Shares roughly like MATH test answers: mostly numbers and fractions, some radicals/pi, a few others.
_FAMILIES: list[tuple[Callable[[random.Random], tuple[str, list[str], list[str]]], float]] = [
    (_integer, 0.45), (_fraction, 0.18), (_radical, 0.1), (_pi, 0.07), (_pair, 0.05),
    (_interval, 0.05), (_percent, 0.05), (_polynomial, 0.05),
]  # fmt: skip


def _candidate(rng: random.Random, pid: str, gold: str, idx: int, answer: str | None, correct: bool) -> dict:
    score = min(1.0, max(0.0, rng.gauss(0.68 if correct else 0.42, 0.18)))
    line: dict = {"problem_id": pid, "gold": gold, "sample_idx": idx, "score": round(score, 4)}
    if answer is None:
        line["text"] = "Let us set up the equation ... I am not able to finish this."
    elif rng.random() < 0.2:  # the answer only inside the solution text: exercises extraction
        line["text"] = f"Working through the steps ... so the final answer is $\\boxed{{{answer}}}$."
    else:
        line["answer"] = answer
    return line


def generate(path: Path, problems: int, samples: int, seed: int) -> None:
    """Write ``problems`` x ``samples`` candidate lines to ``path``."""
    rng = random.Random(seed)
    families, weights = zip(*_FAMILIES, strict=True)
    with path.open("w", encoding="utf-8") as out:
        for p in range(problems):
            gold, forms, wrong = rng.choices(families, weights)[0](rng)
            p_correct = rng.betavariate(1.2, 1.0)
            wrong_pool = rng.sample(wrong, k=min(len(wrong), rng.randint(1, len(wrong))))
            for i in range(samples):
                draw = rng.random()
                if draw < 0.04:
                    answer, correct = None, False
                elif draw < 0.04 + 0.96 * p_correct:
                    answer, correct = rng.choice(forms), True
                elif rng.random() < 0.3:  # a one-off wrong answer: hard problems scatter into many clusters
                    answer, correct = _stray(rng), False
                else:
                    answer, correct = rng.choice(wrong_pool), False
                out.write(json.dumps(_candidate(rng, f"bench{p}", gold, i, answer, correct)) + "\n")


def time_subprocess(path: Path, out_json: Path) -> float:
    """Wall time of ``python -m mathft rerank`` (what a user waits for)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "mathft", "rerank", "--candidates", str(path), "--json", str(out_json)]
    # Output captured: the table and the progress bar would interleave with the benchmark's numbers.
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"mathft rerank failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - start


@dataclass
class Phases:
    """In-process seconds per phase of one run, with its results."""

    read: float
    grade: float
    metrics: float
    summary: dict[str, float]
    stats: object

    @property
    def total(self) -> float:
        return self.read + self.grade + self.metrics


def time_phases(path: Path, grader: AnswerGrader) -> Phases:
    """Time read + extract, grading (clusters + gold comparisons) and the metrics with ``grader``."""
    from mathft.cli.rerank import load_problems
    from mathft.grading import extract_answer

    t0 = time.perf_counter()
    problems = load_problems(path, extract_answer)
    t1 = time.perf_counter()
    analyses = [analyze_problem(p, grader) for p in problems]
    t2 = time.perf_counter()
    summary = summarize(analyses, k=8, top_n=16)
    t3 = time.perf_counter()
    return Phases(t1 - t0, t2 - t1, t3 - t2, summary.metrics, getattr(grader, "stats", None))


def main(argv: list[str] | None = None) -> int:
    """Generate, run and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the generated file and report in this directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "bench_candidates.jsonl"
        generate(path, args.problems, args.samples, args.seed)
        print(f"{args.problems} problems x {args.samples} candidates, {path.stat().st_size / 1e6:.1f} MB")
        wall = time_subprocess(path, directory / "bench_report.json")
        verdict = "ok" if wall < TARGET_S else "MISSED"
        print(f"end to end `mathft rerank`: {wall:.1f} s (target < {TARGET_S:.0f} s on 2 cores: {verdict})")
        _report_phases(path, wall)
    return 0


def _report_phases(path: Path, wall: float) -> None:
    from mathft.grading import Grader

    with Grader() as grader:
        real = time_phases(path, grader)
    exact = time_phases(path, ExactMatchGrader())
    print(f"in-process: read + extract {real.read:.2f} s, grading {real.grade:.2f} s, metrics {real.metrics:.2f} s")
    print(f"share of time grading: {real.grade / real.total:.0%} in-process, {real.grade / wall:.0%} of end to end")
    print(f"grader counters: {real.stats}")
    ratio = real.grade / max(exact.grade, 1e-9)
    print(f"baseline exact-string clustering: grading {exact.grade:.2f} s -> equivalence grading costs {ratio:.0f}x")
    print(f"{'metric':<12}{'equivalence':>12}{'exact strings':>15}")
    for name, value in real.summary.items():
        print(f"{name:<12}{value:>12.1%}{exact.summary[name]:>15.1%}")


if __name__ == "__main__":
    sys.exit(main())

"""Model output is hostile: no code runs, nothing blows up, every call returns within the limit."""

from __future__ import annotations

import builtins
import sys
import time
import tokenize
from pathlib import Path

import pytest

import mathft.grading
from mathft.grading import Grader, extract_answer, normalize_answer
from mathft.grading.parser import MAX_DEPTH, ParseError, parse

GRADING_DIR = Path(mathft.grading.__file__).parent
TIMEOUT_S = 1.0


def _injections(sentinel: Path) -> list[str]:
    return [
        f"__import__('os').system('touch {sentinel}')",
        f"__import__(\"os\").system(\"touch {sentinel}\")",
        "lambda: 0",
        'eval("1")',
        f"exec(\"import os; os.system('touch {sentinel}')\")",
        "().__class__.__bases__[0].__subclasses__()",
        f"\\text{{__import__('os').system('touch {sentinel}')}}",
        f"Symbol('x').__class__.__init__.__globals__['os'].system('touch {sentinel}')",
        "open('/etc/passwd').read()",
        "\\input{/etc/passwd}",
    ]


@pytest.fixture()
def fast_grader() -> Grader:
    with Grader(timeout_s=TIMEOUT_S) as fresh:
        yield fresh


def test_code_injection_never_runs(fast_grader: Grader, tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    for attack in _injections(sentinel):
        for gold, pred in (("5", attack), (attack, "5"), ("0", attack)):
            assert fast_grader.is_equivalent(gold, pred) is False, attack
        fast_grader.is_equivalent(attack, attack + " ")  # identical text may match itself; it must not run
        assert fast_grader.cluster_answers([attack, "5"]) in ([[0], [1]], [[1]], [[0]])
        extract_answer(f"\\boxed{{{attack}}}")
    assert not sentinel.exists()


def test_eval_and_sympy_parsers_are_never_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every parsing entry point that runs code is made to raise; grading still works end to end."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a code-running parser was called on model text")

    import sympy
    import sympy.parsing.sympy_parser as sympy_parser

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    with Grader() as fresh:
        cases = [("\\frac{3}{4}", "0.75"), ("x^2+2x", "x(x+2)"), ("(1,2)", "(1, 2)"), ("2\\sqrt2", "\\sqrt8"),
                 ("__import__('os')", "5"), ("[2,5)", "(2,5)"), ("x > 3", "(3,\\infty)")]
        assert [fresh.is_equivalent(g, p) for g, p in cases] == [True, True, True, True, False, False, True]
        assert fresh.cluster_answers(["1/2", "0.5", "x"]) == [[0, 1], [2]]


@pytest.mark.parametrize("path", sorted(GRADING_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_module_references_code_running_parsers(path: Path) -> None:
    """Every identifier in the package's code (docstrings and comments excluded) is checked."""
    with path.open("rb") as handle:
        names = {tok.string for tok in tokenize.tokenize(handle.readline) if tok.type == tokenize.NAME}
    forbidden = {"eval", "exec", "sympify", "parse_expr", "parse_latex", "latex2sympy", "S"}
    assert not names & forbidden, f"{path.name} references {names & forbidden}"


def test_the_grader_does_not_import_sympy_in_process() -> None:
    """Only the worker imports sympy: a grading process stays small and cannot evaluate strings with it."""
    import subprocess

    probe = ("import sys; from mathft.grading import is_equivalent; is_equivalent('\\\\frac12', '0.5'); "
             "is_equivalent('x^2', 'x x'); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=GRADING_DIR.parents[1])
    assert out.stdout.strip() == "False", out.stderr


HOSTILE = [
    "10^{10^{10}}",
    "9**9**9",
    "(10^{100})!",
    "2^{2^{2^{2^{2^{2}}}}}",
    "1e999999999",
    "(x+1)^{100000}",
    "\\binom{10^{12}}{10^{6}}",
    "((((10!)!)!)!)",
    "\\sqrt{10^{10^{10}}}",
    "x" * 100_000,
    "(" * 5000 + "1" + ")" * 5000,
    "[" * 5000,
    "{" * 5000 + "}" * 5000,
    "\\frac{" * 3000 + "1" + "}{2}" * 3000,
    "\\sqrt{" * 2000 + "2" + "}" * 2000,
    "-" * 5000 + "1",
    "1+" * 20000 + "1",
    "\\boxed{" * 10000,
    "\\begin{pmatrix}" + "1 & " * 3000 + "1\\end{pmatrix}",
    "0." + "3" * 5000,
    "(x+y+z)^{50} - (z+y+x)^{50}",
    "\\def\\x{\\x}\\x",
    "3" + "!" * 900,
    "/".join(["2"] * 450),
    "\\pm".join(["1"] * 300),
    "x" + "^x" * 400,
    "1" + "-" * 900 + "1",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h[:30])
def test_hostile_input_returns_false_within_the_limit(fast_grader: Grader, hostile: str) -> None:
    for gold, pred in (("5", hostile), (hostile, "5"), ("7", hostile + "+1")):
        start = time.perf_counter()
        assert fast_grader.is_equivalent(gold, pred) is False
        assert time.perf_counter() - start < TIMEOUT_S + 3.0
    start = time.perf_counter()
    fast_grader.cluster_answers([hostile, "5", hostile])
    normalize_answer(hostile)
    extract_answer(hostile)
    assert time.perf_counter() - start < 2 * TIMEOUT_S + 3.0


@pytest.mark.parametrize("hostile", HOSTILE + ["1" * 100_000, "1" * 100_000 + "\\overline{3}", "0." + "1" * 5000],
                         ids=lambda h: h[:30])
def test_hostile_input_with_no_length_cap(hostile: str) -> None:
    """Even with max_length raised to 200k characters, nothing crashes or hangs."""
    with Grader(timeout_s=TIMEOUT_S, max_length=200_000) as grader:
        start = time.perf_counter()
        assert grader.is_equivalent("5", hostile) is False
        grader.cluster_answers([hostile, hostile, "5"])
        assert time.perf_counter() - start < 2 * TIMEOUT_S + 3.0


def test_correct_answers_among_big_numbers(fast_grader: Grader) -> None:
    """Size guards refuse only what is truly huge: 2^100 and 30! are still computed exactly."""
    assert fast_grader.is_equivalent("2^{100}", "1267650600228229401496703205376")
    assert fast_grader.is_equivalent("30!", "265252859812191058636308480000000")
    assert fast_grader.is_equivalent("10^{100}", "10^{100}")


def test_parser_bounds_fail_fast_without_recursion_errors() -> None:
    deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ParseError, match="nesting"):
        parse(deep)
    assert parse("(" * 10 + "1" + ")" * 10).value == 1
    with pytest.raises(ParseError):
        parse("1+" * 5000 + "1")


def test_long_answers_are_counted_and_rejected() -> None:
    with Grader(max_length=50) as fresh:
        assert fresh.is_equivalent("1" * 60, "1" * 60) is False
        assert fresh.stats.too_long == 2

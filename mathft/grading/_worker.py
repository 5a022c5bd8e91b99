"""The symbolic worker: a separate process that decides what the fast path could not.

It reads one JSON request per line on stdin, ``{"a": tree, "b": tree}`` with trees in the plain
nested-list form of :func:`mathft.grading.ast.to_data`, and answers ``{"equal": bool}`` per line on
stdout. Trees are turned into sympy objects with constructors only; no text is ever parsed here. The
parent kills this process when an answer is late, so nothing in here needs a timeout of its own, but
sizes are still guarded so that the common case stays fast.

Run as ``python -I _worker.py [memory_limit_mb [parent_pid [extra_path ...]]]`` (see
:func:`mathft.grading.sandbox.worker_command`): isolated mode keeps the current directory off
``sys.path``, and this file imports only the standard library and sympy. The worker exits as soon as
its parent dies, even in the middle of a long sympy call: a watchdog thread polls the parent's id. (Not
``PR_SET_PDEATHSIG``: on Linux it fires when the *thread* that started the worker exits, and graders
start workers from short-lived threads.)
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

_MAX_EXPONENT = 1000
_MAX_FACTORIAL = 1000
_WATCH_INTERVAL_S = 0.2


class _Refused(Exception):
    pass


def _limit_memory(megabytes: int) -> None:
    """Cap the address space at what is mapped now plus ``megabytes``.

    Relative, not absolute: whatever importing the package already mapped (a large library imported by
    a parent package, say) must not leave the worker without room for sympy's own work.
    """
    try:
        import os
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not Linux, or a lower hard limit: run unlimited
        pass


def _builders() -> tuple[dict[str, Callable[..., Any]], dict[str, Any], Any]:
    import sympy

    def power(base: Any, exponent: Any) -> Any:
        if exponent.is_Integer and abs(int(exponent)) > _MAX_EXPONENT and base.is_number and base not in (0, 1, -1):
            raise _Refused("power too large")
        if exponent.is_Number and base.is_Pow and base.exp.is_Number and abs(base.exp) > _MAX_EXPONENT:
            raise _Refused("power tower")
        return sympy.Pow(base, exponent)

    def integer_arg(x: Any) -> Any:
        if x.is_Integer and abs(int(x)) > _MAX_FACTORIAL:
            raise _Refused("argument too large")
        return x

    def root(x: Any, n: Any) -> Any:
        if x.is_number and x.is_negative and n.is_Integer and int(n) % 2:
            return -sympy.root(-x, n)  # real odd root, as the fast path reads it
        return sympy.root(x, n)

    functions = {
        "sqrt": sympy.sqrt, "root": root, "abs": sympy.Abs,
        "factorial": lambda x: sympy.factorial(integer_arg(x)),
        "binom": lambda n, k: sympy.binomial(integer_arg(n), integer_arg(k)),
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec,
        "csc": sympy.csc, "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
        "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "ln": sympy.log, "exp": sympy.exp,
        "log": lambda x, base=None: sympy.log(x) if base is None else sympy.log(x, base),
        "lg": lambda x: sympy.log(x, 10), "floor": sympy.floor, "ceil": sympy.ceiling,
    }
    ops = {
        "add": lambda *args: sympy.Add(*args),
        "mul": lambda *args: sympy.Mul(*args),
        "neg": lambda x: sympy.Mul(sympy.Integer(-1), x),
        "div": lambda a, b: sympy.Mul(a, sympy.Pow(b, sympy.Integer(-1))),
        "pow": power,
    }
    constants = {"pi": sympy.pi, "e": sympy.E, "i": sympy.I, "oo": sympy.oo}
    return {**ops, **{f"func:{name}": f for name, f in functions.items()}}, constants, sympy


def _build(data: list[Any], builders: dict[str, Callable[..., Any]], constants: dict[str, Any], sympy: Any) -> Any:
    op = data[0]
    if op == "num":
        return sympy.Rational(int(data[1]), int(data[2]))
    if op == "dec":
        mantissa, _, exponent = str(data[1]).lower().partition("e")
        value = Fraction(mantissa) * (Fraction(10) ** int(exponent) if exponent else 1)
        return sympy.Rational(value.numerator, value.denominator)
    if op == "sym":
        name = str(data[1])
        return constants.get(name) or sympy.Symbol(name)
    key = f"func:{data[1]}" if op == "func" else op
    builder = builders.get(key)
    if builder is None:
        raise _Refused(f"unsupported node {op}")
    return builder(*(_build(arg, builders, constants, sympy) for arg in data[2:]))


def _numerically_different(a: Any, b: Any, sympy: Any) -> bool:
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    for _ in range(3):
        point = {s: sympy.Float(rng.uniform(0.3, 2.7)) for s in symbols}
        try:
            left, right = complex(a.subs(point).evalf(30)), complex(b.subs(point).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if abs(left - right) > 1e-9 * max(1.0, abs(left), abs(right)):
            return True
    return False


def decide(a: Any, b: Any, sympy: Any) -> bool:
    """Whether two sympy expressions are equal: a numeric look first, then a symbolic proof."""
    if a == b:
        return True
    if _numerically_different(a, b, sympy):
        return False
    difference = a - b
    # Trigonometric identities are often out of simplify's reach but become polynomial identities in
    # exponentials (sin^8 x + cos^8 x = (35 + 28 cos 4x + cos 8x)/64); the rewrite is cheap, so first.
    for attempt in (lambda d: sympy.expand(d.rewrite(sympy.exp)), sympy.simplify):
        if attempt(difference) == 0:
            return True
    return bool(a.equals(b))


def _exit_with_parent(parent_pid: int) -> None:
    """Exit as soon as ``parent_pid`` is no longer this process's parent (it died; we were re-parented).

    Checked once before returning, so a parent that died while this process started is noticed too.
    """
    if os.getppid() != parent_pid:
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_WATCH_INTERVAL_S)
        os._exit(0)  # no cleanup to do: the only state is the parent's pending request

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main() -> None:
    if len(sys.argv) > 2:
        _exit_with_parent(int(sys.argv[2]))
    sys.path.extend(sys.argv[3:])  # trusted absolute PYTHONPATH entries (-I ignores the variable)
    builders, constants, sympy = _builders()
    if len(sys.argv) > 1:
        _limit_memory(int(sys.argv[1]))  # after importing sympy: the limit is for the work it does
    x = sympy.Symbol("x")
    decide(sympy.sin(x) ** 2 + sympy.cos(x) ** 2, sympy.Integer(1), sympy)  # warm sympy's caches before
    out = sys.stdout  # "ready": the first real request must not pay for them within its deadline
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            a = _build(request["a"], builders, constants, sympy)
            b = _build(request["b"], builders, constants, sympy)
            reply: dict[str, Any] = {"equal": decide(a, b, sympy)}
        except Exception as err:  # noqa: BLE001 - any failure of sympy on hostile input is "not equal"
            reply = {"equal": False, "error": f"{type(err).__name__}: {err}"[:200]}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()

"""Floating-point evaluation at fixed sample points, used to *refute* equality cheaply.

Two expressions that differ clearly at some point are not equal; agreeing at every point is only
evidence, so equal-looking pairs still go to the symbolic worker for a proof. Evaluation is complex
(``cmath``) so that square roots and logarithms of negative numbers do not abort, and every step that
could overflow or blow up (huge powers, factorials, ``exp``) is guarded.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable

from mathft.grading.ast import Node, decimal_value, free_symbols

__all__ = ["evaluate_at", "refutes", "sample_points"]

# Irregular values, positive and negative, so that |x| = x or sqrt(x^2) = x are refuted.
_SAMPLES = (0.7317, 1.4142, -0.8862, 2.2361, -1.6180)
_CONSTANTS = {"pi": math.pi, "e": math.e, "i": 1j}
_LIMIT = 1e150


class _Fail(Exception):
    pass


def _check(value: complex) -> complex:
    if not (cmath.isfinite(value) and abs(value) < _LIMIT):
        raise _Fail
    return value


def _pow(base: complex, exponent: complex) -> complex:
    if base == 0:
        if exponent.real <= 0:
            raise _Fail
        return 0j
    if abs(exponent) > 1e6:
        raise _Fail
    if exponent.imag == 0 and exponent.real == round(exponent.real) and base.imag == 0:
        return complex(base.real ** int(exponent.real))  # exact sign for integer powers of negatives
    return cmath.exp(exponent * cmath.log(base))


def _root(x: complex, n: complex) -> complex:
    if x.imag == 0 and x.real < 0 and n.imag == 0 and round(n.real) % 2 == 1:
        return -((-x.real) ** (1 / n.real))  # real odd root, as in \sqrt[3]{-8} = -2
    return _pow(x, 1 / n)


def _real_int(x: complex) -> int:
    if x.imag or x.real != round(x.real):
        raise _Fail
    return int(round(x.real))


def _real(x: complex) -> float:
    if x.imag:
        raise _Fail
    return x.real


def _factorial(x: complex) -> complex:
    if x.imag or x.real > 170 or x.real < 0:
        raise _Fail
    return complex(math.gamma(x.real + 1))


def _binom(n: complex, k: complex) -> complex:
    ni, ki = _real_int(n), _real_int(k)
    if ni > 10_000 or ki < 0:
        raise _Fail
    return complex(math.comb(ni, ki)) if ni >= 0 else _fail()


def _fail() -> complex:
    raise _Fail


def _exp(x: complex) -> complex:
    if x.real > 300:
        raise _Fail
    return cmath.exp(x)


def _log(x: complex, base: complex | None = None) -> complex:
    value = cmath.log(x)
    return value if base is None else value / cmath.log(base)


_FUNCTIONS: dict[str, Callable[..., complex]] = {
    "sqrt": cmath.sqrt, "root": _root, "abs": lambda x: complex(abs(x)), "factorial": _factorial,
    "binom": _binom, "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan,
    "cot": lambda x: 1 / cmath.tan(x), "sec": lambda x: 1 / cmath.cos(x), "csc": lambda x: 1 / cmath.sin(x),
    "arcsin": cmath.asin, "arccos": cmath.acos, "arctan": cmath.atan, "sinh": cmath.sinh,
    "cosh": cmath.cosh, "tanh": cmath.tanh, "log": _log, "ln": cmath.log, "lg": lambda x: cmath.log10(x),
    "exp": _exp, "floor": lambda x: complex(math.floor(_real(x))), "ceil": lambda x: complex(math.ceil(_real(x))),
}


def _product(values: list[complex]) -> complex:
    result = 1 + 0j
    for value in values:
        result = _check(result * value)
    return result


_OPS: dict[str, Callable[[Node, list[complex]], complex]] = {
    "add": lambda node, args: sum(args, 0j),
    "mul": lambda node, args: _product(args),
    "neg": lambda node, args: -args[0],
    "div": lambda node, args: args[0] / args[1],
    "pow": lambda node, args: _pow(args[0], args[1]),
    "func": lambda node, args: _FUNCTIONS[node.value](*args),
}


def evaluate_at(node: Node, point: dict[str, float]) -> complex | None:
    """The value of a scalar tree with variables set by ``point``; None where it is undefined."""
    try:
        return _evaluate(node, point)
    except (_Fail, ArithmeticError, ValueError, KeyError, TypeError):
        return None


def _evaluate(node: Node, point: dict[str, float]) -> complex:
    if node.op == "num":
        return complex(node.value)
    if node.op == "dec":
        return complex(float(decimal_value(node.value)))
    if node.op == "sym":
        value = _CONSTANTS.get(node.value, point.get(node.value))
        if value is None:
            raise _Fail  # infinity
        return complex(value)
    handler = _OPS.get(node.op)
    if handler is None:
        raise _Fail
    return _check(handler(node, [_evaluate(arg, point) for arg in node.args]))


def sample_points(a: Node, b: Node) -> list[dict[str, float]]:
    """Deterministic sample points for the variables of ``a`` and ``b`` (one point if there are none)."""
    names = sorted(free_symbols(a) | free_symbols(b))
    if not names:
        return [{}]
    count = len(_SAMPLES)
    return [{name: _SAMPLES[(k + 2 * j) % count] + 0.01 * j for j, name in enumerate(names)} for k in range(count)]


def refutes(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` clearly differ at some sample point (so they are not equal)."""
    for point in sample_points(a, b):
        left, right = evaluate_at(a, point), evaluate_at(b, point)
        if left is None or right is None:
            continue
        if abs(left - right) > 1e-6 * max(1.0, abs(left), abs(right)):
            return True
    return False

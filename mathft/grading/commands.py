"""LaTeX commands with arguments (``\\frac``, ``\\sqrt``, ``\\binom``, functions, environments).

Split from :mod:`mathft.grading.parser`, which owns the operator grammar: each handler here takes the
parser positioned after the command's token and reads its arguments with the parser's bounded helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

from mathft.grading.ast import Node
from mathft.grading.environments import environment

if TYPE_CHECKING:
    from mathft.grading.parser import _Parser

__all__ = ["COMMANDS", "FUNCTIONS", "function"]

FUNCTIONS = frozenset(
    {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
     "log", "ln", "exp", "lg"}
)
_INVERSES = {"sin": "arcsin", "cos": "arccos", "tan": "arctan"}
_MINUS_ONE = Node("neg", (Node("num", value=Fraction(1)),))


def function(parser: _Parser, name: str) -> Node:
    """``\\sin x``, ``\\log_2 8``, ``\\sin^2 x``, ``\\tan^{-1} x`` (the argument stops at the next function)."""
    base = None
    if name == "log" and parser.at("_"):
        parser.take()
        parser.descend()
        base = parser.argument()
        parser.depth -= 1
    power = None
    if parser.at("^"):
        parser.take()
        power = parser.parse_script()
    parser.descend()
    arg = parser.parse_mul(stop_at_function=True)
    parser.depth -= 1
    if power is not None and power == _MINUS_ONE and name in _INVERSES:
        name, power = _INVERSES[name], None  # \tan^{-1} x is arctan x, not 1/tan x
    result = parser.node("func", (arg,) if base is None else (arg, base), name)
    return result if power is None else parser.node("pow", (result, power))

def frac(parser: _Parser) -> Node:
    return parser.node("div", (parser.argument(), parser.argument()))

def binom(parser: _Parser) -> Node:
    return parser.node("func", (parser.argument(), parser.argument()), "binom")

def sqrt(parser: _Parser) -> Node:
    """``\\sqrt{x}``, ``\\sqrt2`` and ``\\sqrt[3]{x}``."""
    index = None
    if parser.at("["):
        parser.take()
        index = parser.parse_add()
        parser.expect("]")
    radicand = parser.argument()
    if index is None:
        return parser.node("func", (radicand,), "sqrt")
    return parser.node("func", (radicand, index), "root")


COMMANDS: dict[str, Callable[[_Parser], Node]] = {
    "\\frac": frac,
    "\\binom": binom,
    "\\sqrt": sqrt,
    "\\begin": environment,
}

"""Structural comparison of two parsed answers under the policy of ``docs/grading.md``.

The comparison first reshapes each tree into the form the policy compares (a label such as ``x =`` or
``|PQ| =`` dropped, an inequality in one variable turned into an interval, a set of reals written with
``\\setminus``, ``\\cap`` or a builder turned into intervals, ``\\pm`` expanded into both signs), then
dispatches on the shape: unordered collections, ordered tuples and intervals, matrices, relations,
base-``b`` numerals and scalars. Collections have set semantics everywhere: duplicates do not count and a
collection of one value equals that value (``1, 1`` is ``1``). Scalars are decided by, in order: the
rounding rules (only for a machine-precision gold, unless ``approximate``), exact canonical arithmetic
(:mod:`mathft.grading.exact`), numeric refutation (:mod:`mathft.grading.numeric`) and, only when all of
these are undecided, the symbolic worker.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from mathft.grading.ast import Node, decimal_value, free_symbols, has_decimal, sym
from mathft.grading.exact import TooBig, Undecided, Undefined, Value, evaluate
from mathft.grading.numeric import evaluate_at, refutes
from mathft.grading.relations import as_interval, drop_prefix, is_label, label_name, last_side, oriented, proportional
from mathft.grading.sets import as_real_set

__all__ = ["CompareContext", "equivalent", "prepare", "undefined"]

_MAX_ALTERNATIVES = 8
_MAX_ITEMS = 64
_LONG_DECIMAL_PLACES = 6


@dataclass
class CompareContext:
    """What a comparison needs from its grader.

    Attributes:
        symbolic: Decides a scalar pair the fast path could not (the worker); False on timeout.
        symmetric: Two predictions (clustering) rather than a gold and a prediction: with ``approximate``
            the rounding rule applies in both directions; without it no rounding applies at all.
        approximate: Accept a decimal of >= 3 significant digits that rounds an exact gold (Qwen2.5-Math's
            tolerance convention); off by default, as in the PRM800K grader and Math-Verify.
    """

    symbolic: Callable[[Node, Node], bool]
    symmetric: bool = False
    approximate: bool = False


# -- reshaping ---------------------------------------------------------------------------------
def _alternatives(node: Node) -> list[Node]:
    """All sign choices of the ``\\pm`` nodes in ``node`` (the node itself when there is none)."""
    if node.op == "pm":
        *rest, last = [_alternatives(arg) for arg in node.args]
        left = rest[0] if rest else [None]
        out = []
        for a, b in itertools.product(left, last):
            for signed in (b, Node("neg", (b,))):
                out.append(signed if a is None else Node("add", (a, signed)))
        return out[: _MAX_ALTERNATIVES * 2]
    if not node.args or node.op in ("tuple", "set", "list", "matrix", "union"):
        return [node]
    choices = [_alternatives(arg) for arg in node.args]
    if all(len(c) == 1 for c in choices):
        return [node]
    combos = itertools.islice(itertools.product(*choices), _MAX_ALTERNATIVES)
    return [Node(node.op, combo, node.value) for combo in combos]


def prepare(node: Node, drop: bool = True) -> Node:
    """Reshape a parsed answer into the form the policy compares.

    Args:
        node: The parsed answer.
        drop: Drop a ``x =`` prefix (False keeps ``y = 2x + 1`` an equation, to compare with equations).
    """
    if node.op in ("list", "set"):
        items = [_shaped(last_side(item)) for item in node.args]
        prefixed = [_label_of(item) for item in items if item.op == "rel" and drop_prefix(item) is not item]
        if node.op == "list" and len(set(prefixed)) > 1:  # x = 1, y = 2: a system's solution, by name
            ordered = sorted(items, key=_label_of)
            return Node("named", tuple(_shaped(drop_prefix(i)) for i in ordered), tuple(map(_label_of, ordered)))
        expanded = [alt for item in items for alt in _alternatives(_shaped(drop_prefix(item)))]
        return Node(node.op, tuple(expanded))
    node = _shaped(drop_prefix(last_side(node)) if drop else last_side(node))
    options = _alternatives(node)
    return options[0] if len(options) == 1 else Node("list", tuple(options))


def _shaped(node: Node) -> Node:
    """An inequality as an interval, a set of reals in canonical form, ``\\approx`` left as ``=``."""
    if node.op == "rel" and "~" in node.value:
        node = Node("rel", node.args, tuple("=" if r == "~" else r for r in node.value))
    return as_real_set(as_interval(node))


def _label_of(item: Node) -> str:
    if item.op == "rel":
        return next((label_name(arg) for arg in item.args if is_label(arg)), "")
    return ""


# -- dispatch on shape -------------------------------------------------------------------------
_SHAPES = {"list": "collection", "set": "collection", "union": "collection", "tuple": "tuple",
           "matrix": "matrix", "rel": "rel", "base": "base", "named": "named"}


def equivalent(a: Node, b: Node, ctx: CompareContext) -> bool:
    """Whether two prepared answers are equal (``a`` plays the gold's role for the rounding rule)."""
    if a == b:
        return True
    if "either" in (a.op, b.op):  # 3\sqrt{2} \approx 4.24 states both sides
        return any(equivalent(x, y, ctx) for x in _stated(a) for y in _stated(b))
    a, b = _unnamed(a, b), _unnamed(b, a)
    shape_a, shape_b = _SHAPES.get(a.op, "scalar"), _SHAPES.get(b.op, "scalar")
    if "base" in (shape_a, shape_b):
        return _base_equal(a, b)
    if shape_a != shape_b:
        # One list semantics: a collection is the set of its values, so one of a single value is that
        # value (1, 1 is 1; \{3\} is 3); anything else never equals a collection.
        if shape_a == "collection":
            return _collection_equal(a, Node("list", (b,)), ctx)
        if shape_b == "collection":
            return _collection_equal(Node("list", (a,)), b, ctx)
        return False
    return _BY_SHAPE[shape_a](a, b, ctx)


def _stated(node: Node) -> tuple[Node, ...]:
    """What an answer states: for ``exact \\approx decimal`` both sides when the decimal rounds the exact
    side (``3\\sqrt{2} \\approx 4.2``), only the decimal when it does not (``3\\sqrt{2} \\approx 4.3``)."""
    if node.op != "either":
        return (node,)
    exact, decimal = node.args
    return node.args if _rounds_to(exact, decimal, min_digits=1) else (decimal,)


def _unnamed(node: Node, other: Node) -> Node:
    """Labelled values (``x = 1, y = 2``) against an unlabelled answer: a tuple in the labels' order
    against a tuple, the list of the values against anything else (``XY = 4, YZ = 5`` is ``4, 5``)."""
    if node.op != "named" or other.op == "named":
        return node
    return Node("tuple", node.args, "()") if other.op == "tuple" else Node("list", node.args)


def _collection_equal(a: Node, b: Node, ctx: CompareContext) -> bool:
    if len(a.args) > _MAX_ITEMS or len(b.args) > _MAX_ITEMS:
        return False
    seen: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) not in seen:
            seen[(i, j)] = equivalent(a.args[i], b.args[j], ctx)
        return seen[(i, j)]

    # Set semantics: every element of each side equals some element of the other.
    return all(any(match(i, j) for j in range(len(b.args))) for i in range(len(a.args))) and all(
        any(match(i, j) for i in range(len(a.args))) for j in range(len(b.args))
    )


def _tuple_equal(a: Node, b: Node, ctx: CompareContext) -> bool:
    return a.value == b.value and len(a.args) == len(b.args) and _pairwise(a.args, b.args, ctx)


def _pairwise(left: tuple[Node, ...], right: tuple[Node, ...], ctx: CompareContext) -> bool:
    return all(equivalent(x, y, ctx) for x, y in zip(left, right))


def _rel_equal(a: Node, b: Node, ctx: CompareContext) -> bool:
    a, b = oriented(a), oriented(b)
    if a.value != b.value or len(a.args) != len(b.args):
        return False
    if _pairwise(a.args, b.args, ctx):
        return True
    if a.value == ("=",):  # an equation: same solution set when a0 - a1 = ±(b0 - b1)
        if _pairwise(a.args, b.args[::-1], ctx):
            return True
        diff_a = Node("add", (a.args[0], Node("neg", (a.args[1],))))
        diff_b = Node("add", (b.args[0], Node("neg", (b.args[1],))))
        left, right = _exact(diff_a), _exact(diff_b)
        if isinstance(left, Value) and isinstance(right, Value) and proportional(left, right):
            return True  # also 2x+4y=3 vs 4x+8y=6
        return _scalar_equal(diff_a, diff_b, ctx) or _scalar_equal(diff_a, Node("neg", (diff_b,)), ctx)
    return False


def _base_equal(a: Node, b: Node) -> bool:
    # 101_2 is the digit string 101 in base 2: equal to 101_2, 101_{2} or the bare digits 101, never to 5.
    def digits(node: Node) -> tuple[str, int | None] | None:
        if node.op == "base":
            return node.value[0].lstrip("0") or "0", node.value[1]
        if node.op == "num" and node.value.denominator == 1 and node.value >= 0:
            return str(node.value.numerator), None
        return None

    da, db = digits(a), digits(b)
    if da is None or db is None or da[0] != db[0]:
        return False
    return da[1] is None or db[1] is None or da[1] == db[1]


# -- scalars -----------------------------------------------------------------------------------
_INFINITIES = (sym("oo"), Node("neg", (sym("oo"),)))


def _mentions_infinity(node: Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.op == "sym" and current.value == "oo":
            return True
        stack.extend(current.args)
    return False


@lru_cache(maxsize=8192)
def _exact(node: Node) -> Value | Exception:
    if node not in _INFINITIES and _mentions_infinity(node):
        return Undecided("arithmetic with infinity")  # oo - oo is not 0: the canonical form cannot say
    try:
        return evaluate(node)
    except Undecided as err:  # TooBig and Undefined included; cached like a value
        return err.with_traceback(None)  # a cached traceback would keep every frame of the call alive


def _approximately(a: Node, b: Node, ctx: CompareContext) -> bool:
    """The rounding rules: a gold written to machine precision (six or more decimal places) equals an exact
    prediction that rounds to it, always; with ``ctx.approximate`` also a decimal prediction of >= 3
    significant digits that rounds an exact gold (in both directions between two predictions)."""
    if not ctx.symmetric and _long_decimal(a) and _rounds_to(b, a):
        return True
    return ctx.approximate and (_rounds_to(a, b) or (ctx.symmetric and _rounds_to(b, a)))


def _scalar_equal(a: Node, b: Node, ctx: CompareContext) -> bool:
    if _approximately(a, b, ctx):
        return True
    if _mentions_infinity(a) != _mentions_infinity(b):
        return False  # an infinite answer never equals a finite one (1/oo = 0 is not an answer form)
    left, right = _exact(a), _exact(b)
    if isinstance(left, (TooBig, Undefined)) or isinstance(right, (TooBig, Undefined)):
        return False
    if isinstance(left, Value) and isinstance(right, Value):
        return left == right
    if refutes(a, b) or not (_symbolic_only(a) and _symbolic_only(b)):
        return False
    return ctx.symbolic(a, b)


_SYMBOLIC_OPS = frozenset({"num", "dec", "sym", "add", "mul", "neg", "div", "pow", "func"})


def _symbolic_only(node: Node) -> bool:
    """Whether the worker can build ``node`` (a ``\\pm`` or a tuple inside a sum cannot be built)."""
    return node.op in _SYMBOLIC_OPS and all(_symbolic_only(arg) for arg in node.args)


def _decimal_spelling(node: Node) -> str | None:
    sign = ""
    if node.op == "neg" and node.args[0].op == "dec":
        node, sign = node.args[0], "-"
    if node.op != "dec" or "e" in node.value.lower():
        return None
    return sign + node.value


def _long_decimal(node: Node) -> bool:
    """A gold decimal with at least six decimal places (``4.123105625617661``) is a value computed to
    machine precision, not a rounding the problem asked for: an exact prediction that rounds to it is
    equal."""
    spelling = _decimal_spelling(node)
    return spelling is not None and len(spelling.partition(".")[2]) >= _LONG_DECIMAL_PLACES


def undefined(node: Node) -> bool:
    """Whether an answer contains an undefined value (``\\frac{1}{0}``, ``\\frac00``) where a number is due."""
    if node.op in _SHAPES:
        return any(undefined(arg) for arg in node.args)
    return isinstance(_exact(node), Undefined)


def _rounds_to(exact: Node, rounded: Node, min_digits: int = 3) -> bool:
    """The rounding rule: ``rounded`` is a decimal with >= ``min_digits`` significant digits equal to
    ``exact`` rounded to its decimal places (half a unit in the last place), and ``exact`` has no decimals."""
    spelling = _decimal_spelling(rounded)
    if spelling is None or has_decimal(exact) or free_symbols(exact):
        return False
    whole, _, places = spelling.lstrip("-").partition(".")
    if len((whole + places).lstrip("0")) < min_digits:
        return False
    value, half_unit = decimal_value(spelling), Fraction(1, 2 * 10 ** len(places))
    target = _exact(exact)
    if isinstance(target, Value) and target.rational() is not None:
        return abs(target.rational() - value) <= half_unit
    approx = evaluate_at(exact, {})
    if approx is None or abs(approx.imag) > 1e-12:
        return False
    return abs(approx.real - float(value)) <= float(half_unit) * (1 + 1e-9)


_BY_SHAPE: dict[str, Callable[[Node, Node, CompareContext], bool]] = {
    "collection": _collection_equal,
    "tuple": _tuple_equal,
    "matrix": lambda a, b, ctx: a.value == b.value and _pairwise(a.args, b.args, ctx),
    "named": lambda a, b, ctx: len(a.args) == len(b.args) and _pairwise(a.args, b.args, ctx),
    "rel": _rel_equal,
    "scalar": _scalar_equal,
}

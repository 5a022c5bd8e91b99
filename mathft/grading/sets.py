"""Sets of real numbers: set-builder notation and the algebra of intervals.

An answer may describe one set of reals in many ways: ``(-\\infty,-1)\\cup(-1,\\infty)``,
``\\mathbb{R} \\setminus \\{-1\\}``, ``\\{x \\mid x \\neq -1\\}``, ``x \\neq -1``. :func:`as_real_set` reduces
unions, intersections (``\\cap``), differences (``\\setminus``, ``\\mathbb{R} - \\{-1\\}``) and set-builder
nodes to one canonical form: disjoint intervals and points in increasing order, adjacent pieces merged
(``(-\\infty,2) \\cup [2,5)`` is ``(-\\infty,5)``). Endpoints keep their exact trees (the grader compares
those); they are *ordered* by their floating-point values, so only endpoints without variables qualify.
Anything else (a union of ordered pairs with variables, a condition that is not an inequality in the
set's variable) is left as written and compared structurally.

The reader of set-builder notation lives here too (:func:`builder`), called by the parser for ``\\{``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mathft.grading.ast import Node, free_symbols, sym
from mathft.grading.numeric import evaluate_at
from mathft.grading.relations import as_interval

if TYPE_CHECKING:
    from mathft.grading.parser import _Parser

__all__ = ["REAL_LINE", "as_real_set", "at_builder", "builder"]

REAL_LINE = Node("tuple", (Node("neg", (sym("oo"),)), sym("oo")), "()")
_SUCH_THAT = frozenset({"\\mid", "|", ":", "\\colon", "\\vert"})
_BRACKETS = frozenset({"()", "[]", "(]", "[)"})
_MAX_PIECES = 64
_SET_OPS = frozenset({"union", "cap", "diff", "builder"})


# -- reading ``\{x \mid ...\}`` ----------------------------------------------------------------
def at_builder(parser: _Parser) -> bool:
    """Whether the tokens after ``\\{`` are ``x \\mid``, ``x |``, ``x :`` or ``x \\in``."""
    ahead = parser.tokens[parser.pos : parser.pos + 2]
    return len(ahead) == 2 and ahead[0].kind == "ident" and ahead[1].text in (*_SUCH_THAT, "\\in")


def builder(parser: _Parser) -> Node:
    """``\\{x \\in S \\mid c_1, c_2\\}`` (``\\{`` consumed) -> ``builder`` node ``(S, c_1, c_2)``, value ``x``.

    Without ``\\in S`` the domain is the real line.
    """
    from mathft.grading.parser import ParseError  # a cycle: the parser dispatches here

    variable = parser.take().text
    parser.descend()
    domain = REAL_LINE
    if parser.at("\\in"):
        parser.take()
        domain = parser.parse_union()
    if parser.peek() is None or parser.take().text not in _SUCH_THAT:
        raise ParseError("set-builder notation without a condition")
    conditions = parser.parse_list()
    parser.expect("\\}")
    parser.depth -= 1
    items = conditions.args if conditions.op == "list" else (conditions,)
    return parser.node("builder", (domain, *items), variable)


# -- the algebra ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Bound:
    value: float  # for ordering only; the tree is what the grader compares
    node: Node
    closed: bool


@dataclass(frozen=True)
class _Piece:
    low: _Bound
    high: _Bound

    @property
    def point(self) -> bool:
        return self.low.value == self.high.value


def _number(node: Node) -> float | None:
    """The real value of an endpoint without variables (``±inf`` for infinity), else None."""
    if node == sym("oo"):
        return math.inf
    if node == Node("neg", (sym("oo"),)):
        return -math.inf
    if free_symbols(node):
        return None
    value = evaluate_at(node, {})
    if value is None or abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        return None
    return value.real


def _pieces(node: Node, variable: str | None = None) -> list[_Piece] | None:
    """The set ``node`` denotes as pieces, or None when it is not a set of reals this module can read.

    Args:
        node: A prepared answer (or part of one).
        variable: Inside a set-builder, the bound variable whose conditions are read.
    """
    if node.op in ("set", "union") and len(node.args) > _MAX_PIECES:
        return None  # a set of more pieces than any answer has: compared as written
    if node.op == "tuple" and node.value in _BRACKETS and len(node.args) == 2:
        return _interval(node)
    if node.op == "set":
        points = [_number(arg) for arg in node.args]
        if any(p is None or math.isinf(p) for p in points):
            return None
        return [_Piece(_Bound(p, arg, True), _Bound(p, arg, True)) for p, arg in zip(points, node.args)]
    if node.op == "union":
        parts = [_pieces(arg, variable) for arg in node.args]
        return None if any(p is None for p in parts) else [piece for part in parts for piece in part]
    if node.op in ("cap", "diff") or (node.op == "add" and _subtracts_set(node)):
        left, right = _pieces(node.args[0], variable), _pieces(_operand(node), variable)
        if left is None or right is None:
            return None
        return _intersect(left, right) if node.op == "cap" else _subtract(left, right)
    if node.op == "builder":
        return _builder_pieces(node)
    if variable is not None and node.op == "rel":
        return _condition(node, variable)
    return None


def _subtracts_set(node: Node) -> bool:
    """``\\mathbb{R} - \\{-1\\}``: a set minus a set written as a subtraction."""
    return len(node.args) == 2 and node.args[1].op == "neg" and node.args[1].args[0].op == "set"


def _operand(node: Node) -> Node:
    return node.args[1].args[0] if node.op == "add" else node.args[1]


def _interval(node: Node) -> list[_Piece] | None:
    low, high = (_number(arg) for arg in node.args)
    if low is None or high is None or low > high:
        return None
    closed = (node.value[0] == "[" and not math.isinf(low), node.value[1] == "]" and not math.isinf(high))
    if low == high and not all(closed):
        return []  # (a, a) is empty
    return [_Piece(_Bound(low, node.args[0], closed[0]), _Bound(high, node.args[1], closed[1]))]


def _builder_pieces(node: Node) -> list[_Piece] | None:
    """The domain intersected with every condition (``\\{x \\mid x \\neq 1, x \\neq 2\\}``)."""
    result = _pieces(node.args[0])
    for condition in node.args[1:]:
        part = _pieces(condition, node.value)
        if result is None or part is None:
            return None
        result = _intersect(result, part)
    return result


def _condition(node: Node, variable: str) -> list[_Piece] | None:
    """A condition on the builder's variable: an inequality (via :func:`as_interval`) or ``x \\in S``."""
    if node.value == ("in",) and node.args[0] == sym(variable):
        return _pieces(node.args[1])
    if free_symbols(node) != {variable}:
        return None
    shaped = as_interval(node)
    return None if shaped.op == "rel" else _pieces(shaped)


def _later(a: _Bound, b: _Bound, low: bool) -> _Bound:
    """The tighter of two bounds: the larger lower bound or the smaller upper bound (open wins ties)."""
    if a.value != b.value:
        return a if (a.value > b.value) == low else b
    return a if not a.closed else b


def _intersect(left: list[_Piece], right: list[_Piece]) -> list[_Piece]:
    out = []
    for a in left:
        for b in right:
            piece = _Piece(_later(a.low, b.low, True), _later(a.high, b.high, False))
            if _valid(piece):
                out.append(piece)
    return out[:_MAX_PIECES]


def _valid(piece: _Piece) -> bool:
    return piece.low.value < piece.high.value or (piece.point and piece.low.closed and piece.high.closed)


def _subtract(left: list[_Piece], right: list[_Piece]) -> list[_Piece]:
    for cut in right:
        kept = []
        for piece in left:
            below = _Piece(piece.low, replace(cut.low, closed=not cut.low.closed))
            above = _Piece(replace(cut.high, closed=not cut.high.closed), piece.high)
            kept += [part for part in (_clip(below, piece), _clip(above, piece)) if part is not None]
        left = kept[:_MAX_PIECES]
    return left


def _clip(part: _Piece, whole: _Piece) -> _Piece | None:
    piece = _Piece(_later(part.low, whole.low, True), _later(part.high, whole.high, False))
    return piece if _valid(piece) else None


def _merged(pieces: list[_Piece]) -> list[_Piece]:
    """Sorted, with overlapping or touching pieces joined (``[1,2) \\cup \\{2\\}`` is ``[1,2]``)."""
    out: list[_Piece] = []
    for piece in sorted(pieces, key=lambda p: (p.low.value, not p.low.closed)):
        if out and _touches(out[-1], piece):
            last = out[-1]
            later = (piece.high.value, piece.high.closed) > (last.high.value, last.high.closed)
            out[-1] = _Piece(last.low, piece.high if later else last.high)
        else:
            out.append(piece)
    return out


def _touches(first: _Piece, second: _Piece) -> bool:
    if second.low.value != first.high.value:
        return second.low.value < first.high.value
    return first.high.closed or second.low.closed


def _brackets(piece: _Piece) -> str:
    return ("[" if piece.low.closed else "(") + ("]" if piece.high.closed else ")")


def _node(pieces: list[_Piece]) -> Node:
    intervals = [Node("tuple", (p.low.node, p.high.node), _brackets(p)) for p in pieces if not p.point]
    points = tuple(p.low.node for p in pieces if p.point)
    parts = [*intervals, *([Node("set", points)] if points else [])]
    if not parts:
        return Node("set", ())
    return parts[0] if len(parts) == 1 else Node("union", tuple(parts))


def as_real_set(node: Node) -> Node:
    """The canonical form of a set of reals written with ``\\cup``, ``\\cap``, ``\\setminus`` or a builder.

    Returns:
        One interval (a ``tuple`` node), a ``union`` of intervals and a finite ``set`` of points, a finite
        ``set``, or the empty ``set``; ``node`` itself when it is not such a set (or has variables).
    """
    if node.op not in _SET_OPS and not (node.op == "add" and _subtracts_set(node)):
        return node
    pieces = _pieces(node)
    if pieces is None:
        return node
    return _node(_merged(pieces))

"""Relations in answers: the reshaping of equations and inequalities into the values they state.

* ``x = 5`` states the value 5 (a single variable on one side); a chain ``x = 5+5+1 = 11`` states its
  last side.
* An inequality in one variable states an interval: ``x > 3`` is ``(3, oo)``; a side linear in the
  variable is solved first (``-x > -1`` is ``x < 1``, ``5 \\geq x`` is ``x \\le 5``); ``x \\ne 2`` is
  ``(-oo, 2) U (2, oo)``.
* Two equations are the same when their differences ``lhs - rhs`` are nonzero constant multiples of each
  other (:func:`proportional`): they then have the same solution set.

Everything here is exact rational arithmetic (:mod:`mathft.grading.exact`); nothing is symbolic.
"""

from __future__ import annotations

from fractions import Fraction

from mathft.grading.ast import CONSTANTS, Node, free_symbols, num, sym
from mathft.grading.exact import Undecided, Value, _poly_mul, evaluate

__all__ = ["FLIPPED", "as_interval", "drop_prefix", "is_variable", "last_side", "oriented", "proportional"]

FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "!=": "!="}
_INEQUALITIES = frozenset({"<", "<=", ">", ">=", "!="})
_MINUS_OO = Node("neg", (sym("oo"),))


def is_variable(node: Node) -> bool:
    """A single variable (``x``, ``a_1``), not a named constant such as ``\\pi``."""
    return node.op == "sym" and node.value not in CONSTANTS


def drop_prefix(node: Node) -> Node:
    """``x = 5`` -> ``5`` (a single variable on one side of a single ``=``; ``5 = x`` too), and
    ``(x, y) = (2, -1)`` -> ``(2, -1)`` (a tuple of variables names the coordinates)."""
    if node.op == "rel" and node.value == ("=",):
        for named, value in (node.args, node.args[::-1]):
            if is_variable(named) or (named.op == "tuple" and named.args and all(map(is_variable, named.args))):
                return value
    return node


def last_side(node: Node) -> Node:
    """``x = 5+5+1 = 7 = 11`` -> ``11``: a chain of three or more equal sides states its last side, and
    so does one of two sides without variables (``3\\sqrt{2} \\approx 4.24``, ``5+5+1 = 11``)."""
    if node.op == "rel" and set(node.value) == {"="}:
        if len(node.args) >= 3 or not any(free_symbols(arg) for arg in node.args):
            return node.args[-1]
    return node


def oriented(node: Node) -> Node:
    """``a > b`` -> ``b < a`` (so that only ``<``/``<=`` chains need comparing)."""
    if set(node.value) <= {">", ">="}:
        return Node("rel", node.args[::-1], tuple(FLIPPED[r] for r in reversed(node.value)))
    return node


def _substitute_zero(node: Node, name: str) -> Node:
    if node.op == "sym" and node.value == name:
        return num(0)
    if not node.args:
        return node
    return Node(node.op, tuple(_substitute_zero(arg, name) for arg in node.args), node.value)


def _linear_coefficient(node: Node, name: str) -> Fraction | None:
    """``a`` when ``node`` is ``a * name + c`` with a rational ``a != 0`` and ``c`` free of ``name``."""
    try:
        value = evaluate(node)
    except Undecided:
        return None
    atom = f"s:{name}"
    if value.den != {(): Fraction(1)}:
        return None
    coefficient = value.num.get(((atom, Fraction(1)),))
    others = [mono for mono in value.num if mono != ((atom, Fraction(1)),) and any(a == atom for a, _ in mono)]
    return None if coefficient is None or others else coefficient


def _solved(node: Node) -> Node:
    """Solve a relation for its variable where one side is linear in it: ``-2x+1 < 3`` -> ``x > -1``."""
    operands, relations = list(node.args), list(node.value)
    if len(operands) == 2 and all(free_symbols(o) for o in operands):  # 2x < x + 1 -> x - 1 < 0
        operands = [Node("add", (operands[0], Node("neg", (operands[1],)))), num(0)]
    with_variables = [k for k, o in enumerate(operands) if free_symbols(o)]
    if len(with_variables) != 1 or is_variable(operands[with_variables[0]]):
        return node
    k = with_variables[0]
    names = free_symbols(operands[k])
    if len(names) != 1:
        return node
    (name,) = names
    coefficient = _linear_coefficient(operands[k], name)
    if coefficient is None:
        return node
    offset = _substitute_zero(operands[k], name)
    bounds = [
        Node("div", (Node("add", (o, Node("neg", (offset,)))), num(coefficient))) if j != k else sym(name)
        for j, o in enumerate(operands)
    ]
    if coefficient < 0:  # multiplying by a negative number flips every relation
        relations = [FLIPPED[r] for r in relations]
    return Node("rel", tuple(bounds), tuple(relations))


def _excluded_point(node: Node) -> Node:
    """``x \\ne 2`` -> ``(-oo, 2) U (2, oo)``."""
    variable, point = node.args if is_variable(node.args[0]) else node.args[::-1]
    if not is_variable(variable) or free_symbols(point):
        return node
    return Node("union", (Node("tuple", (_MINUS_OO, point), "()"), Node("tuple", (point, sym("oo")), "()")))


def as_interval(node: Node) -> Node:
    """``x > 3`` -> ``(3, oo)``, ``1 < x \\le 5`` -> ``(1, 5]``; other relations unchanged."""
    if node.op != "rel" or not set(node.value) <= _INEQUALITIES:
        return node
    node = _solved(node)
    if node.value == ("!=",):
        return _excluded_point(node)
    if "!=" in node.value:
        return node
    operands, relations = list(node.args), list(node.value)
    if set(relations) <= {">", ">="}:
        operands.reverse()
        relations = [FLIPPED[r] for r in reversed(relations)]
    elif not set(relations) <= {"<", "<="}:
        return node
    variables = [k for k, operand in enumerate(operands) if is_variable(operand)]
    if len(variables) != 1 or any(free_symbols(o) for k, o in enumerate(operands) if k != variables[0]):
        return node
    k = variables[0]
    if len(operands) == 2:  # one-sided: x < 3 is -oo < x < 3, 3 < x is 3 < x < oo
        if k == 0:
            operands, relations = [_MINUS_OO, *operands], ["<", *relations]
        else:
            operands, relations = [*operands, sym("oo")], [*relations, "<"]
        k = 1
    if len(operands) != 3 or k != 1:
        return node
    brackets = ("(" if relations[0] == "<" else "[") + (")" if relations[1] == "<" else "]")
    return Node("tuple", (operands[0], operands[2]), brackets)


def proportional(left: Value, right: Value) -> bool:
    """Whether ``left = k * right`` for a rational ``k != 0``, ``left`` involving a variable.

    ``34x+45y-20z+100`` and ``-34x-45y+20z-100`` (k = -1), ``x^2/4+y^2/3-1`` and ``x^2/16+y^2/12-1/4``
    (k = 4): equations whose differences are proportional have the same solution set.
    """
    if not any(atom.startswith("s:") and atom[2:] not in CONSTANTS for atom in left.atoms()):
        return False
    try:  # compare num_l * den_r with k * num_r * den_l, term by term
        p, q = _poly_mul(left.num, right.den), _poly_mul(right.num, left.den)
    except Undecided:
        return False
    if not p or p.keys() != q.keys():
        return False
    mono = next(iter(q))
    ratio = p[mono] / q[mono]
    return all(p[m] == ratio * q[m] for m in q)

"""Relations in answers: the reshaping of equations and inequalities into the values they state.

* ``x = 5`` states the value 5: a *label* on one side (a variable, ``(x, y)``, a ratio of names
  ``S_1 : S_2``, or a geometric label ``PQ``, ``|PQ|``, ``[ABC]``) names the value on the other. A chain
  ``x = 5+5+1 = 11`` states its last side, and ``3\\sqrt{2} \\approx 4.24`` states both its exact side
  and the decimal glossing it (an ``either`` node).
* An inequality in one variable states an interval: ``x > 3`` is ``(3, oo)``; a side linear in the
  variable is solved first (``-x > -1`` is ``x < 1``, ``5 \\geq x`` is ``x \\le 5``); ``x \\ne 2`` is
  ``(-oo, 2) U (2, oo)``.
* Two equations are the same when their differences ``lhs - rhs`` are nonzero constant multiples of each
  other (:func:`proportional`): they then have the same solution set.

Everything here is exact rational arithmetic (:mod:`mathft.grading.exact`); nothing is symbolic.
"""

from __future__ import annotations

from fractions import Fraction

from mathft.grading.ast import CONSTANTS, Node, free_symbols, has_decimal, num, sym
from mathft.grading.exact import Undecided, Value, _poly_mul, evaluate

__all__ = ["FLIPPED", "as_interval", "drop_prefix", "is_label", "is_variable", "label_name", "last_side", "oriented",
           "proportional"]

FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "!=": "!="}
_INEQUALITIES = frozenset({"<", "<=", ">", ">=", "!="})
_EQUALITIES = frozenset({"=", "~"})  # "~" is \approx
_MINUS_OO = Node("neg", (sym("oo"),))


def is_variable(node: Node) -> bool:
    """A single variable (``x``, ``a_1``), not a named constant such as ``\\pi``."""
    return node.op == "sym" and node.value not in CONSTANTS


def _geometric(node: Node) -> bool:
    """``PQ``, ``ABC``, ``A_1B_1``: a product of two or more capital letters names a segment or figure."""
    return node.op == "mul" and len(node.args) >= 2 and all(
        arg.op == "sym" and arg.value[:1].isupper() and arg.value[:1].isalpha() for arg in node.args
    )


def is_label(node: Node) -> bool:
    """Whether ``node`` names a value rather than computing one: a variable (``x``, ``a_1``), a geometric
    label (``PQ``, its length ``|PQ|``, the area ``[ABC]``), or a tuple or ratio of labels (``(x, y)``,
    ``S_1 : S_2``, ``\\frac{S_1}{S_2}``). ``|x|`` is not one (``|x| = 5`` says ``x = \\pm 5``), nor is ``xy``
    (a product)."""
    if is_variable(node) or _geometric(node):
        return True
    if node.op == "func" and node.value == "abs":
        return _geometric(node.args[0])
    if node.op == "tuple" and node.value == "[]" and len(node.args) == 1:
        return _geometric(node.args[0])
    if node.op == "div":  # S_1 : S_2 (a ratio is a quotient) or \frac{S_1}{S_2}
        return all(map(is_label, node.args))
    return node.op == "tuple" and bool(node.args) and all(map(is_label, node.args))


def label_name(node: Node) -> str:
    """A label's name, to order a list of labelled values (``XY = 4, YZ = 5``) by name."""
    if node.op == "sym":
        return str(node.value)
    return "".join(label_name(arg) for arg in node.args)


def drop_prefix(node: Node) -> Node:
    """``x = 5`` -> ``5`` (a label on one side of a single ``=`` or ``\\approx``; ``5 = x`` too):
    ``(x, y) = (2, -1)`` -> ``(2, -1)``, ``|PQ| = 3`` -> ``3``, ``S_1 : S_2 = 3:8`` -> ``3:8``."""
    if node.op == "rel" and len(node.value) == 1 and node.value[0] in _EQUALITIES:
        for named, value in (node.args, node.args[::-1]):
            if is_label(named):
                return value
    return node


def last_side(node: Node) -> Node:
    """``x = 5+5+1 = 7 = 11`` -> ``11``: a chain of three or more equal sides states its last side, and
    so does one of two sides without variables (``5+5+1 = 11``). A decimal after ``\\approx`` glosses the
    exact side before it: ``3\\sqrt{2} \\approx 4.24`` -> ``either(3\\sqrt{2}, 4.24)``, equal to what
    either side equals."""
    if node.op == "rel" and set(node.value) <= _EQUALITIES:
        if len(node.args) >= 3 or not any(free_symbols(arg) for arg in node.args):
            last, before = node.args[-1], node.args[-2]
            if node.value[-1] == "~" and has_decimal(last) and not has_decimal(before) and not free_symbols(before):
                return Node("either", (before, last))
            return last
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

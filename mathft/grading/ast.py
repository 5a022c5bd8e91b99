"""The small immutable syntax tree that mathft's own parser produces.

One node type with an operator name keeps the tree trivially hashable, picklable and serialisable to
plain nested lists (the only form that crosses into the symbolic worker; never a string to parse).

Operators (``op``) and their payloads:

==========  ============================================  ==========================================
op          ``args``                                      ``value``
==========  ============================================  ==========================================
``num``     ``()``                                        ``Fraction`` (exact value of the literal)
``dec``     ``()``                                        spelling of a literal written with ``.`` or
                                                          ``e`` (``"0.333"``, ``"1.5e3"``)
``sym``     ``()``                                        name: ``x``, ``x_1``, ``pi``, ``e``, ``i``,
                                                          ``oo`` (infinity)
``add``     terms                                         ``None``
``mul``     factors                                       ``None``
``neg``     ``(x,)``                                      ``None``
``div``     ``(numerator, denominator)``                  ``None``
``pow``     ``(base, exponent)``                          ``None``
``pm``      ``(a, b)`` for a ± b, ``(b,)`` for ± b        ``None``
``func``    arguments                                     function name (``sqrt``, ``root``, ``sin``,
                                                          ``log``, ``abs``, ``factorial``, ``binom``...)
``base``    ``()``                                        ``(digits, base)`` for ``101_2``
``tuple``   items                                         bracket pair, e.g. ``"()"``, ``"[)"``
``set``     items                                         ``None``
``list``    items (an unbracketed comma list)             ``None``
``union``   intervals                                     ``None``
``matrix``  entries, row-major                            ``(rows, cols)``
``rel``     operands ``a, b[, c...]``                     tuple of relations, e.g. ``("<", "<=")``
==========  ============================================  ==========================================

Sets and statements add a few more: ``cap`` and ``diff`` (``(A, B)`` for ``A \\cap B`` and
``A \\setminus B``), ``builder`` (``(domain, condition, ...)`` for ``\\{x \\mid ...\\}``, value the bound
variable), a ``tuple`` with value ``":"`` for a ratio of three or more terms, the relations ``"~"``
(``\\approx``) and ``"in"`` (``\\in``); and, after :func:`mathft.grading.compare.prepare`, ``named``
(values ordered by their labels, value the labels, for ``x = 1, y = 2``) and ``either`` (``(exact,
decimal)`` for ``3\\sqrt{2} \\approx 4.24``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["Node", "to_data", "from_data", "num", "sym", "free_symbols", "decimal_value", "has_decimal", "tree_size",
           "CONSTANTS"]

# Names that are numbers, not variables (MATH convention: e is Euler's number, i the imaginary unit).
CONSTANTS = frozenset({"pi", "e", "i", "oo"})


@dataclass(frozen=True, slots=True)
class Node:
    """One node of an answer's syntax tree (see the module docstring for the operators)."""

    op: str
    args: tuple[Node, ...] = ()
    value: Any = None


def num(value: int | Fraction) -> Node:
    """A number node with an exact value."""
    return Node("num", value=Fraction(value))


def sym(name: str) -> Node:
    """A symbol node (variable or named constant)."""
    return Node("sym", value=name)


def to_data(node: Node) -> list[Any]:
    """Plain nested lists for ``node`` (JSON-serialisable; big integers stay exact).

    Numbers become ``[op, numerator, denominator]``; every other node ``[op, value, *children]``.
    """
    if node.op == "num":
        return [node.op, node.value.numerator, node.value.denominator]
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    return [node.op, value, *(to_data(arg) for arg in node.args)]


def from_data(data: list[Any]) -> Node:
    """Inverse of :func:`to_data`."""
    op = data[0]
    if op == "num":
        return Node(op, value=Fraction(int(data[1]), int(data[2])))
    value = tuple(data[1]) if isinstance(data[1], list) else data[1]
    return Node(op, tuple(from_data(arg) for arg in data[2:]), value)


def free_symbols(node: Node) -> frozenset[str]:
    """Names of the variables (not the named constants) used in ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:  # iterative: trees are bounded, but no recursion is needed here at all
        current = stack.pop()
        if current.op == "sym" and current.value not in CONSTANTS:
            found.add(current.value)
        stack.extend(current.args)
    return frozenset(found)


def has_decimal(node: Node) -> bool:
    """Whether a decimal literal occurs in ``node`` (an answer a rounding rule may apply to)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.op == "dec":
            return True
        stack.extend(current.args)
    return False


def decimal_value(text: str) -> Fraction:
    """The exact value of a ``dec`` literal such as ``"0.333"`` or ``"1.5e3"`` (exponent pre-checked)."""
    mantissa, _, exponent = text.lower().partition("e")
    value = Fraction(mantissa)
    return value * Fraction(10) ** int(exponent) if exponent else value


def tree_size(tree: Node) -> int:
    """Number of nodes (trees are capped at a few thousand by the parser), counted without recursion."""
    count, stack = 0, [tree]
    while stack:
        count += 1
        stack.extend(stack.pop().args)
    return count

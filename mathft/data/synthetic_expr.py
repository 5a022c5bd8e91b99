"""Expression trees with a step-by-step evaluation trace, and number formatting, for the synthetic task."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Num", "Op", "Node", "latex", "plain", "evaluate", "render", "reduce_once", "trace", "random_tree"]

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_SYMBOL = {"+": "+", "-": "-", "*": "\\cdot", "/": "\\div"}


@dataclass(frozen=True)
class Num:
    """A leaf: an integer or a fraction."""

    value: Fraction


@dataclass(frozen=True)
class Op:
    """A binary operation ``left op right``."""

    op: str
    left: Node
    right: Node


Node = Num | Op


def latex(q: Fraction) -> str:
    """``7``, ``-7``, ``\\frac{3}{4}`` or ``-\\frac{3}{4}`` (always reduced: ``Fraction`` reduces)."""
    if q.denominator == 1:
        return str(q.numerator)
    sign = "-" if q < 0 else ""
    return f"{sign}\\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def plain(q: Fraction, rng: random.Random) -> str:
    """The answer as a PRM800K labeller might type it: ``3/4``, or ``0.75`` when the decimal terminates.

    The variety is the point: gold answers are LaTeX, so grading these needs equivalence, not strings.
    """
    if q.denominator == 1:
        return str(q.numerator)
    den = q.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1 and rng.random() < 0.5:
        return f"{float(q):g}"
    return f"{q.numerator}/{q.denominator}"


def evaluate(node: Node) -> Fraction:
    """The value of a tree."""
    if isinstance(node, Num):
        return node.value
    left, right = evaluate(node.left), evaluate(node.right)
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[node.op]


def _needs_parens(child: Node, parent: Op, is_right: bool) -> bool:
    if isinstance(child, Num):
        # A negative leaf after an operator reads badly without parentheses: 3 - (-2).
        return child.value < 0 and (is_right or parent.op in "*/")
    prec, parent_prec = _PREC[child.op], _PREC[parent.op]
    # Every same-precedence right operand gets parentheses (not only after - and \div) so that the
    # rendered text shows the order the trace evaluates: 2 \cdot (3 \cdot 4), never 2 \cdot 3 \cdot 4.
    return prec < parent_prec or (is_right and prec == parent_prec)


def render(node: Node) -> str:
    """LaTeX for a tree with the fewest parentheses that keep its meaning."""
    if isinstance(node, Num):
        return latex(node.value)
    parts = []
    for child, is_right in ((node.left, False), (node.right, True)):
        text = render(child)
        parts.append(f"({text})" if _needs_parens(child, node, is_right) else text)
    return f"{parts[0]} {_SYMBOL[node.op]} {parts[1]}"


def _reducible(node: Node, parenthesised: bool, out: list[tuple[int, int, Op]]) -> None:
    # Collect (priority, in-order position, node) for every operation whose operands are both numbers.
    if isinstance(node, Num):
        return
    for child, is_right in ((node.left, False), (node.right, True)):
        _reducible(child, _needs_parens(child, node, is_right), out)
    if isinstance(node.left, Num) and isinstance(node.right, Num):
        out.append((2 * parenthesised + (_PREC[node.op] - 1), -len(out), node))


def reduce_once(node: Node) -> tuple[Node, Op]:
    """Evaluate one operation in conventional order (parentheses, then ``\\cdot``/``\\div``, then left to right).

    Returns:
        The new tree and the operation that was evaluated.
    """
    found: list[tuple[int, int, Op]] = []
    _reducible(node, False, found)
    target = max(found, key=lambda t: (t[0], t[1]))[2]

    def replace(n: Node) -> Node:
        if n is target:
            return Num(evaluate(n))
        if isinstance(n, Num):
            return n
        return Op(n.op, replace(n.left), replace(n.right))

    return replace(node), target


def trace(node: Node) -> list[tuple[Op, Node]]:
    """Every ``(operation evaluated, tree after it)`` until a single number remains."""
    steps = []
    while isinstance(node, Op):
        node, done = reduce_once(node)
        steps.append((done, node))
    return steps


def random_tree(rng: random.Random, n_ops: int, leaf: Callable[[random.Random], int | Fraction], ops: str) -> Node:
    """A random tree with ``n_ops`` operations drawn from ``ops`` and leaves from ``leaf(rng)``."""
    if n_ops == 0:
        return Num(Fraction(leaf(rng)))
    left = rng.randint(0, n_ops - 1)
    return Op(rng.choice(ops), random_tree(rng, left, leaf, ops), random_tree(rng, n_ops - 1 - left, leaf, ops))

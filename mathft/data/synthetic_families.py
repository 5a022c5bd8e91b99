"""The four problem families of the synthetic task; each draws one problem of a given level 1-5.

A family returns a :class:`SynthItem`: the statement, the fine-grained steps (PRM800K style, one per line),
the terse MATH-style solution ending in ``\\boxed{}``, and the exact answer as a ``Fraction``.
Difficulty grows with the level through more operations, larger numbers, negatives and fractions.
Operands stay small (mostly single digits) so that every *step* is a table fact a tiny model can learn
from a few thousand examples; the levels differ in how many steps they compose.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

from mathft.data.synthetic_expr import Num, Op, evaluate, latex, random_tree, render, trace

__all__ = ["SynthItem", "FAMILIES", "arithmetic", "linear_equation", "fractions", "word_problem"]

_NAMES = ("Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal")
_THINGS = ("apples", "pencils", "stickers", "cards", "coins", "books")
_ITEMS = ("pizzas", "cakes", "tickets", "games", "books")
_PAIRS = (("red marbles", "blue marbles"), ("boys", "girls"), ("cats", "dogs"), ("apples", "pears"))


@dataclass(frozen=True)
class SynthItem:
    """One generated problem with both solution styles (the PRM800K answer line is added by the caller)."""

    problem: str
    steps: tuple[str, ...]
    terse: str
    answer: Fraction
    subject: str


def _boxed(q: Fraction) -> str:
    return f"\\boxed{{{latex(q)}}}"


def _par(value: int) -> str:
    return f"({value})" if value < 0 else str(value)


def _op_value(op: Op) -> str:
    """One evaluated operation, with the common-denominator or product step shown for fractions."""
    left, right, value = evaluate(op.left), evaluate(op.right), evaluate(op)
    if left.denominator == right.denominator == 1:
        return f"{render(op)} = {latex(value)}"
    if op.op in "+-":
        den = math.lcm(left.denominator, right.denominator)
        a, c = left.numerator * den // left.denominator, right.numerator * den // right.denominator
        middle = f"\\frac{{{a} {op.op} {_par(c)}}}{{{den}}}"
    elif op.op == "*":
        top = f"{left.numerator} \\cdot {_par(right.numerator)}"
        middle = f"\\frac{{{top}}}{{{left.denominator} \\cdot {right.denominator}}}"
    else:
        middle = render(Op("*", Num(left), Num(1 / right)))
    return f"{render(op)} = {middle} = {latex(value)}"


def _expression_item(tree: Op, problem: str, subject: str) -> SynthItem:
    steps, chain = [], [render(tree)]
    for op, after in trace(tree):
        tail = f", so we have ${render(after)}$." if isinstance(after, Op) else "."
        steps.append(f"${_op_value(op)}${tail}")
        chain.append(render(after))
    answer = evaluate(tree)
    terse = f"${' = '.join(chain[:-1])} = {_boxed(answer)}$."
    return SynthItem(problem.format(e=render(tree)), tuple(steps), terse, answer, subject)


def _bounded_tree(rng: random.Random, n_ops: int, leaf: Callable[[random.Random], int | Fraction], ops: str,
                  limit: int) -> Op:
    # Rejection keeps every intermediate value short (few digit tokens) and avoids division by zero.
    while True:
        tree = random_tree(rng, n_ops, leaf, ops)
        try:
            values = [evaluate(op) for op, _ in trace(tree)]
        except ZeroDivisionError:
            continue
        if all(abs(v.numerator) <= limit and v.denominator <= limit for v in values):
            return tree  # type: ignore[return-value]


def arithmetic(rng: random.Random, level: int) -> SynthItem:
    """Integer expressions: ``a + b`` at level 1 up to three operations with products, negatives, larger numbers."""
    n_ops, top = (1, 2, 3, 3, 3)[level - 1], (9, 9, 12, 12, 15)[level - 1]
    low = -top if level >= 4 else 1
    ops = "+-" if level == 1 else "+-*"
    tree = _bounded_tree(rng, n_ops, lambda r: r.choice([v for v in range(low, top + 1) if v]), ops, 150)
    text = rng.choice(("Compute ${e}$.", "Evaluate ${e}$.", "What is ${e}$?", "Find the value of ${e}$."))
    return _expression_item(tree, text, "Arithmetic")


def fractions(rng: random.Random, level: int) -> SynthItem:
    """Fraction arithmetic (levels 1-3, 5) and ratio questions (level 4); answers are reduced fractions."""
    if level == 4:
        return _ratio(rng)
    den = rng.randint(2, 6)

    def leaf(r: random.Random) -> Fraction:
        d = den if level == 1 else r.randint(2, 6 if level == 2 else 9)
        return Fraction(r.choice([n for n in range(1, d + 3) if n % d]), d)

    n_ops, ops = (1, 1, 1, 0, 2)[level - 1], ("+-", "+-", "*/", "", "+-*")[level - 1]
    tree = _bounded_tree(rng, n_ops, leaf, ops, 60)
    text = rng.choice(("Compute ${e}$.", "Simplify ${e}$.", "What is ${e}$ in lowest terms?"))
    return _expression_item(tree, text, "Fractions")


def _ratio(rng: random.Random) -> SynthItem:
    a_name, b_name = rng.choice(_PAIRS)
    p, q = rng.sample([v for v in range(1, 10)], 2)
    while math.gcd(p, q) != 1:
        p, q = rng.sample([v for v in range(1, 10)], 2)
    head = f"The ratio of {a_name} to {b_name} is ${p}:{q}$."
    if rng.random() < 0.5:
        k = rng.randint(2, 9)
        answer = Fraction(q * k)
        part = f"One part is ${p * k} \\div {p} = {k}$"
        steps = (f"{part}.", f"So there are ${q} \\cdot {k} = {q * k}$ {b_name}.")
        terse = f"{part}, so there are ${q} \\cdot {k} = {_boxed(answer)}$ {b_name}."
        problem = f"{head} If there are ${p * k}$ {a_name}, how many {b_name} are there?"
        return SynthItem(problem, steps, terse, answer, "Fractions")
    answer = Fraction(p, p + q)
    steps = (f"There are ${p} + {q} = {p + q}$ parts in all.",
             f"So the fraction is $\\frac{{{p}}}{{{p + q}}} = {latex(answer)}$.")
    terse = f"The {a_name} are ${p}$ of ${p + q}$ parts, or ${_boxed(answer)}$."
    return SynthItem(f"{head} What fraction of them are {a_name}?", steps, terse, answer, "Fractions")


def _linear_text(a: int, b: int) -> str:
    """``ax + b`` written the usual way: ``x``, ``-x``, ``3x - 5``, ``7``."""
    head = "" if a == 0 else {1: "x", -1: "-x"}.get(a, f"{a}x")
    if not head:
        return str(b)
    return head if b == 0 else f"{head} {'+' if b > 0 else '-'} {abs(b)}"


def _nonzero(rng: random.Random, low: int, high: int) -> int:
    return rng.choice([v for v in range(low, high + 1) if v])


def linear_equation(rng: random.Random, level: int) -> SynthItem:
    """Solve ``a x + b = c x + d``; level 1 is ``x + b = d``, level 5 starts with ``a(x + p)``."""
    nz = partial(_nonzero, rng)
    a, b, c, d, p = 1, nz(-9, 9), 0, rng.randint(-9, 9), 0
    if level == 2:
        a, b, x = nz(2, 9) * rng.choice((1, -1)), 0, nz(-9, 9)
        d = a * x
    elif level == 3:
        a, b, d = nz(2, 9), nz(-12, 12), rng.randint(-12, 20)
    elif level >= 4:
        a, c, b, d = nz(1, 9), nz(-6, 6), nz(-20, 20), rng.randint(-20, 20)
        if level == 5:
            a, p = nz(2, 6), nz(-9, 9)
            b = a * p
        while a == c:
            c = nz(-6, 6)
    lhs = f"{a}(x {'+' if p > 0 else '-'} {abs(p)})" if p else _linear_text(a, b)
    rhs = _linear_text(c, d)
    steps = [f"Expanding, ${_linear_text(a, b)} = {rhs}$."] if p else []
    k, m = a - c, d - b
    if c:
        verb = f"Subtract ${_linear_text(c, 0)}$ from" if c > 0 else f"Add ${_linear_text(-c, 0)}$ to"
        steps.append(f"{verb} both sides: ${_linear_text(k, b)} = {d}$.")
    if b:
        verb = f"Subtract ${b}$ from" if b > 0 else f"Add ${-b}$ to"
        steps.append(f"{verb} both sides: ${_linear_text(k, 0)} = {m}$.")
    answer = Fraction(m, k)
    if k != 1:
        steps.append(f"Divide both sides by ${k}$: $x = {latex(answer)}$.")
    text = rng.choice(("Solve for $x$: ${l} = {r}$.", "If ${l} = {r}$, what is $x$?", "Find $x$ if ${l} = {r}$."))
    terse = f"We get ${_linear_text(k, 0)} = {m}$, so $x = {_boxed(answer)}$."
    return SynthItem(text.format(l=lhs, r=rhs), tuple(steps) or (f"$x = {m}$.",), terse, answer, "Algebra")


def _story(problem: str, steps: tuple[str, ...], terse: str, answer: Fraction) -> SynthItem:
    return SynthItem(problem, steps, terse, answer, "Word Problems")


def _more(rng: random.Random, name: str, thing: str) -> SynthItem:
    a, b = rng.randint(2, 19), rng.randint(2, 9)
    return _story(
        f"{name} has ${a}$ {thing} and gets ${b}$ more. How many {thing} does {name} have now?",
        (f"{name} has ${a} + {b} = {a + b}$ {thing}.",),
        f"{name} has ${a} + {b} = {_boxed(Fraction(a + b))}$ {thing}.",
        Fraction(a + b),
    )


def _boxes(rng: random.Random, name: str, thing: str) -> SynthItem:
    n, k = rng.randint(2, 9), rng.randint(2, 9)
    return _story(
        f"{name} buys ${n}$ boxes with ${k}$ {thing} in each box. How many {thing} does {name} buy?",
        (f"There are ${n}$ boxes of ${k}$ {thing}.", f"So {name} buys ${n} \\cdot {k} = {n * k}$ {thing}."),
        f"{name} buys ${n} \\cdot {k} = {_boxed(Fraction(n * k))}$ {thing}.",
        Fraction(n * k),
    )


def _share_out(rng: random.Random, name: str, thing: str) -> SynthItem:
    b, c = rng.randint(2, 6), rng.randint(2, 6)
    a = b * c + rng.randint(0, 12)
    return _story(
        f"{name} has ${a}$ {thing} and gives ${b}$ to each of ${c}$ friends. How many {thing} are left?",
        (f"{name} gives away ${c} \\cdot {b} = {b * c}$ {thing}.",
         f"So ${a} - {b * c} = {a - b * c}$ {thing} are left."),
        f"${a} - {c} \\cdot {b} = {_boxed(Fraction(a - b * c))}$.",
        Fraction(a - b * c),
    )


def _temperature(rng: random.Random, name: str, thing: str) -> SynthItem:
    t, d, h = rng.randint(-9, 12), rng.randint(2, 6), rng.randint(2, 7)
    verb = rng.choice(("falls", "drops"))
    return _story(
        f"The temperature is ${t}$ degrees. It {verb} ${d}$ degrees every hour for ${h}$ hours. "
        "What is the temperature then?",
        (f"It falls ${h} \\cdot {d} = {d * h}$ degrees in all.", f"So it is ${t} - {d * h} = {t - d * h}$ degrees."),
        f"${t} - {h} \\cdot {d} = {_boxed(Fraction(t - d * h))}$.",
        Fraction(t - d * h),
    )


def _bill(rng: random.Random, name: str, thing: str) -> SynthItem:
    n, k, p = rng.randint(2, 9), rng.randint(2, 6), rng.randint(3, 12)
    answer, item = Fraction(k * p, n), rng.choice(_ITEMS)
    return _story(
        f"${n}$ friends share ${k}$ {item} that cost ${p}$ dollars each. How many dollars does each friend pay?",
        (f"The {item} cost ${k} \\cdot {p} = {k * p}$ dollars.",
         f"Each friend pays $\\frac{{{k * p}}}{{{n}}} = {latex(answer)}$ dollars."),
        f"Each pays $\\frac{{{k} \\cdot {p}}}{{{n}}} = {_boxed(answer)}$ dollars.",
        answer,
    )


# Word problems by level: totals, products, sharing out, falling temperatures (negatives), a split bill (fractions).
_STORIES = (_more, _boxes, _share_out, _temperature, _bill)


def word_problem(rng: random.Random, level: int) -> SynthItem:
    """Short stories whose level sets the kind of story and so the operations and answer type."""
    return _STORIES[level - 1](rng, rng.choice(_NAMES), rng.choice(_THINGS))


# The families in the order problems cycle through them (a tuple, not a registry: add one by editing it).
FAMILIES = (arithmetic, linear_equation, fractions, word_problem)

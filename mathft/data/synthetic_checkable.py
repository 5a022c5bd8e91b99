"""Synthetic families in the paper's regime: a right answer is often sampled but often not the most frequent.

``inverse_linear`` asks for the solution of ``a x + b = c``. Its solutions take one of two routes, as
human solutions do:

* **guess and check** (60%): state ``x`` and verify it forward, one operation per step; half of these
  first try a guess that misses by one or two, judge it "too small" or "too large" and correct it::

      Try $x = 5$: $7 \\cdot 5 + 5 = 35 + 5 = 40$, too small. Try $x = 6$: $7 \\cdot 6 + 5 = 42 + 5 = 47$. So $x = \\boxed{6}$.

* **derivation** (40%): undo ``+ b``, then divide, one inverse operation per step.

A generator must commit to a guess before any check is written (the whole inverse in one token), so its
single most likely solution is often wrong, while its samples spread over nearby guesses, corrections and
derivations that agree on the right answer more often: Pass@N well above Maj1@N, and Maj1@N tends to sit
above the greedy Pass@1 (+5 points in configs/pipeline/demo_undrilled.yaml). The checks are what an evaluator
can read: each is a forward step computed from the stated guess. The rejected first guesses are there for
that: without them every check in the training data ends at the problem's ``c``, so the data never requires a
check to be computed from its guess (in the demo's tiny model, without them, only 16% of sampled checks
multiplied the guess correctly).

Measured (2026-11-30, experiment scripts not kept): a backbone that knows the checks' arithmetic is not enough
for the demo-sized evaluator. Drilling the scratch backbone first on dense forward chains (``a \\cdot g + b =
p + b = v``, 600 steps, about 2 CPU-minutes) made products right 94% of the time (sums 24%). With guess and
check as the only route, the SSFT generator's checks then became honest: an honest last check whose value
equals ``c`` was right in 1328 of 1350 samples, one whose value differs was wrong in 2851 of 2855, so
correctness is visible in the text as "the last value equals the problem's ``c``". The 4-layer evaluator still
did not learn that comparison at a distance: validation AUROC 0.62 (margin) and 0.72 (xent) after 400 steps,
0.70 (xent) at 3x the learning rate, against 0.62 and 0.68 without the drill.
On the same backbone, ending every check with the difference to ``c`` (``..., and $47 - 47 = 0$``, so that the
comparison is local) put the generator further into the regime (Pass@1 48.0, Maj1@16 58.7, Pass@16 85.0;
Maj1@16 minus Pass@1 +10.7 [7.0, 14.7]) and raised the AUROC to 0.74 / 0.76, but re-ranking stayed below
voting (RR.Maj3 minus Maj1@16 -12.0 [-17.7, -6.0] margin, -10.3 [-15.7, -4.7] xent): the generator then landed
on 0 by writing a false step (a check with a false step that still ended at 0 was wrong in 1798 of 1904
samples), and the false steps were sums (``6 + 3 = 12``; 2333 of 4906 sums false, 226 of 5076 products), which
the tiny model does not learn (5% right after a 500-step drill of sums alone).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from mathft.data.synthetic_families import SynthItem

__all__ = ["inverse_linear", "inverse_table", "factored_linear", "factored_check", "CHECKABLE_FAMILIES"]

# (a range, x range, b range, sign) by level: the inverse needs more work as the level grows. Every level
# holds hundreds of distinct equations, so a few thousand problems do not exhaust it.
_LINEAR_LEVELS = {
    1: ((2, 5), (2, 9), (0, 9), "+"),
    2: ((2, 9), (2, 9), (1, 12), "+"),
    3: ((2, 9), (2, 12), (1, 15), "+"),
    4: ((2, 9), (2, 15), (1, 15), "-"),
    5: ((3, 12), (2, 19), (1, 20), "+"),
}
# Share of solutions that guess and check (the rest derive x step by step).
_GUESS_SHARE = 0.6
_QUESTIONS = ("Find $x$ if ${l} = {c}$.", "Solve for $x$: ${l} = {c}$.", "If ${l} = {c}$, what is $x$?")


def _boxed(value: int) -> str:
    return f"\\boxed{{{value}}}"


def _check(a: int, guess: int, b: int, sign: str) -> tuple[str, int, str]:
    """``a \\cdot g + b = p + b = v`` for a guess ``g``: the chain, its value and the product step."""
    product = a * guess
    value = product - b if sign == "-" else product + b
    if not b:
        return f"{a} \\cdot {guess} = {value}", value, f"${a} \\cdot {guess} = {value}$"
    chain = f"{a} \\cdot {guess} {sign} {b} = {product} {sign} {b} = {value}"
    return chain, value, f"${a} \\cdot {guess} = {product}$, and ${product} {sign} {b} = {value}$"


def _guess_and_check(a: int, x: int, b: int, sign: str, c: int, first: int | None) -> tuple[tuple[str, ...], str]:
    """State a guess and verify it forward; a wrong ``first`` guess is tried, rejected and corrected."""
    steps, terse = [], []
    if first is not None:
        chain, value, step = _check(a, first, b, sign)
        verdict = "too small" if value < c else "too large"
        steps += [f"Try $x = {first}$.", f"Then {step}, {verdict}."]
        terse.append(f"Try $x = {first}$: ${chain}$, {verdict}.")
    chain, _, step = _check(a, x, b, sign)
    steps += [f"Try $x = {x}$.", f"Then {step}, as required."]
    terse.append(f"Try $x = {x}$: ${chain}$. So $x = {_boxed(x)}$.")
    return tuple(steps), " ".join(terse)


def _derivation(a: int, x: int, b: int, sign: str, c: int, first: int | None) -> tuple[tuple[str, ...], str]:
    """Undo ``+ b`` (or ``- b``), then the product, one inverse operation per step."""
    division = f"x = {a * x} \\div {a} = {x}"
    if not b:
        step = f"Divide both sides by ${a}$: ${division}$."
        return (step,), f"Divide both sides by ${a}$: $x = {c} \\div {a} = {_boxed(x)}$."
    verb, inverse = ("Subtract", "-") if sign == "+" else ("Add", "+")
    where = "from" if sign == "+" else "to"
    undo = f"{a}x = {c} {inverse} {b} = {a * x}"
    steps = (f"{verb} ${b}$ {where} both sides: ${undo}$.", f"Divide both sides by ${a}$: ${division}$.")
    terse = f"{verb} ${b}$: ${undo}$, so $x = {a * x} \\div {a} = {_boxed(x)}$."
    return steps, terse


def inverse_linear(rng: random.Random, level: int) -> SynthItem:
    """Solve ``a x + b = c`` (``a x - b = c`` at level 4) by guess and check or by derivation (see module)."""
    a_range, x_range, b_range, sign = _LINEAR_LEVELS[level]
    a, x, b = rng.randint(*a_range), rng.randint(*x_range), rng.randint(*b_range)
    c = a * x - b if sign == "-" else a * x + b
    lhs = f"{a}x {sign} {b}" if b else f"{a}x"
    route = _guess_and_check if rng.random() < _GUESS_SHARE else _derivation
    # Half the guesses miss by one or two first: their checks cannot be copied from the problem, so a
    # model must learn to compute the check forward rather than restate c (which it otherwise does).
    first = x + rng.choice((-2, -1, 1, 2)) if rng.random() < 0.5 and x > 2 else None
    steps, terse = route(a, x, b, sign, c, first)
    return SynthItem(rng.choice(_QUESTIONS).format(l=lhs, c=c), steps, terse, Fraction(x), "Algebra")


# (table size, nesting depth) by level: a deeper ``f(f(x))`` needs more inverse look-ups composed into the
# one token of a guess, while its check stays one forward look-up per step at every level.
_TABLE_LEVELS = {1: (6, 1), 2: (6, 2), 3: (8, 2), 4: (6, 3), 5: (8, 3)}
# How many wrong guesses a solution tries (and rejects) before the right one: 0, 1 or 2.
_REJECTED_WEIGHTS = (0.4, 0.35, 0.25)


def _guesses(rng: random.Random, wrong: list[int], x: int) -> list[int]:
    """0, 1 or 2 guesses drawn from ``wrong`` (weights ``_REJECTED_WEIGHTS``), then the answer ``x``."""
    n_wrong = rng.choices(range(len(_REJECTED_WEIGHTS)), weights=_REJECTED_WEIGHTS)[0]
    return [*rng.sample(wrong, n_wrong), x]


def _tried_solution(guesses: list[int], tried: Callable[[int], tuple[str, str]],
                    opening: str) -> tuple[tuple[str, ...], str]:
    """Both styles of a solution that tries ``guesses`` in turn, the last being the answer.

    Args:
        guesses: The guesses, in order.
        tried: A guess's check as (step, terse line).
        opening: The step that states a guess, with ``{}`` for it.
    """
    steps, terse = [], []
    for guess in guesses:
        step, line = tried(guess)
        steps += [opening.format(guess), step]
        terse.append(line)
    terse.append(f"So $x = {_boxed(guesses[-1])}$.")
    return tuple(steps), " ".join(terse)


def _nested(depth: int, inner: str) -> str:
    """``f(f(x))`` for depth 2."""
    return "f(" * depth + inner + ")" * depth


def _lookups(table: dict[int, int], guess: int, depth: int) -> tuple[list[str], int]:
    """The forward look-ups ``f(g) = v1``, ``f(v1) = v2``, ... of a guess, and the last value."""
    chain, value = [], guess
    for _ in range(depth):
        chain.append(f"f({value})={table[value]}")
        value = table[value]
    return chain, value


def _table_try(table: dict[int, int], guess: int, depth: int, target: int) -> tuple[str, str]:
    """One tried guess: its look-ups, then ``\\neq`` the target when it misses (step, terse)."""
    chain, value = _lookups(table, guess, depth)
    checked = ", ".join(chain)
    if value == target:
        return f"Then ${checked}$, as required.", f"Try $x={guess}$: ${checked}$."
    return f"Then ${checked} \\neq {target}$.", f"Try $x={guess}$: ${checked} \\neq {target}$."


def inverse_table(rng: random.Random, level: int) -> SynthItem:
    """Find ``x`` with ``f(f(x)) = t`` for ``f`` given as a table (a permutation), by guess and check.

    A MATH-style inverse-function question ("the values of ``f`` are given in the table; find
    ``f^{-1}(f^{-1}(t))``"). Each solution tries up to two wrong guesses first; every guess is checked by
    forward look-ups in the table and a miss is written as ``v \\neq t``. Producing the answer in one
    token composes ``depth`` inverse look-ups; checking a written guess needs one forward look-up per step
    and a comparison with ``t``, which is why an evaluator can judge these solutions better than the
    generator writes them.

    Measured (2026-11-30): the demo-sized model does not get there on a CPU budget. A 4-layer, 128-wide
    Llama after 1500 steps and a 2-layer one after 3000 steps wrote look-ups that match the table 13-15%
    of the time (chance level), so their checks were invented to land on ``t`` and carried no signal;
    a model must first learn in-context look-up (which pretrained LLMs do) before this family is in the
    paper's regime. The demo therefore uses ``factored_linear``. Trained on look-up alone (2026-12-01:
    lines of six ``f(k)=v`` pairs of two-digit numbers, then four queries, 32 lines a step at lr 3e-3), the
    4-layer model still answered the queries at chance (0-2%) after 2500 steps.
    """
    size, depth = _TABLE_LEVELS[level]
    values = list(range(1, size + 1))
    rng.shuffle(values)
    table = dict(zip(range(1, size + 1), values))
    x = rng.randint(1, size)
    target = _lookups(table, x, depth)[1]
    entries = ", ".join(f"f({k})={v}" for k, v in table.items())
    problem = f"The function $f$ has ${entries}$. Find $x$ if ${_nested(depth, 'x')} = {target}$."
    guesses = _guesses(rng, [v for v in range(1, size + 1) if v != x], x)
    steps, terse = _tried_solution(guesses, lambda g: _table_try(table, g, depth, target), "Try $x={}$.")
    return SynthItem(problem, steps, terse, Fraction(x), "Algebra")


# (a range, x range) by level of ``a (x + b) = c``, b in 1..9: every level holds over 500 distinct equations,
# and ``a`` stays within the drill's 2..9 (the drill's guesses reach 17, this family's 20).
_FACTORED_LEVELS = {1: ((2, 9), (1, 9)), 2: ((2, 9), (1, 12)), 3: ((2, 9), (2, 14)), 4: ((3, 9), (4, 15)),
                    5: ((2, 9), (6, 17))}


def factored_check(a: int, guess: int, b: int, c: int) -> tuple[str, int]:
    """The check of a guess for ``a (x + b) = c``: ``c - a(g + b) = c - a \\cdot s = c - p`` and its sign.

    The chain starts from the problem's ``c``, so ``c`` is copied before anything is computed, and ends
    ``= 0``, ``> 0`` or ``< 0`` (no multi-digit subtraction, which a tiny model does not learn).

    Returns:
        The chain (LaTeX, no dollars) and ``c - p``.
    """
    total = guess + b
    value = a * total
    diff = c - value
    sign = "= 0" if diff == 0 else ("> 0" if diff > 0 else "< 0")
    return f"{c} - {a}({guess} + {b}) = {c} - {a} \\cdot {total} = {c} - {value} {sign}", diff


def _factored_try(a: int, guess: int, b: int, c: int) -> tuple[str, str]:
    """One tried guess: its check, then "too small" / "too large" when it misses (step, terse)."""
    chain, diff = factored_check(a, guess, b, c)
    verdict = "" if diff == 0 else (", too small" if diff > 0 else ", too large")
    return f"Then ${chain}${verdict}.", f"Try $x = {guess}$: ${chain}${verdict}."


def factored_linear(rng: random.Random, level: int) -> SynthItem:
    """Solve ``a (x + b) = c`` by guess and check; each check starts from ``c`` and ends with a sign.

    Up to two nearby wrong guesses are tried first. Every check is a small sum, one product and a
    comparison with ``c``: ``63 - 7(5 + 3) = 63 - 7 \\cdot 8 = 63 - 56 > 0``, too small. A guess lands when
    the chain ends ``= 0``. Producing the answer composes a division and a subtraction into the one token
    of a guess; checking it is a sum and a product the backbone can be drilled on
    (:mod:`mathft.backbones.drill` draws its chains from :func:`factored_check`).

    Measured (2026-11-30; 300 test problems, N = 16; the demo's model, drilled first, a 600-step drill
    and 1500 generator steps unless said otherwise):

    * **Where the check starts decides where a wrong solution lies.** When the check computed ``p`` first
      and then wrote ``p - c = d`` (this family until then), 2046 of 2729 wrong landed checks put something
      other than the problem's ``c`` in its slot, 1272 the check's own value (``56 - 56 = 0``), which only a
      comparison with the problem exposes. Starting from ``c`` ends that (at most 1% of wrong landed checks
      miscopy ``c``): a wrong solution now lands through a false product or sum (``63 - 7 \\cdot 8 = 63 -
      63 = 0``), which is in the text next to its operands.
    * **Fine-tuning unlearns the drilled facts.** Greedy completions of 150 check chains: the drilled
      backbone gets sums 98% and products 97% right; the SSFT generator 41% / 23% (1500 steps at lr 3e-3),
      25% / 29% (400-step drill, 800 steps at 1e-3), 64% / 33% with 1000 honest chains replayed in its
      training data, and 58% / 37% as LoRA adapters (rank 16, which also failed to learn the format; both
      400-step drill, 1000 steps), 19% / 22% with every MLP frozen (400-step drill, 1200 steps at 3e-3;
      there re-ranking fell 7.7 [1.3, 14.0] points behind voting). The generator lands by copying ``c``
      into the product's place.
    * **The evaluator reads those false facts partly.** Validation AUROC 0.72-0.80 whether it starts from the
      generator or from the drilled backbone (0.77 / 0.75 after 120 steps, 0.77 / 0.79 after 400). On
      ``configs/pipeline/demo.yaml`` (then named demo_drilled) with ``evaluator.init=backbone`` (2026-12-01):
      AUROC 0.74 (margin) / 0.72 (xent), RR.Maj3 minus Maj1@16 +3.3 [-2.3, 9.3] / +5.0 [-1.0, 10.7], no
      better than from the generator. The limit is the model, not the data: see :mod:`mathft.backbones.drill`
      on judging. On the same samples an evaluator that checked every step exactly (an oracle on the parsed
      text: all copies, sums, products and signs true, the last check landing) re-ranks to RR.Maj3 55.3% and
      RR.All 64.7% against Maj1@16's 21.7%: the task is in the regime, the demo-sized evaluator is not.
    * **Result with digits one per token** (the demo until 2026-12-01: a 400-step drill, 800 generator steps
      at lr 1e-3): Pass@1 13.3, Maj1@16 21.7, Pass@16 73.0; RR.Maj3 minus Maj1@16 +7.0 [1.3, 12.3] (xent, AUROC
      0.72), +1.3 [-4.3, 6.7] (margin, AUROC 0.73): re-ranking beats voting there. The effect is fragile.
      That config drops the 39% of training solutions longer than 128 tokens. Keeping them (``max_length``
      192, 128 new tokens) gives a stronger generator (Pass@1 27.0, Maj1@16 44.3, Pass@16 88.7) that
      re-ranking falls behind (-10.7 [-17.0, -4.0] xent). 300 drill steps and 700 generator steps give
      +3.3 [-2.0, 8.7], and 1500 generator steps at lr 3e-3 give -2.0 [-7.7, 3.7].
    * **Across seeds** (2026-12-01, that config as the demo, its drilled backbone shipped): with ``seed=1``
      the generator is in the regime again (Pass@1 19.0, Maj1@16 26.0, Pass@16 74.3) but re-ranking is
      not above voting: -4.0 [-9.7, 2.0] (xent, AUROC 0.75), -2.7 [-8.3, 3.0] (margin, AUROC 0.70). Part of
      what the evaluators read is truncation: 27-35% of the samples stop at 96 new tokens without an
      answer. Resampled with 128 new tokens (5-11% then stop), the same generators' evaluators reach AUROC
      0.63 / 0.65 (seed 0, margin / xent) and 0.69 / 0.64 (seed 1), RR.Maj3 minus Maj1@16 +5.3 / +3.3 and
      -1.3 / +0.3 points: the evaluators barely judge the arithmetic.
    * **Numbers as tokens** (2026-12-01; ``backbone.scratch.number_tokens=300``, the demo since then). With
      every integer below 300 one token a check is a few token facts, and the picture changes:

      - Writing drill only, 2000 training problems: the generator is strong and lands by a false product
        (2850 of 2964 wrong samples with an answer): Pass@1 46.7, Maj1@16 43.0, Pass@16 96.7. The evaluators
        stay at chance among the answered samples (0.41 / 0.57; 0.56 after 480 xent steps at lr 1e-3).
      - With the judging drill too (1200 steps): the generator writes honest checks and wins by voting
        (Pass@1 66.3, Maj1@16 88.3, Pass@16 98.7), and the evaluators judge (validation AUROC 0.99 / 1.00,
        0.94 / 0.96 among answered samples): RR.Maj3 minus Maj1@16 +7.7 [4.0, 11.7] (margin) / +7.0 [3.3,
        11.0] (xent). Fewer generator steps (400) or lr 3e-3 leave it as strong.
      - With 500 training problems (and 400 generator steps) the generator does not learn every inverse and
        is in the paper's regime: Pass@1 37.0, Maj1@16 55.7, Pass@16 83.0 (seed 0) and 34.3 / 53.3 / 75.0
        (seed 1). The margin evaluator re-ranks above voting, RR.Maj3 minus Maj1@16 +11.0 [5.3, 16.3] and
        +9.3 [4.3, 14.3] (validation AUROC 0.91 / 0.92); the xent one does not (-1.7 / -2.0). That is
        ``configs/pipeline/demo.yaml``.
    """
    (a_lo, a_hi), (x_lo, x_hi) = _FACTORED_LEVELS[level]
    a, x, b = rng.randint(a_lo, a_hi), rng.randint(x_lo, x_hi), rng.randint(1, 9)
    c = a * (x + b)
    guesses = _guesses(rng, [g for g in range(max(0, x - 3), x + 4) if g != x], x)
    steps, terse = _tried_solution(guesses, lambda g: _factored_try(a, g, b, c), "Try $x = {}$.")
    problem = rng.choice(_QUESTIONS).format(l=f"{a}(x + {b})", c=c)
    return SynthItem(problem, steps, terse, Fraction(x), "Algebra")


# Guess-and-check families (a tuple, as FAMILIES: add one by editing it).
CHECKABLE_FAMILIES = (inverse_linear, inverse_table, factored_linear)

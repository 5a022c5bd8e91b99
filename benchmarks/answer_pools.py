"""Synthetic majority-voting problems: 64 sampled answers per problem from realistic answer pools.

Each problem draws fresh parameters from one answer family (integers, fractions, radicals, multiples
of pi, tuples, intervals, polynomials, plus-minus, complex numbers, percents, vectors, choices), so
no two problems share their answer strings and a grader's cache only helps within a problem, as in a
real evaluation. An answer family yields equivalence classes: class 0 is the right answer, the others
are wrong answers (off by one, sign, swapped, reciprocal...), each written in several equivalent forms.
Samples pick a class (the right one with a random probability, wrong ones with decaying weights), then
a form (the first, canonical form most often); some samples are None (no answer extracted) or junk.
"""

from __future__ import annotations

import random
from typing import Callable

Classes = list[list[str]]


def _int_forms(n: int) -> list[str]:
    """Equivalent ways models write an integer answer."""
    forms = [str(n), f"{n}.", f"${n}$", f"{n} \\text{{ units}}", f"x = {n}", f"{n}.0"]
    if abs(n) >= 1000:
        forms.append(f"{n // 1000},{abs(n) % 1000:03d}" if n > 0 else str(n))
    return forms


def fam_integer(rng: random.Random) -> Classes:
    """An integer answer and its usual wrong neighbours."""
    v = rng.randint(2, 5000)
    return [_int_forms(w) for w in (v, v + 1, v - 1, -v, 2 * v, v + 10)]


def _frac_forms(a: int, b: int) -> list[str]:
    """Equivalent ways to write the fraction a/b (b > 0)."""
    forms = [f"\\frac{{{a}}}{{{b}}}", f"\\dfrac{{{a}}}{{{b}}}", f"{a}/{b}", f"\\frac{{{2 * a}}}{{{2 * b}}}"]
    m = b
    for p in (2, 5):
        while m % p == 0:
            m //= p
    if m == 1:  # terminating decimal: exact
        forms.append(repr(a / b))
    return forms


def fam_fraction(rng: random.Random) -> Classes:
    """A proper fraction with reciprocal, sign and numerator errors."""
    b = rng.randint(3, 24)
    a = rng.choice([k for k in range(1, b) if _gcd(k, b) == 1])
    return [_frac_forms(a, b), _frac_forms(b, a), _frac_forms(-a, b), _frac_forms(a + 1, b)]


def _gcd(a: int, b: int) -> int:
    """Greatest common divisor (small helper, avoids importing math for one call)."""
    while b:
        a, b = b, a % b
    return abs(a)


def fam_radical(rng: random.Random) -> Classes:
    """k*sqrt(m) written simplified and unsimplified."""
    k, m = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7, 10, 11, 13])

    def forms(k: int, m: int) -> list[str]:
        return [f"{k}\\sqrt{{{m}}}", f"\\sqrt{{{k * k * m}}}", f"{k} \\sqrt{{{m}}}", f"\\sqrt{{{m}}} \\cdot {k}"]

    return [forms(k, m), forms(k + 1, m), forms(k, m + 1), [str(k * m), f"{k * m}."]]


def fam_pi(rng: random.Random) -> Classes:
    """A rational multiple of pi."""
    b = rng.randint(2, 12)
    a = rng.choice([k for k in range(1, 3 * b) if _gcd(k, b) == 1])

    def forms(a: int, b: int) -> list[str]:
        return [f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi", f"{a}\\pi/{b}"]

    return [forms(a, b), forms(b, a), [f"\\frac{{{a}}}{{{b}}}", f"{a}/{b}"], forms(a + 1, b)]


def fam_tuple(rng: random.Random) -> Classes:
    """An ordered pair: order and sign matter."""
    a, b = rng.sample(range(-20, 21), 2)

    def forms(a: int, b: int) -> list[str]:
        return [f"({a}, {b})", f"({a},{b})", f"\\left({a}, {b}\\right)"]

    return [forms(a, b), forms(b, a), forms(a, -b)]


def fam_interval(rng: random.Random) -> Classes:
    """A half-open interval and its wrong-endpoint variants."""
    a = rng.randint(-10, 5)
    b = a + rng.randint(1, 10)
    return [
        [f"[{a}, {b})", f"[{a},{b})", f"x \\in [{a}, {b})", f"\\left[{a}, {b}\\right)"],
        [f"({a}, {b})", f"({a},{b})"],
        [f"[{a}, {b}]", f"[{a},{b}]"],
        [f"(-\\infty, {a}) \\cup ({b}, \\infty)", f"({b}, \\infty) \\cup (-\\infty, {a})"],
    ]


def _linear_term(c: int) -> str:
    """``c x`` as a signed term of a polynomial: '+3x', '-x', '' for 0."""
    if c == 0:
        return ""
    sign = "+" if c > 0 else "-"
    return f"{sign}{'' if abs(c) == 1 else abs(c)}x"


def fam_polynomial(rng: random.Random) -> Classes:
    """A factored quadratic, expanded or factored in either order."""
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    return [
        [f"(x+{a})(x+{b})", f"x^2{_linear_term(a + b)}+{a * b}", f"(x+{b})(x+{a})", f"x^2 + {a + b}x + {a * b}"],
        [f"(x-{a})(x+{b})", f"x^2{_linear_term(b - a)}-{a * b}"],
        [f"x^2+{a * b}", f"{a * b}+x^2"],
    ]


def fam_pm(rng: random.Random) -> Classes:
    """Two roots of opposite sign."""
    a = rng.randint(1, 30)
    return [[f"\\pm {a}", f"{a}, -{a}", f"-{a}, {a}", f"x = \\pm {a}"], [str(a), f"x = {a}"], [f"\\pm {a + 1}"]]


def fam_complex(rng: random.Random) -> Classes:
    """A complex number; conjugate and swapped parts are wrong."""
    a, b = rng.randint(1, 15), rng.randint(2, 15)
    return [
        [f"{a}+{b}i", f"{b}i+{a}", f"{a} + {b} i"],
        [f"{a}-{b}i", f"-{b}i+{a}"],
        [f"{b}+{a}i", f"{a}i+{b}"],
    ]


def fam_percent(rng: random.Random) -> Classes:
    """A percentage; the fraction 0.xx is wrong by policy."""
    a = rng.randint(11, 99)
    return [[f"{a}\\%", str(a), f"{a} \\%"], [f"0.{a}"], [f"{a + 5}\\%", str(a + 5)]]


def fam_vector(rng: random.Random) -> Classes:
    """A column vector in pmatrix/bmatrix."""
    a, b = rng.sample(range(-9, 10), 2)

    def forms(a: int, b: int) -> list[str]:
        return [f"\\begin{{pmatrix}} {a} \\\\ {b} \\end{{pmatrix}}", f"\\begin{{bmatrix}}{a}\\\\{b}\\end{{bmatrix}}"]

    return [forms(a, b), forms(b, a), forms(-a, b)]


def fam_choice(rng: random.Random) -> Classes:
    """A multiple-choice letter."""
    letters = rng.sample("ABCDE", 4)
    return [[f"\\text{{({c})}}", f"({c})", c] for c in letters]


FAMILIES: list[Callable[[random.Random], Classes]] = [
    fam_integer, fam_integer, fam_integer, fam_fraction, fam_fraction, fam_radical, fam_pi,
    fam_tuple, fam_interval, fam_polynomial, fam_pm, fam_complex, fam_percent, fam_vector, fam_choice,
]  # integers and fractions repeated: they dominate MATH answers

JUNK = ["", "I cannot determine the answer", "\\frac{", "}{"]


def sample_problem(rng: random.Random, n_samples: int = 64) -> list[str | None]:
    """One problem's ``n_samples`` answers drawn from a random family's classes."""
    classes = rng.choice(FAMILIES)(rng)
    p_right = rng.uniform(0.15, 0.85)
    wrong_w = [0.5**k for k in range(len(classes) - 1)]
    p_none = rng.uniform(0.0, 0.15)
    out: list[str | None] = []
    for _ in range(n_samples):
        r = rng.random()
        if r < p_none:
            out.append(None if rng.random() < 0.8 else rng.choice(JUNK))
            continue
        k = 0 if rng.random() < p_right else 1 + rng.choices(range(len(wrong_w)), wrong_w)[0]
        forms = classes[k]
        out.append(forms[0] if rng.random() < 0.5 else rng.choice(forms))
    return out


def build_problems(n_problems: int, n_samples: int = 64, seed: int = 0) -> list[list[str | None]]:
    """``n_problems`` synthetic problems, reproducible from ``seed``."""
    rng = random.Random(seed)
    return [sample_problem(rng, n_samples) for _ in range(n_problems)]

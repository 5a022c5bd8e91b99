"""Bounded exact arithmetic: a canonical form for the answers most graders send to sympy.

A value is a quotient of two polynomials with rational coefficients over *atoms*: variables (``x``),
the transcendental constants ``pi`` and ``e`` (treated as independent indeterminates), the imaginary
unit ``i`` (with ``i^2 = -1``) and radicals ``p^r`` of primes with ``0 < r < 1`` (so ``\\sqrt{8}`` is
``2 * 2^(1/2)``). Products of distinct prime radicals are linearly independent over the rationals, so
in this form two values are equal exactly when ``a.num * b.den == b.num * a.den`` term by term: both a
positive and a negative verdict are proofs, in microseconds, with no sympy.

Every operation estimates the size of its result *before* computing it: integer powers whose result
would exceed :data:`MAX_BITS` bits, factorials above :data:`MAX_FACTORIAL` and expansions with more than
:data:`MAX_TERMS` terms are refused. Whatever the form cannot express (``\\sin x``, ``2^x``, nested
radicals) raises :class:`Undecided` and is left to the numeric and symbolic checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from mathft.grading.ast import Node, decimal_value
from mathft.grading.primes import LargeFactors, prime_exponents

__all__ = ["Undecided", "TooBig", "Undefined", "Value", "evaluate", "MAX_BITS", "MAX_TERMS"]

MAX_BITS = 10_000
MAX_TERMS = 256
MAX_FACTORIAL = 1000
MAX_SUM_POWER = 1000

_POSITIVE_CONSTANTS = frozenset({"s:pi", "s:e"})

Mono = tuple[tuple[str, Fraction], ...]  # sorted (atom, exponent) pairs; () is the constant monomial
Poly = dict[Mono, Fraction]


class Undecided(Exception):
    """The canonical form cannot express this value; another check must decide."""


class TooBig(Undecided):
    """The value is too large to compute (power tower, huge factorial); graded as not equal."""


class Undefined(Undecided):
    """The value is undefined (division by zero); graded as not equal."""


def _check_bits(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise TooBig("number too large")
    return value


def _rational_power(base: Fraction, exponent: int) -> Fraction:
    size = max(base.numerator.bit_length(), base.denominator.bit_length())
    if size > 1 and (size - 1) * abs(exponent) > MAX_BITS:  # |base| >= 2^(size-1): estimate first
        raise TooBig("integer power too large")
    if base == 0 and exponent < 0:
        raise Undefined("zero to a negative power")
    return base**exponent


def _reduce_atom(atom: str, exponent: Fraction) -> tuple[Fraction, Fraction]:
    """Split ``atom^exponent`` into a rational factor and the exponent that stays on the atom."""
    if atom == "i":
        if exponent.denominator != 1:
            raise Undecided("fractional power of i")
        quarter = int(exponent) % 4
        return (Fraction(-1) if quarter >= 2 else Fraction(1)), Fraction(quarter % 2)
    if atom.startswith("x:"):  # p^(c*m) for a positive base: any rational power of it is real and positive
        return Fraction(1), exponent
    if atom.startswith("r:"):
        whole = math.floor(exponent)
        return _rational_power(Fraction(int(atom[2:])), whole), exponent - whole
    if exponent.denominator != 1:
        raise Undecided("fractional power of a variable")
    return Fraction(1), exponent


def _mono_mul(left: Mono, right: Mono) -> tuple[Fraction, Mono]:
    exponents = dict(left)
    for atom, exponent in right:
        exponents[atom] = exponents.get(atom, 0) + exponent
    return _mono_from(exponents)


def _mono_from(exponents: dict[str, Fraction]) -> tuple[Fraction, Mono]:
    coefficient, atoms = Fraction(1), []
    for atom in sorted(exponents):
        factor, rest = _reduce_atom(atom, Fraction(exponents[atom]))
        coefficient *= factor
        if rest:
            atoms.append((atom, rest))
    return coefficient, tuple(atoms)


def _poly_add(left: Poly, right: Poly, sign: int = 1) -> Poly:
    out = dict(left)
    for mono, coefficient in right.items():
        total = out.get(mono, 0) + sign * coefficient
        if total:
            out[mono] = total
        else:
            out.pop(mono, None)
    return out


def _poly_mul(left: Poly, right: Poly) -> Poly:
    if len(left) * len(right) > MAX_TERMS * 4:
        raise Undecided("expansion too large")
    out: Poly = {}
    for mono_a, coef_a in left.items():
        for mono_b, coef_b in right.items():
            factor, mono = _mono_mul(mono_a, mono_b)
            total = out.get(mono, 0) + _check_bits(coef_a * coef_b * factor)
            if total:
                out[mono] = total
            else:
                out.pop(mono, None)
    if len(out) > MAX_TERMS:
        raise Undecided("too many terms")
    return out


_ONE: Poly = {(): Fraction(1)}


class Value:
    """A quotient ``num / den`` of canonical polynomials (``den`` is 1 unless it has several terms)."""

    __slots__ = ("num", "den")

    def __init__(self, num: Poly, den: Poly = _ONE) -> None:
        if not den:
            raise Undefined("division by zero")
        if len(den) == 1:  # fold a single-term denominator into the numerator: 1/sqrt(2) -> sqrt(2)/2
            (mono, coefficient), = den.items()
            factor, inverse = _mono_from({atom: -exponent for atom, exponent in mono})
            num = _poly_mul(num, {inverse: factor / coefficient})
            den = _ONE
        self.num, self.den = num, den

    @classmethod
    def constant(cls, value: Fraction) -> Value:
        return cls({(): value} if value else {})

    @classmethod
    def atom(cls, name: str) -> Value:
        return cls({((name, Fraction(1)),): Fraction(1)})

    def rational(self) -> Fraction | None:
        """The value as a rational number, or None when it involves atoms."""
        if self.den is not _ONE and self.den != _ONE:
            return None
        if not self.num:
            return Fraction(0)
        if len(self.num) == 1 and () in self.num:
            return self.num[()]
        return None

    def __add__(self, other: Value) -> Value:
        if self.den == _ONE and other.den == _ONE:
            return Value(_poly_add(self.num, other.num))
        num = _poly_add(_poly_mul(self.num, other.den), _poly_mul(other.num, self.den))
        return Value(num, _poly_mul(self.den, other.den))

    def __neg__(self) -> Value:
        return Value({mono: -c for mono, c in self.num.items()}, self.den)

    def __mul__(self, other: Value) -> Value:
        return Value(_poly_mul(self.num, other.num), _poly_mul(self.den, other.den))

    def inverse(self) -> Value:
        return Value(self.den, self.num)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Value):
            return NotImplemented
        if self.den == _ONE and other.den == _ONE:
            return self.num == other.num
        return _poly_mul(self.num, other.den) == _poly_mul(other.num, self.den)

    __hash__ = None  # type: ignore[assignment]

    def atoms(self) -> set[str]:
        return {atom for poly in (self.num, self.den) for mono in poly for atom, _ in mono}

    def power(self, exponent: Value) -> Value:
        """``self ** exponent`` for a rational exponent; other exponents are :class:`Undecided`."""
        q = exponent.rational()
        if q is None:
            return self._symbolic_power(exponent)
        if q.denominator == 1:
            return self._int_power(int(q))
        return self._fractional_power(q)

    def _int_power(self, n: int) -> Value:
        if n < 0:
            return self._int_power(-n).inverse()
        base = self.rational()
        if base is not None:
            return Value.constant(_rational_power(base, n))
        if len(self.num) == 1 and self.den == _ONE:
            (mono, coefficient), = self.num.items()
            factor, new_mono = _mono_from({atom: e * n for atom, e in mono})
            return Value({new_mono: _check_bits(_rational_power(coefficient, n) * factor)})
        if n > MAX_SUM_POWER:
            raise TooBig("power of a sum too large")  # no worker could expand it within its limit
        if n > 64:
            raise Undecided("power of a sum too large to expand here")
        result, square = Value.constant(Fraction(1)), self
        while n:  # binary powering; every product is itself size-checked
            if n & 1:
                result = result * square
            n >>= 1
            if n:
                square = square * square
        return result

    def _symbolic_power(self, exponent: Value) -> Value:
        """``b^E`` for a positive constant base and a polynomial exponent: 2^{n+1} = 2 * 2^n.

        Each non-constant term c*m of E becomes the atom ``x:p:m`` (p^m, one per prime p of the base, or
        e^m, pi^m) raised to c, so 4^n = 2^{2n} and 6^n = 2^n 3^n reduce to the same form.
        """
        if exponent.den != _ONE:
            raise Undecided("rational-function exponent")
        bases = self._positive_bases()
        result = self.power(Value.constant(exponent.num.get((), Fraction(0))))
        for mono, coefficient in exponent.num.items():
            if not mono:
                continue
            if any(atom == "i" for atom, _ in mono):
                raise Undecided("complex exponent")  # e^{i pi} = -1 is for the worker to prove
            key = "*".join(f"{atom}^{e}" for atom, e in mono)
            atoms = {f"x:{base}:{key}": multiplicity * coefficient for base, multiplicity in bases.items()}
            factor, new_mono = _mono_from(atoms)
            result = result * Value({new_mono: factor})
        return result

    def _positive_bases(self) -> dict[str, Fraction]:
        """The base as a product of primes (or ``e``, ``pi``) with multiplicities; Undecided otherwise."""
        q = self.rational()
        if q is not None and q > 0 and max(q.numerator.bit_length(), q.denominator.bit_length()) <= 64:
            bases = {str(p): Fraction(k) for p, k in _factor(q.numerator).items()}
            for p, k in _factor(q.denominator).items():
                bases[str(p)] = -Fraction(k)
            return bases
        if self.den == _ONE and len(self.num) == 1:
            (mono, coefficient), = self.num.items()
            if coefficient == 1 and len(mono) == 1 and mono[0][0] in _POSITIVE_CONSTANTS:
                return {mono[0][0][2:]: mono[0][1]}
        raise Undecided("symbolic power of a base that is not a positive constant")

    def _fractional_power(self, q: Fraction) -> Value:
        if self.den != _ONE or len(self.num) != 1:
            raise Undecided("fractional power of a sum")
        (mono, coefficient), = self.num.items()
        if any(atom.startswith("s:") and atom not in _POSITIVE_CONSTANTS for atom, _ in mono):
            raise Undecided("fractional power of a variable")  # sqrt(x^2) is |x|, not x
        root = _rational_root(coefficient, q)
        factor, new_mono = _mono_from({atom: e * q for atom, e in mono})
        return root * Value({new_mono: factor})


def _factor(n: int) -> dict[int, int]:
    try:
        return prime_exponents(n)
    except LargeFactors:
        raise Undecided("radicand with large prime factors") from None


def _rational_root(base: Fraction, q: Fraction) -> Value:
    """``base ** q`` for rational ``q`` that is not an integer (real odd roots of negatives)."""
    if base == 0:
        if q < 0:
            raise Undefined("zero to a negative power")
        return Value.constant(Fraction(0))
    sign = Value.constant(Fraction(1))
    if base < 0:
        if q.denominator % 2 == 1:
            sign = Value.constant(Fraction(-1 if q.numerator % 2 else 1))
        elif q.denominator == 2:
            sign = Value.atom("i")._int_power(q.numerator)
        else:
            raise Undecided("even root of a negative number")
    if max(base.numerator.bit_length(), base.denominator.bit_length()) > 64:
        raise Undecided("radicand too large to factor")
    exponents: dict[str, Fraction] = {}
    for part, sign_of_part in ((abs(base.numerator), 1), (base.denominator, -1)):
        for p, k in _factor(part).items():
            key = f"r:{p}"
            exponents[key] = exponents.get(key, 0) + sign_of_part * k * q
    factor, mono = _mono_from(exponents)
    return sign * Value({mono: factor})


def _fold(values: list[Value], combine: Callable[[Value, Value], Value]) -> Value:
    result = values[0]
    for value in values[1:]:
        result = combine(result, value)
    return result


def _integer(value: Value, what: str) -> int:
    q = value.rational()
    if q is None or q.denominator != 1:
        raise Undecided(f"{what} of a non-integer")
    return int(q)


def _factorial(args: list[Value]) -> Value:
    n = _integer(args[0], "factorial")
    if n < 0:
        raise Undefined("factorial of a negative integer")
    if n > MAX_FACTORIAL:
        raise TooBig("factorial too large")
    return Value.constant(Fraction(math.factorial(n)))


def _binom(args: list[Value]) -> Value:
    n, k = _integer(args[0], "binomial"), _integer(args[1], "binomial")
    if n < 0 or k < 0:
        raise Undecided("binomial of negative numbers")
    if min(k, n - k) * max(n, 1).bit_length() > MAX_BITS:
        raise TooBig("binomial too large")
    return Value.constant(Fraction(math.comb(n, k)))


def _abs(args: list[Value]) -> Value:
    q = args[0].rational()
    if q is None:
        raise Undecided("absolute value of a non-rational")
    return Value.constant(abs(q))


def _root(args: list[Value]) -> Value:
    index = _integer(args[1], "root index")
    if index == 0:
        raise Undefined("zeroth root")
    return args[0].power(Value.constant(Fraction(1, index)))


def _rounding(round_down: bool) -> Callable[[list[Value]], Value]:
    def apply(args: list[Value]) -> Value:
        q = args[0].rational()
        if q is None:
            raise Undecided("floor or ceiling of a non-rational")
        return Value.constant(Fraction(math.floor(q) if round_down else math.ceil(q)))

    return apply


_FUNCTIONS: dict[str, Callable[[list[Value]], Value]] = {
    "floor": _rounding(round_down=True),
    "ceil": _rounding(round_down=False),
    "sqrt": lambda args: args[0].power(Value.constant(Fraction(1, 2))),
    "root": _root,
    "factorial": _factorial,
    "binom": _binom,
    "abs": _abs,
}


def _symbol(name: str) -> Value:
    return Value.atom("i") if name == "i" else Value.atom(f"s:{name}")


def _func(node: Node, args: list[Value]) -> Value:
    handler = _FUNCTIONS.get(node.value)
    if handler is None:
        raise Undecided(f"function {node.value}")
    return handler(args)


_OPS: dict[str, Callable[[Node, list[Value]], Value]] = {
    "add": lambda node, args: _fold(args, Value.__add__),
    "mul": lambda node, args: _fold(args, Value.__mul__),
    "neg": lambda node, args: -args[0],
    "div": lambda node, args: args[0] * args[1].inverse(),
    "pow": lambda node, args: args[0].power(args[1]),
    "func": _func,
}


def evaluate(node: Node) -> Value:
    """The canonical exact value of a scalar expression tree.

    Raises:
        Undecided: When the form cannot express the value (``TooBig``/``Undefined`` are subclasses).
    """
    if node.op == "num":
        return Value.constant(node.value)
    if node.op == "dec":
        return Value.constant(decimal_value(node.value))
    if node.op == "sym":
        return _symbol(node.value)
    handler = _OPS.get(node.op)
    if handler is None:
        raise Undecided(f"not a scalar: {node.op}")
    return handler(node, [evaluate(arg) for arg in node.args])

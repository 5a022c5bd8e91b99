"""Small number theory for radicals: factoring by small primes and a deterministic primality test."""

from __future__ import annotations

__all__ = ["LargeFactors", "is_prime", "prime_exponents"]

_SMALL_PRIMES = [p for p in range(2, 1000) if all(p % q for q in range(2, int(p**0.5) + 1))]


class LargeFactors(ArithmeticError):
    """A number has at least two prime factors above 1000."""


def prime_exponents(n: int) -> dict[int, int]:
    """Prime factorization of ``n >= 1`` by trial division with the primes below 1000.

    Raises:
        LargeFactors: When what is left after the small primes is composite (it is then too costly to
            factor here; the caller leaves such radicals to other checks).
    """
    found: dict[int, int] = {}
    for p in _SMALL_PRIMES:
        if p * p > n:
            break
        while n % p == 0:
            n //= p
            found[p] = found.get(p, 0) + 1
    if n > 1:
        if n >= _SMALL_PRIMES[-1] ** 2 and not is_prime(n):
            # sqrt(1009 * 1013) must equal sqrt(1009) * sqrt(1013): a composite atom would break that
            raise LargeFactors(n)
        found[n] = found.get(n, 0) + 1
    return found


def is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for n < 3.3e24 (radicands are capped at 64 bits)."""
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True

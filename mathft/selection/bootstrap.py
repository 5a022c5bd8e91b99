"""Percentile-bootstrap intervals over problems: one accuracy, or the paired difference of two.

Accuracies in this package are means of per-problem outcomes (0/1 verdicts, or a fraction for the
unbiased pass@1), and problems are the unit that was sampled, so the bootstrap resamples problems with
replacement (Efron & Tibshirani 1993, Ch. 13). Two methods evaluated on the same problems are compared
by resampling the same problem indices for both (a paired bootstrap): the shared difficulty of a problem
cancels, which gives a much tighter interval than two independent ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "paired_bootstrap_diff"]

# Resample indices are drawn in blocks of about this many entries, so that memory stays bounded
# (2000 resamples x 5000 problems would otherwise be 80 MB of indices at once).
_BLOCK_ENTRIES = 1 << 20


def _as_outcomes(values: Sequence[float], name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name}: need a non-empty flat sequence of per-problem outcomes, got shape {array.shape}")
    return array


def _check(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level}")


def _resampled_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """The mean of ``values`` over ``resamples`` draws of len(values) indices with replacement."""
    rng = np.random.default_rng(seed)
    n = values.size
    block = max(1, _BLOCK_ENTRIES // n)
    means = [values[rng.integers(0, n, size=(min(block, resamples - start), n))].mean(axis=1)
             for start in range(0, resamples, block)]
    return np.concatenate(means)


def _percentile_interval(means: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_ci(outcomes: Sequence[float], *, resamples: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of per-problem outcomes.

    Args:
        outcomes: One outcome per problem (0/1 verdicts, or fractions).
        resamples: Bootstrap resamples of the problems.
        seed: Seed of ``numpy.random.default_rng``; the same seed gives the same interval.
        level: Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).

    Returns:
        ``(low, high)``, on the outcomes' scale.

    Raises:
        ValueError: When ``outcomes`` is empty, or ``resamples`` or ``level`` is out of range.
    """
    _check(resamples, level)
    values = _as_outcomes(outcomes, "outcomes")
    return _percentile_interval(_resampled_means(values, resamples, seed), level)


def paired_bootstrap_diff(a: Sequence[float], b: Sequence[float], *, resamples: int = 2000, seed: int = 0,
                          level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """``mean(a) - mean(b)`` with a paired percentile-bootstrap interval.

    Each resample draws one set of problem indices and uses it for both sides; the resampled difference
    of means then equals the resampled mean of the per-problem differences ``a[i] - b[i]``, which is how
    it is computed.

    Args:
        a: Per-problem outcomes of one method.
        b: Per-problem outcomes of the other, for the same problems in the same order.
        resamples: Bootstrap resamples of the problems.
        seed: Seed of ``numpy.random.default_rng``.
        level: Coverage of the interval.

    Returns:
        ``(diff, (low, high))``.

    Raises:
        ValueError: When either side is empty, the lengths differ, or ``resamples`` or ``level`` is out of
            range.
    """
    _check(resamples, level)
    left, right = _as_outcomes(a, "a"), _as_outcomes(b, "b")
    if left.size != right.size:
        raise ValueError(f"paired bootstrap: a has {left.size} outcomes and b has {right.size}; "
                         "pass the outcomes of the same problems in the same order")
    diffs = left - right
    return float(diffs.mean()), _percentile_interval(_resampled_means(diffs, resamples, seed), level)

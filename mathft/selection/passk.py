"""Pass@1 and pass@k: does a correct solution exist among the samples?"""

from __future__ import annotations

from mathft.selection.analysis import ProblemAnalysis

__all__ = ["pass_at_k", "pass_at_1", "pass_at_n", "pass_at_k_curve"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of pass@k from ``n`` samples of which ``c`` are correct (Chen et al. 2021).

    ``1 - C(n-c, k) / C(n, k)``, computed as ``1 - prod_{i=n-c+1}^{n} (1 - k/i)`` so that no binomial
    coefficient (which overflows floats for n in the hundreds) is ever formed.

    Args:
        n: Number of samples.
        c: Number of correct samples, ``0 <= c <= n``.
        k: Budget, ``1 <= k <= n``.

    Raises:
        ValueError: When the arguments are out of range.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        # Every k-subset must contain a correct sample.
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def pass_at_1(analysis: ProblemAnalysis) -> float:
    """The greedy candidate's verdict if the problem has one, else the share of correct samples
    (the unbiased pass@1 estimate)."""
    if analysis.greedy_correct is not None:
        return float(analysis.greedy_correct)
    if analysis.num_samples == 0:
        return 0.0
    return analysis.num_correct / analysis.num_samples


def pass_at_n(analysis: ProblemAnalysis) -> float:
    """1.0 when any sample is correct (the oracle re-ranker)."""
    return float(analysis.num_correct > 0)


def pass_at_k_curve(analysis: ProblemAnalysis, max_k: int) -> list[float]:
    """pass@k for k = 1..max_k; past the problem's N the value stays at pass@N."""
    n, c = analysis.num_samples, analysis.num_correct
    if n == 0:
        return [0.0] * max_k
    return [pass_at_k(n, c, min(k, n)) for k in range(1, max_k + 1)]

"""Bootstrap intervals over problems: hand-checkable cases, determinism, width and coverage."""

from __future__ import annotations

import numpy as np
import pytest

from mathft.selection import bootstrap_ci, paired_bootstrap_diff


def test_constant_outcomes_have_a_point_interval() -> None:
    """Every resample of all-ones has mean 1, of all-zeros mean 0: the interval is that point."""
    assert bootstrap_ci([1, 1, 1, 1]) == (1.0, 1.0)
    assert bootstrap_ci([0.0] * 7) == (0.0, 0.0)


def test_all_ones_against_all_zeros_differ_by_one_exactly() -> None:
    """Each problem's difference is 1 - 0 = 1, so every resampled mean difference is 1."""
    assert paired_bootstrap_diff([1] * 10, [0] * 10) == (1.0, (1.0, 1.0))
    assert paired_bootstrap_diff([0] * 10, [1] * 10) == (-1.0, (-1.0, -1.0))


def test_identical_methods_differ_by_zero_exactly() -> None:
    """Pairing uses the same problems on both sides, so identical outcomes differ by 0 in every resample
    (two unpaired intervals of [1, 0, 1, 1, 0] would overlap widely instead)."""
    outcomes = [1, 0, 1, 1, 0]
    assert paired_bootstrap_diff(outcomes, outcomes) == (0.0, (0.0, 0.0))


def test_pairing_cancels_shared_difficulty() -> None:
    """b solves the first 50 problems, a solves those and 10 more: diff = 60/100 - 50/100 = 0.1 and every
    resample's difference is the share of the 10 extra problems in it, never negative; an unpaired
    interval of a alone is far wider than the paired one."""
    a = [1] * 60 + [0] * 40
    b = [1] * 50 + [0] * 50
    diff, (low, high) = paired_bootstrap_diff(a, b, seed=3)
    assert diff == pytest.approx(0.1)
    assert 0.0 < low < 0.1 < high < 0.2
    single_low, single_high = bootstrap_ci(a, seed=3)
    assert single_high - single_low > 1.5 * (high - low)


def test_the_same_seed_gives_the_same_interval() -> None:
    """Fractional outcomes (unbiased pass@1) so that the percentiles do not snap to a grid of k/n that two
    seeds would share."""
    outcomes = [0.25, 0.5, 0.0, 1.0, 0.75, 0.125, 1.0, 0.0, 0.875, 0.375, 0.625, 0.0]
    assert bootstrap_ci(outcomes, seed=7) == bootstrap_ci(outcomes, seed=7)
    assert paired_bootstrap_diff(outcomes, outcomes[::-1], seed=7) == paired_bootstrap_diff(
        outcomes, outcomes[::-1], seed=7)
    assert bootstrap_ci(outcomes, seed=7) != bootstrap_ci(outcomes, seed=8)


def test_interval_brackets_the_mean_and_narrows_with_more_problems() -> None:
    """Half right: the standard error is 0.5 / sqrt(n), so 100x the problems gives about a tenth the width."""
    widths = []
    for n in (20, 2000):
        low, high = bootstrap_ci([1, 0] * (n // 2), seed=0)
        assert low < 0.5 < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 5
    assert widths[1] == pytest.approx(2 * 1.96 * 0.5 / np.sqrt(2000), rel=0.15)


def test_coverage_is_close_to_the_level() -> None:
    """Over 200 data sets of 150 Bernoulli(0.3) outcomes the 95% interval holds 0.3 in about 95% of
    them; allow 88-99% (the binomial spread of 200 trials plus the percentile method's small bias)."""
    rng = np.random.default_rng(123)
    covered = 0
    for trial in range(200):
        outcomes = (rng.random(150) < 0.3).astype(float)
        low, high = bootstrap_ci(outcomes, resamples=500, seed=trial)
        covered += low <= 0.3 <= high
    assert 0.88 <= covered / 200 <= 0.99


def test_resampling_in_blocks_matches_any_number_of_resamples() -> None:
    """Many problems force several index blocks; the interval still brackets the mean."""
    outcomes = [1, 0, 0, 0] * 2000  # 8000 problems: 131 resamples per block
    low, high = bootstrap_ci(outcomes, resamples=300, seed=0)
    assert low < 0.25 < high and high - low < 0.03


@pytest.mark.parametrize(("a", "b", "message"), [
    ([1, 0], [1], "a has 2 outcomes and b has 1"),
    ([], [], "a: need a non-empty"),
])
def test_bad_pairs_are_refused(a: list[int], b: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paired_bootstrap_diff(a, b)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="outcomes: need a non-empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="level must be in"):
        bootstrap_ci([1, 0], level=95)
    with pytest.raises(ValueError, match="resamples must be >= 1"):
        bootstrap_ci([1, 0], resamples=0)

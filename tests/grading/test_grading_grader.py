"""The Grader object: public API, settings, caches, pickling and the module-level functions."""

from __future__ import annotations

import pickle

import pytest

import mathft.grading as grading
from mathft.grading import Grader, GraderStats, default_grader


def test_public_api_is_exported() -> None:
    for name in ("extract_answer", "normalize_answer", "is_equivalent", "cluster_answers", "Grader",
                 "GraderStats", "default_grader"):
        assert name in grading.__all__ and hasattr(grading, name)


def test_module_functions_use_one_lazy_default_grader() -> None:
    assert default_grader() is default_grader()
    before = default_grader().stats.comparisons
    assert grading.is_equivalent("\\frac{3}{4}", "0.75")
    assert default_grader().stats.comparisons == before + 1


def test_methods_match_module_functions() -> None:
    text = "We get $\\boxed{\\dfrac{3}{4}}$."
    with Grader() as grader:
        assert grader.extract_answer(text) == grading.extract_answer(text) == "\\dfrac{3}{4}"
        assert grader.normalize_answer("\\dfrac{3}{4}") == grading.normalize_answer("\\dfrac{3}{4}") == "\\frac{3}{4}"


def test_stats_is_a_snapshot_dataclass() -> None:
    with Grader() as grader:
        snapshot = grader.stats
        grader.is_equivalent("1", "2")
        assert isinstance(snapshot, GraderStats) and snapshot.comparisons == 0
        assert grader.stats.comparisons == 1


def test_cache_hits_are_counted_and_keep_the_verdict() -> None:
    with Grader() as grader:
        assert grader.is_equivalent("\\sqrt{8}", "2\\sqrt{2}")
        assert grader.is_equivalent("\\sqrt{8}", "2\\sqrt{2}")
        assert grader.stats.cache_hits == 1


def test_tiny_cache_still_grades_correctly() -> None:
    with Grader(cache_size=1) as grader:
        pairs = [("1/2", "0.5", True), ("1/3", "0.5", False), ("(1,2)", "(1, 2)", True)] * 3
        assert [grader.is_equivalent(g, p) for g, p, _ in pairs] == [e for *_, e in pairs]


@pytest.mark.parametrize(
    "settings", [{"timeout_s": 0}, {"max_length": 0}, {"cache_size": -1}, {"num_workers": 0}]
)
def test_invalid_settings_are_named(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Grader(**settings)


def test_pickles_with_its_settings_only() -> None:
    """Spawned DataLoader workers receive a copy: settings travel, processes and caches do not."""
    with Grader(timeout_s=3.5, max_length=77) as grader:
        grader.is_equivalent("1", "1.0")
        copy = pickle.loads(pickle.dumps(grader))
    assert (copy.timeout_s, copy.max_length) == (3.5, 77)
    assert copy.stats.comparisons == 0
    assert copy.is_equivalent("\\frac{1}{2}", "0.5")
    copy.close()


def test_numbers_from_json_are_accepted() -> None:
    with Grader() as grader:
        assert grader.is_equivalent(5, "5.0")  # type: ignore[arg-type]
        assert grader.is_equivalent("0.5", 0.5)  # type: ignore[arg-type]


def test_none_gold_is_not_equal() -> None:
    with Grader() as grader:
        assert grader.is_equivalent(None, "5") is False  # type: ignore[arg-type]


def test_threads_share_one_grader() -> None:
    """Caches and counters are thread-safe: eight threads get the same verdicts as one."""
    import threading

    pairs = [("\\frac{1}{2}", "0.5"), ("(1,2)", "(2,1)"), ("\\sqrt{8}", "2\\sqrt{2}"), ("x^2-1", "(x-1)(x+1)"),
             ("3", "4"), ("[2,5)", "(2,5)")] * 20
    expected = [True, False, True, True, False, False] * 20
    with Grader(cache_size=7) as grader:  # a tiny cache forces concurrent evictions
        results: list[list[bool]] = []
        threads = [threading.Thread(target=lambda: results.append([grader.is_equivalent(*p) for p in pairs]))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert results == [expected] * 8
        assert grader.stats.comparisons == 8 * len(pairs)

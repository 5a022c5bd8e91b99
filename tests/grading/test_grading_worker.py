"""The symbolic worker: verdicts, hard deadlines from any thread or process, counters, no leaks."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest

from mathft.grading import Grader
from mathft.grading.sandbox import WorkerPool

# Needs the worker: the fast path cannot prove a trigonometric identity, and numbers agree everywhere.
NEEDS_WORKER = ("\\sin^2 x + \\cos^2 x + \\sin^4 x \\cos^2 x", "1 + \\sin^4 x - \\sin^6 x")
# Needs the worker and keeps sympy busy for over a second: a deadline of 0.2 s must cut it.
SLOW_FOR_THE_WORKER = ("(\\sin x + \\cos x)^{20}", "(1 + \\sin 2x)^{10}")
TINY_TIMEOUT_S = 0.2


def _timed_out_comparison() -> tuple[bool, int, int, float]:
    with Grader(timeout_s=TINY_TIMEOUT_S) as grader:
        grader.warm_up()  # starting the worker is not part of the deadline
        start = time.perf_counter()
        verdict = grader.is_equivalent(*SLOW_FOR_THE_WORKER)
        elapsed = time.perf_counter() - start
        stats = grader.stats
    return verdict, stats.timeouts, stats.worker_calls, elapsed


def test_worker_proves_what_the_fast_path_cannot(grader: Grader) -> None:
    before = grader.stats.worker_calls
    assert grader.is_equivalent(*NEEDS_WORKER) is True
    assert grader.is_equivalent("\\tan x", "\\frac{\\sin x}{\\cos x}") is True
    assert grader.stats.worker_calls > before


def test_timeout_counts_and_returns_false() -> None:
    verdict, timeouts, calls, elapsed = _timed_out_comparison()
    assert (verdict, timeouts, calls) == (False, 1, 1)
    assert elapsed < TINY_TIMEOUT_S + 1.5


def test_timeout_from_a_non_main_thread() -> None:
    results: list[tuple[bool, int, int, float]] = []
    thread = threading.Thread(target=lambda: results.append(_timed_out_comparison()))
    thread.start()
    thread.join(timeout=120)
    assert results and results[0][:3] == (False, 1, 1)
    assert results[0][3] < TINY_TIMEOUT_S + 1.5


def _child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(_timed_out_comparison())


def test_timeout_inside_a_daemonic_process() -> None:
    """Like a DataLoader worker: daemonic processes cannot have multiprocessing children, Popen works."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,), daemon=True)
    child.start()
    result = queue.get(timeout=120)
    child.join(timeout=30)
    assert result[:3] == (False, 1, 1)
    assert result[3] < TINY_TIMEOUT_S + 1.5


def _forked_child(grader: Grader, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put((grader.is_equivalent("\\tan x", "\\frac{\\sin x}{\\cos x}"),))


def test_forked_child_starts_its_own_worker(grader: Grader) -> None:
    """After fork the child must not talk to the parent's worker; the parent's keeps working."""
    assert grader.is_equivalent("\\cos^2 x", "1 - \\sin^2 x") is True  # the parent's worker is running
    parent_worker = grader._pool._idle[0].proc.pid
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_forked_child, args=(grader, queue), daemon=True)
    child.start()
    assert queue.get(timeout=120)[0] is True
    child.join(timeout=30)
    assert grader._pool._idle[0].proc.pid == parent_worker
    assert grader.is_equivalent("\\sin 2x", "2 \\sin x \\cos x") is True


def test_counters_move() -> None:
    with Grader() as fresh:
        fresh.is_equivalent("1/2", "0.5")
        fresh.is_equivalent("1/2", "0.5")
        fresh.is_equivalent("1/2", "a \\to b")  # outside the parser: compared as a string
        fresh.is_equivalent("1", "\\sin^2 x + \\cos^2 x")
        stats = fresh.stats
    assert stats.comparisons == 4
    assert stats.cache_hits == 1
    assert stats.parse_failures == 1
    assert stats.worker_calls == 1
    assert stats.timeouts == 0


def test_close_stops_the_workers_and_a_later_call_restarts_one() -> None:
    fresh = Grader()
    assert fresh.is_equivalent("1", "\\sin^2 x + \\cos^2 x")
    proc = fresh._pool._idle[0].proc
    fresh.close()
    assert proc.poll() is not None
    assert fresh.is_equivalent("\\cos^2 x", "1 - \\sin^2 x")
    fresh.close()


def test_pool_serves_concurrent_threads() -> None:
    pool = WorkerPool(size=2)
    request = {"a": ["func", "tan", ["sym", "x"]],
               "b": ["div", None, ["func", "sin", ["sym", "x"]], ["func", "cos", ["sym", "x"]]]}
    replies: list[object] = []
    threads = [threading.Thread(target=lambda: replies.append(pool.request(request, 30.0))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    pool.close()
    assert [r["equal"] for r in replies] == [True] * 4  # type: ignore[index]


def test_dead_worker_is_replaced() -> None:
    with Grader() as fresh:
        assert fresh.is_equivalent("1", "\\sin^2 x + \\cos^2 x")
        os.kill(fresh._pool._idle[0].proc.pid, 9)
        time.sleep(0.1)
        assert fresh.is_equivalent("\\cos^2 x", "1 - \\sin^2 x")


@pytest.mark.parametrize("size", [0, -1])
def test_pool_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        WorkerPool(size=size)


def test_one_deadline_for_a_whole_decision() -> None:
    """Five element pairs that each keep the worker busy share one timeout_s, not five of them."""
    slow_gold, slow_pred = SLOW_FOR_THE_WORKER
    gold = ", ".join(f"{slow_gold} + {k}" for k in range(5))
    pred = ", ".join(f"{slow_pred} + {k}" for k in range(5))
    with Grader(timeout_s=0.3) as fresh:
        fresh.warm_up()
        start = time.perf_counter()
        assert fresh.is_equivalent(gold, pred) is False
        assert time.perf_counter() - start < 0.3 + 1.5
        assert fresh.stats.timeouts >= 1


def test_generous_limit_lets_the_slow_identity_through(grader: Grader) -> None:
    """The same comparison that times out above is proved when the limit allows it."""
    assert grader.is_equivalent(*SLOW_FOR_THE_WORKER) is True

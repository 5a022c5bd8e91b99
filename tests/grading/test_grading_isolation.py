"""The symbolic worker: isolated from the caller's directory, bounded by the caller's deadline even when
every worker is busy, and gone as soon as its parent is."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mathft.grading import Grader
from mathft.grading.sandbox import QueueTimeout, WorkerPool, _trusted_paths

ROOT = Path(__file__).resolve().parents[2]
# Keep sympy busy for seconds (measured on 2 cores: 2.9 s idle, 6.7 s loaded; 9.1 s idle for the second),
# far past a 0.5 s limit, and long enough to see whether the worker outlives its parent while computing.
VERY_SLOW = ("(\\sin x + \\cos x)^{40}", "(1 + \\sin 2x)^{20}")
LONG_RUNNING = ("(\\sin x + \\cos x)^{60}", "(1 + \\sin 2x)^{30}")


def test_a_sympy_module_in_the_current_directory_is_never_imported(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m`` would put the current directory first on the worker's sys.path: a ``sympy.py`` there
    would run with the grader's privileges. It must never be imported (the marker file stays absent)."""
    marker = tmp_path / "imported"
    (tmp_path / "sympy.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('hijacked')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([".", str(tmp_path)]))  # the directory again, twice
    with Grader() as fresh:
        assert fresh.is_equivalent("1", "\\sin^2 x + \\cos^2 x") is True
        assert fresh.stats.worker_calls == 1
    assert not marker.exists()


def test_only_absolute_pythonpath_entries_outside_the_current_directory_are_passed_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(elsewhere), ".", "relative/dir", str(tmp_path), ""]))
    assert _trusted_paths() == [str(elsewhere)]


def test_waiting_for_a_busy_worker_counts_in_the_deadline() -> None:
    """Eight threads, one worker, each call needing seconds of sympy: with the wait in the queue counted,
    every call returns near ``timeout_s`` (plus at most one worker start, which is not counted); without it
    the last would wait for seven others, each timeout plus a restart."""
    timeout_s = 0.5
    pairs = [(f"{VERY_SLOW[0]} + {k}", f"{VERY_SLOW[1]} + {k}") for k in range(8)]
    elapsed: list[float] = []
    verdicts: list[bool] = []
    with Grader(timeout_s=timeout_s, num_workers=1) as grader:
        start = time.perf_counter()
        grader.warm_up()
        startup_s = time.perf_counter() - start

        def call(gold: str, pred: str) -> None:
            began = time.perf_counter()
            verdicts.append(grader.is_equivalent(gold, pred))
            elapsed.append(time.perf_counter() - began)

        threads = [threading.Thread(target=call, args=pair) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        stats = grader.stats
    assert verdicts == [False] * 8  # every call ran out of time (the pairs are equal, but too slow to prove)
    # Generous slack for a loaded machine; without the queue wait counted the last call takes about
    # 8 * timeout_s + 7 worker restarts, well above this bound.
    assert max(elapsed) < timeout_s + 3 * startup_s + 2.0, (elapsed, startup_s)
    assert stats.timeouts == 8  # seven waited out in the queue, one in the worker


def test_a_request_that_never_reaches_a_worker_raises_queue_timeout() -> None:
    pool = WorkerPool(size=1)
    pool.start()
    busy = pool._idle.pop()  # hold the only worker as a concurrent request would
    try:
        start = time.perf_counter()
        with pytest.raises(QueueTimeout):
            pool.request({"a": ["num", 1, 1], "b": ["num", 1, 1]}, 0.3)
        assert 0.25 < time.perf_counter() - start < 1.5
    finally:
        pool._release(busy)
        pool.close()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped by init has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


_PARENT = """
import sys, threading, time
sys.path.insert(0, {root!r})
from mathft.grading.ast import to_data
from mathft.grading.compare import prepare
from mathft.grading.parser import parse
from mathft.grading.sandbox import WorkerPool

pool = WorkerPool(1)
pool.start()
print(pool._idle[0].proc.pid, flush=True)
if {busy!r}:
    request = {{"a": to_data(prepare(parse({a!r}))), "b": to_data(prepare(parse({b!r})))}}
    threading.Thread(target=pool.request, args=(request, 600.0), daemon=True).start()
    time.sleep(1.0)  # the worker is now deep inside sympy
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the worker's state")
@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
def test_the_worker_dies_with_its_parent(busy: bool) -> None:
    """SIGKILL leaves the parent no chance to clean up; the worker must notice by itself, even mid-sympy."""
    script = _PARENT.format(root=str(ROOT), busy=busy, a=LONG_RUNNING[0], b=LONG_RUNNING[1])
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert parent.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        assert _alive(worker)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 3.0  # the watchdog polls every 0.2 s; sympy would need ~8 s more
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(worker):
        os.kill(worker, 9)  # do not leak it into the rest of the run
        pytest.fail(f"worker {worker} outlived its parent")

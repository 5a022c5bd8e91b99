"""Two writers on one store: the second fails at once, naming the first's pid and host; the store is intact."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathft.data.store import CandidateStore
from tests.faults.conftest import ROOT, run_cli, sample_args, snapshot

pytestmark = pytest.mark.faults

# Takes a lock as another process would and holds it until its stdin closes.
_HOLDER = """
import sys
from mathft.data.store_lock import StoreLock
with StoreLock(sys.argv[1], "test holder"):
    print("locked", flush=True)
    sys.stdin.read()
"""


def _hold(lock: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(timeout=30)


def _holder_named(err: str, holder: subprocess.Popen) -> bool:
    return f"pid {holder.pid} on host {socket.gethostname()}" in err and "another writer is using it" in err


def test_second_sample_fails_at_once(tiny_backbone_dir, problem_file, store, capsys):
    before = snapshot(store)
    holder = _hold(store / "shard-00000.lock")
    try:
        start = time.perf_counter()
        status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, store, "--limit", "4"))
        seconds = time.perf_counter() - start
    finally:
        _release(holder)
    assert status == 2 and _holder_named(err, holder) and "Traceback" not in err
    assert seconds < 5  # before the model loads or a problem is read
    assert snapshot(store) == before


def test_second_score_fails_at_once(tiny_backbone_dir, store, capsys):
    before = snapshot(store)
    holder = _hold(store / "scores" / "other" / "shard-00000.lock")
    try:
        status, err = run_cli(capsys, "score", "--model", str(tiny_backbone_dir), "--store", str(store), "--name",
                              "other", "--no-progress")
    finally:
        _release(holder)
    assert status == 2 and _holder_named(err, holder)
    assert snapshot(store) == before


def test_second_pipeline_on_one_out_fails_at_once(tmp_path, capsys):
    out = tmp_path / "run"
    holder = _hold(out / ".pipeline-rank00000.lock")
    try:
        status, err = run_cli(capsys, "pipeline", "--config", str(ROOT / "configs" / "pipeline" / "micro.yaml"),
                              "--out", str(out))
    finally:
        _release(holder)
    assert status == 2 and _holder_named(err, holder)
    assert sorted(p.name for p in out.iterdir()) == [".pipeline-rank00000.lock"]  # no stage started


def test_two_real_sample_runs(tiny_backbone_dir, problem_file, tmp_path, capsys):
    """A real ``mathft sample`` stopped (SIGSTOP) while it holds the lock: a second one on the same store
    fails; the first, continued, finishes; the store holds each candidate once, as one clean run."""
    out, clean = tmp_path / "store", tmp_path / "clean"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen([sys.executable, "-m", "mathft", *sample_args(tiny_backbone_dir, problem_file, out)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lock = out / "shard-00000.lock"
    deadline = time.monotonic() + 120
    while first.poll() is None and time.monotonic() < deadline and not _holds(lock, first.pid):
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGSTOP)
    try:
        status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, out))
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err.decode()[-2000:]
    assert status == 2 and f"pid {first.pid} on host" in err
    assert run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, clean))[0] == 0
    lines = CandidateStore(out).path.read_text().splitlines()
    assert len(lines) == 3 * 3  # 3 problems x (2 samples + greedy): nothing doubled
    assert sorted(lines) == sorted(CandidateStore(clean).path.read_text().splitlines())


def _holds(lock: Path, pid: int) -> bool:
    try:
        return json.loads(lock.read_text()).get("pid") == pid
    except (OSError, ValueError):
        return False

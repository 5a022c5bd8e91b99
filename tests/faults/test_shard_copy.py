"""A scoring stage killed while it copies the sampling stage's shards resumes with whole copies only.

Before the fix, the kill left a partial shard that the resumed stage accepted: re-ranking then ran on
9 of 24 problems and exited 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mathft.data.store import CandidateStore
from mathft.pipeline.sampling import _copy_shards, run_scoring
from mathft.pipeline.stages import StageContext
from mathft.sampling.score_shards import load_scored
from tests.faults.conftest import ROOT, snapshot

pytestmark = pytest.mark.faults

# Copies like the scoring stage does, but SIGKILLs itself after half of the second shard's bytes.
_KILLED_COPY = """
import os, shutil, signal, sys
from pathlib import Path
import mathft.atomic
from mathft.pipeline.sampling import _copy_shards

real, calls = shutil.copyfileobj, []

def copy_then_die(source, target, length=0):
    calls.append(1)
    if len(calls) < 3:  # fingerprint.json, then the first shard: whole
        return real(source, target, length)
    data = source.read()
    target.write(data[: len(data) // 2])
    target.flush()
    os.fsync(target.fileno())
    os.kill(os.getpid(), signal.SIGKILL)

mathft.atomic.shutil.copyfileobj = copy_then_die
_copy_shards(sys.argv[1], Path(sys.argv[2]))
"""


@pytest.fixture
def two_shards(store: Path) -> Path:
    """The sampled store with its records split over two rank shards (as two ranks would write them)."""
    shard = store / "shard-00000.jsonl"
    lines = shard.read_text().splitlines(keepends=True)
    shard.write_text("".join(lines[:4]))
    (store / "shard-00001.jsonl").write_text("".join(lines[4:]))
    return store


def _killed_copy(source: Path, target: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _KILLED_COPY, str(source), str(target)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


def _copied(store: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(store).items() if not k.startswith("scores")}


def test_kill_during_copy_leaves_no_partial_shard(two_shards, tmp_path):
    target = tmp_path / "copy"
    source_before = snapshot(two_shards)
    _killed_copy(two_shards, target)
    assert sorted(p.name for p in target.glob("shard-*.jsonl")) == ["shard-00000.jsonl"]  # the torn one is absent
    assert (target / "shard-00000.jsonl").read_bytes() == (two_shards / "shard-00000.jsonl").read_bytes()
    _copy_shards(str(two_shards), target)  # the resumed stage
    assert snapshot(target) == _copied(two_shards)  # every shard whole, no temporary file left
    assert snapshot(two_shards) == source_before


def test_partial_copy_of_an_older_version_is_replaced(two_shards, tmp_path):
    """A copy cut short by the old non-atomic code (same name, fewer bytes) is copied again."""
    target = tmp_path / "copy"
    target.mkdir()
    whole = (two_shards / "shard-00001.jsonl").read_bytes()
    (target / "shard-00001.jsonl").write_bytes(whole[: len(whole) // 3])
    _copy_shards(str(two_shards), target)
    assert snapshot(target) == _copied(two_shards)


def test_resumed_scoring_stage_scores_every_problem(two_shards, tiny_backbone_dir, tmp_path):
    """The issue's scenario end to end: kill mid-copy, resume the stage; every problem is scored."""
    stage = tmp_path / "score_margin"
    stage.mkdir()
    _killed_copy(two_shards, stage / "store")
    ctx = StageContext("score_margin", stage, tmp_path, {}, {})
    result = run_scoring(ctx, evaluator_dir=str(tiny_backbone_dir), source_store=str(two_shards), name="margin",
                         max_length=256, batch_size=8)
    records = load_scored(result["outputs"]["store"], name="margin")
    assert {r.problem_id for r in records} == {r.problem_id for r in CandidateStore(two_shards).records()}
    assert len(records) == len(list(CandidateStore(two_shards).records())) == 9
    assert all(r.score is not None for r in records)

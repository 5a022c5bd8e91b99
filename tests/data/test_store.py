"""The candidate store: append-only per-rank shards, resume, and survival of a writer killed mid-line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from mathft.data.store import CandidateStore, load_candidates, read_shard
from mathft.records import CandidateRecord, RecordError


def _records(problem: str, indices: range, greedy: bool = False) -> list[CandidateRecord]:
    return [
        CandidateRecord(problem_id=problem, gold="4", text=f"sample {i} $\\boxed{{{i}}}$", answer=str(i), sample_idx=i,
                        greedy=greedy, problem="What is $2+2$?")
        for i in indices
    ]


def test_append_read_and_done_across_shards(tmp_path):
    CandidateStore(tmp_path, rank=0).append(_records("p1", range(3)), extra={"model": "tiny", "temperature": 0.7})
    CandidateStore(tmp_path, rank=1).append(_records("p2", range(2)) + _records("p2", range(1), greedy=True))
    store = CandidateStore(tmp_path, rank=3)  # a resumed run with another world size still sees everything
    assert [p.name for p in store.shards()] == ["shard-00000.jsonl", "shard-00001.jsonl"]
    assert store.done() == {("p1", 0), ("p1", 1), ("p1", 2), ("p2", 0), ("p2", 1)}
    assert store.done(greedy=True) == {("p2", 0)}
    first = next(store.records())
    assert first.meta == {"model": "tiny", "temperature": 0.7} and first.answer == "0"
    assert len(load_candidates(tmp_path)) == 6
    assert len(load_candidates(tmp_path / "shard-00000.jsonl")) == 3


def test_torn_last_line_is_dropped_then_truncated_before_append(tmp_path, caplog):
    store = CandidateStore(tmp_path)
    store.append(_records("p1", range(2)))
    with store.path.open("a") as handle:
        handle.write('{"problem_id": "p1", "gold": "4", "text": "sample 2 $\\\\bo')  # killed mid-line
    assert [r.sample_idx for r in read_shard(store.path)] == [0, 1]
    assert "torn last line" in caplog.text
    store.append(_records("p1", range(2, 4)))
    lines = store.path.read_text().splitlines()
    assert len(lines) == 4 and all(line.endswith("}") for line in lines)  # nothing glued onto the torn part
    assert store.done() == {("p1", i) for i in range(4)}


def test_corrupt_complete_line_is_an_error_naming_file_and_line(tmp_path):
    store = CandidateStore(tmp_path)
    store.append(_records("p1", range(1)))
    with store.path.open("a") as handle:
        handle.write('{"problem_id": "p1", "gold": "4", "sample_idx": "one", "answer": "1"}\n')
    with pytest.raises(RecordError, match=r"shard-00000.jsonl:2: field 'sample_idx'"):
        list(store.records())


def test_duplicate_candidates_keep_the_first(tmp_path):
    CandidateStore(tmp_path, rank=0).append(_records("p1", range(2)))
    CandidateStore(tmp_path, rank=1).append(_records("p1", range(1, 3)))
    assert [r.sample_idx for r in CandidateStore(tmp_path).records()] == [0, 1, 2]


_WRITER = textwrap.dedent(
    """
    import sys, time
    from mathft.data.store import CandidateStore
    from mathft.records import CandidateRecord
    store = CandidateStore(sys.argv[1], rank=2)
    for batch in range(3):
        store.append([CandidateRecord(problem_id=f"p{batch}", gold="1", answer="1", sample_idx=i) for i in range(4)])
    # Half of the next batch reaches the file, then the process is killed.
    with store.path.open("a") as handle:
        handle.write('{"problem_id": "p3", "gold": "1", "answer": "1", "sam')
        handle.flush()
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_store_survives_a_killed_writer(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = CandidateStore(tmp_path, rank=2)
    assert store.done() == {(f"p{b}", i) for b in range(3) for i in range(4)}
    # Resume: only the missing pairs are sampled again and appended after the repaired shard.
    todo = [CandidateRecord(problem_id="p3", gold="1", answer="1", sample_idx=i) for i in range(4)]
    store.append([r for r in todo if (r.problem_id, r.sample_idx) not in store.done()])
    assert len(store.done()) == 16 and len(store.path.read_text().splitlines()) == 16

"""``mathft sample`` and ``mathft score`` end to end: kill and resume, torchrun-style ranks, errors, rerank."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mathft.cli import main as mathft_main
from mathft.data.store import CandidateStore

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ["--num-samples", "4", "--max-new-tokens", "24", "--batch-size", "16", "--no-progress"]


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread here and in the subprocess: the same float results in both, and on a shared CPU
    no thread spin-waiting on a busy core (that makes the tiny model tens of times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def problem_file(tmp_path_factory) -> Path:
    """Eight synthetic test problems (MATH style)."""
    from mathft.data.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("problems"), n_train=8, n_test=8)["test.math"]


def _args(model: Path, problems: Path, out: Path, *extra: str) -> list[str]:
    return ["sample", "--model", str(model), "--problems", str(problems), "--out", str(out), *SETTINGS, *extra]


def _texts(directory: Path) -> dict[tuple[str, int, bool], str]:
    records = list(CandidateStore(directory).records())
    texts = {(r.problem_id, r.sample_idx, r.greedy): r.text for r in records}
    assert len(texts) == len(records)  # every (problem, sample) exactly once
    return texts


def test_killed_run_resumes_to_the_uninterrupted_result(tiny_backbone_dir, problem_file, tmp_path):
    """SIGKILL once the first chunk (one problem) is on disk, rerun: same keys and texts as one clean run."""
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    args = _args(tiny_backbone_dir, problem_file, killed, "--chunk-size", "1", "--greedy", "--max-new-tokens", "48")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "mathft", *args], env=env, stderr=subprocess.PIPE)
    shard = killed / "shard-00000.jsonl"
    deadline = time.monotonic() + 120
    while not (shard.exists() and shard.stat().st_size) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, err.decode()[-2000:]
    assert 0 < len(_texts(killed)) < 8 * 5
    assert mathft_main(args) == 0
    assert mathft_main(_args(tiny_backbone_dir, problem_file, clean, "--greedy", "--max-new-tokens", "48")) == 0
    assert len(_texts(clean)) == 8 * 5 and _texts(killed) == _texts(clean)


def test_torchrun_ranks_equal_one_process(tiny_backbone_dir, problem_file, tmp_path, monkeypatch, capsys):
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    assert mathft_main(_args(tiny_backbone_dir, problem_file, single)) == 0
    for rank in (1, 0):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("LOCAL_RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        assert mathft_main(_args(tiny_backbone_dir, problem_file, sharded)) == 0
    assert sorted(p.name for p in sharded.glob("shard-*.jsonl")) == ["shard-00000.jsonl", "shard-00001.jsonl"]
    assert _texts(sharded) == _texts(single)
    out = capsys.readouterr().out
    assert "rank 0/2:" in out and "store: 8 problems, 32 samples, mean correctness" in out


def test_errors_name_what_to_fix(tiny_backbone_dir, problem_file, tmp_path, capsys):
    """Exit 2 and a one-line message, never a traceback."""
    assert mathft_main(_args(tmp_path / "nope", problem_file, tmp_path / "s")) == 2
    assert "--model" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(problem_file.read_text().splitlines()[0] + "\n{not json\n")
    assert mathft_main(_args(tiny_backbone_dir, bad, tmp_path / "s")) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "Traceback" not in err
    assert mathft_main(["score", "--model", str(tiny_backbone_dir), "--store", str(tmp_path / "none")]) == 2
    assert "not a candidate store" in capsys.readouterr().err


def test_score_then_rerank_a_store_directory(tiny_backbone_dir, problem_file, tmp_path, capsys):
    store = tmp_path / "store"
    assert mathft_main(_args(tiny_backbone_dir, problem_file, store, "--limit", "3", "--greedy")) == 0
    score = ["score", "--model", str(tiny_backbone_dir), "--store", str(store), "--batch-size", "5", "--no-progress"]
    assert mathft_main(score) == 0
    assert mathft_main(score) == 0  # resumed: nothing left to score
    assert "scored 0 of 15 candidates, skipped 15 already scored" in capsys.readouterr().out
    assert len((store / "scores" / "score" / "shard-00000.jsonl").read_text().splitlines()) == 15
    report = tmp_path / "report.json"
    assert mathft_main(["rerank", "--candidates", str(store), "--scores", "score", "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert (result["num_problems"], result["num_candidates"]) == (3, 15)
    assert {"rr_all", "w_rr", "maj1_topN"} <= set(result["metrics"])
    assert mathft_main(["rerank", "--candidates", str(store), "--scores", "other"]) == 2
    assert "no evaluator scores named 'other' (scores found: score)" in capsys.readouterr().err

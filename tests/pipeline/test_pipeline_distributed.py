"""The micro pipeline under ``torchrun --nproc_per_node=2`` (CPU, gloo): shards, markers, report, resume.

What must equal a single-process run and what cannot: the training stages run DDP over both ranks, so
each optimizer step averages two ranks' batches (2 x ``batch_size`` sequences, split by Lightning's
distributed sampler) and the trained weights differ from a one-process run. So the report's numbers
differ too. What must match is everything downstream of a given model: sampling draws each
``(problem, sample)`` from its own seed whatever the number of ranks, so re-sampling the distributed
run's generator in one process must give the same store, the same Table 2 row, and (the evaluators being
the same files) the same re-ranking tables; the scores agree up to float rounding of other batchings.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mathft.pipeline import build_stages, load_config, run_pipeline
from mathft.sampling.sharding import owner_rank
from mathft.selection.verdicts import STRATEGY_NAMES
from tests.conftest import CONFIGS

MICRO = CONFIGS / "pipeline" / "micro.yaml"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 240  # the run takes ~15 s on 2 shared cores; this only bounds a hang

pytestmark = pytest.mark.distributed


def _torchrun_pipeline(out: Path, *overrides: str) -> subprocess.CompletedProcess:
    """Run the micro pipeline on 2 ranks; kill the whole process group if it outlives ``TIMEOUT_S``."""
    env = {k: v for k, v in os.environ.items() if k not in {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                                             "MASTER_PORT", "LOCAL_WORLD_SIZE"}}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    # --dist-timeout: a rank whose peer died fails after 2 minutes instead of waiting forever.
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "mathft",
           "pipeline", "--config", str(MICRO), "--out", str(out), "--dist-timeout", "2",
           *overrides]
    # A new session, so that a timeout kills torchrun and both workers, not torchrun alone.
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"torchrun pipeline still running after {TIMEOUT_S}s; stderr tail:\n{stderr[-4000:]}")
    finally:
        if proc.poll() is None:  # an error in the test itself (e.g. KeyboardInterrupt): leave no process behind
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("micro_ddp")
    return out, _torchrun_pipeline(out)


def _store_rows(store: Path) -> dict[Path, list[dict]]:
    return {shard: [json.loads(line) for line in shard.read_text().splitlines()]
            for shard in sorted(store.glob("shard-*.jsonl"))}


def _key(row: dict) -> tuple[str, int, bool]:
    return row["problem_id"], row["sample_idx"], bool(row.get("greedy"))


def _scores(store: Path, name: str) -> dict[tuple[str, int, bool], float]:
    rows = [json.loads(line) for shard in (store / "scores" / name).glob("shard-*.jsonl")
            for line in shard.read_text().splitlines()]
    return {_key(r): r["score"] for r in rows}


def test_exits_zero_and_writes_every_marker_and_table(ddp_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, proc = ddp_run
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.count("mathft pipeline: finished") == 1  # rank 0 alone prints the summary
    for stage in build_stages(load_config(MICRO)):
        assert json.loads((out / stage.name / "done.json").read_text())["stage"] == stage.name
    report = json.loads((out / "report.json").read_text())
    assert set(report["table2"]) == {"math", "prm800k"}
    assert all(row["num_problems"] == 6 and row["num_samples"] == 4 for row in report["table2"].values())
    assert set(report["table3"]) == {"margin", "xent"}
    for table in report["table4"].values():
        assert set(table["accuracy"]) == set(STRATEGY_NAMES)
    assert set(report["table7"]) == {"ssft", "multitask"}
    for figures in report["figures"].values():
        assert all((out / path).read_bytes()[:4] == b"\x89PNG" for path in figures.values())


def test_each_candidate_is_sampled_once_by_its_owner(ddp_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    """6 test problems x (4 samples + greedy) = 30 records, split by problem-id hash over the 2 shards."""
    out, _ = ddp_run
    shards = _store_rows(out / "sample_test_math" / "store")
    assert [p.name for p in shards] == ["shard-00000.jsonl", "shard-00001.jsonl"]
    keys = [_key(row) for rows in shards.values() for row in rows]
    assert len(keys) == len(set(keys)) == 30
    for rank, rows in enumerate(shards.values()):
        assert rows and {owner_rank(row["problem_id"], 2) for row in rows} == {rank}
    # The marker's counts add both ranks' work, not rank 0's alone.
    assert json.loads((out / "sample_test_math" / "done.json").read_text())["metrics"]["samples_written"] == 30
    assert json.loads((out / "score_margin" / "done.json").read_text())["metrics"]["scored"] == 30


def test_resampling_in_one_process_gives_the_same_store_and_tables(
        ddp_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path) -> None:
    """Re-run ``sample_test_math`` (and what depends on it) in this process on a copy of the 2-rank run."""
    out, _ = ddp_run
    single = tmp_path / "single"
    shutil.copytree(out, single)
    shutil.rmtree(single / "sample_test_math")
    markers = run_pipeline(load_config(MICRO), single)
    assert not markers["sample_test_math"]["skipped"] and markers["generator_math"]["skipped"]

    def rows(root: Path) -> dict:
        # The copy samples its own generator (same weights), so the rows name the model under its own folder.
        own = str(root.resolve())
        return {_key(r): {**r, "model": r["model"].replace(own, "<run>")}
                for shard in _store_rows(root / "sample_test_math" / "store").values() for r in shard}

    assert rows(single) == rows(out)
    for loss in ("margin", "xent"):
        ddp, one = _scores(out / f"score_{loss}" / "store", loss), _scores(single / f"score_{loss}" / "store", loss)
        assert one.keys() == ddp.keys()
        assert one == pytest.approx(ddp, abs=1e-5)  # other batch compositions: other float rounding
    ddp_report, one_report = (json.loads((root / "report.json").read_text()) for root in (out, single))
    for table in ("table2", "table3", "table4", "table7"):
        assert one_report[table] == ddp_report[table], table


def test_rerun_skips_every_finished_stage_on_every_rank(ddp_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    """Rank 0's skip decisions are broadcast: a second 2-rank run runs only the report."""
    out, _ = ddp_run
    before = {s.name: json.loads((out / s.name / "done.json").read_text())["run_id"]
              for s in build_stages(load_config(MICRO)) if s.name != "report"}
    proc = _torchrun_pipeline(out)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "(1 stages run)" in proc.stdout
    after = {name: json.loads((out / name / "done.json").read_text())["run_id"] for name in before}
    assert after == before


def test_a_failing_rank_zero_stage_stops_every_rank_with_its_message(tmp_path: Path) -> None:
    """The data stage runs on rank 0 alone; its error reaches rank 1 at once instead of a 2-minute timeout."""
    proc = _torchrun_pipeline(tmp_path, "data.synthetic=false", "data.train_files=[absent.jsonl]",
                              "data.test_files=[absent_test.jsonl]")
    assert proc.returncode != 0
    assert proc.stderr.count("stage 'data' failed") >= 2  # rank 0 and rank 1 both name the stage
    assert "absent.jsonl" in proc.stderr and "Timeout" not in proc.stderr

"""FSDP2 on 2 CPU processes (gloo): SSFT killed with SIGKILL, resumed from the sharded last.ckpt, equals
the uninterrupted run bit for bit (gathered weights), at a mid-epoch step and at an epoch boundary.

19 training problems in batches of 4 make a 5-batch plan, 3 batches per rank (the head repeats), so step
4 is the first batch of epoch 1 and step 6 its end. Each launch ends with a kill, so there are three.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mathft.modules.export import load_checkpoint_state

WORKER = Path(__file__).with_name("fsdp_resume_worker.py")


def _launch(ws: dict[str, Path], out: Path, *phases: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parents[2]), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER),
           str(ws["backbone"]), str(ws["train"]), str(out), *phases]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)


def _meta(out: Path, name: str) -> dict:
    return torch.load(out / name / "checkpoints" / "last.ckpt" / "meta.pt", map_location="cpu", weights_only=False)


@pytest.mark.slow  # three 2-process launches, about a minute on 2 cores: `pytest -m slow` runs it
@pytest.mark.distributed
def test_fsdp2_sigkilled_runs_resume_to_the_uninterrupted_weights(workspace, tmp_path: Path) -> None:
    # Launch 1: the uninterrupted run, then a run killed after step 5 (last.ckpt of step 4, mid-epoch).
    first = _launch(workspace, tmp_path, "straight", "kill:mid:2:5")
    assert first.returncode != 0 and "SIGKILL" in first.stderr, first.stderr[-4000:]
    assert _meta(tmp_path, "mid")["global_step"] == 4
    assert _meta(tmp_path, "mid")["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [{"epoch": 1, "served": 1}]
    # Launch 2: resume it to step 8, then a run killed after step 7 (last.ckpt of step 6, end of epoch 1).
    second = _launch(workspace, tmp_path, "resume:mid:2", "kill:boundary:3:7")
    assert second.returncode != 0 and "SIGKILL" in second.stderr, second.stderr[-4000:]
    assert _meta(tmp_path, "boundary")["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [
        {"epoch": 1, "served": 3}]
    # Launch 3: resume that one.
    third = _launch(workspace, tmp_path, "resume:boundary:3")
    assert third.returncode == 0, third.stderr[-4000:]

    straight = load_checkpoint_state(tmp_path / "straight" / "checkpoints" / "last.ckpt")
    for name in ("mid", "boundary"):
        assert _meta(tmp_path, name)["global_step"] == _meta(tmp_path, "straight")["global_step"] == 8
        resumed = load_checkpoint_state(tmp_path / name / "checkpoints" / "last.ckpt")
        assert straight.keys() == resumed.keys()
        different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
        assert different == [], f"{name}: {different}"

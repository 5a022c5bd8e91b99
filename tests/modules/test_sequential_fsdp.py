"""Sequential multi-task (generator -> evaluator -> generator) under FSDP2 on 2 CPU processes (gloo): the
phases hand on the live sharded weights, and a run SIGKILLed inside phase 2 (or at the phase 1 -> 2
boundary) and resumed with ``ckpt_path="last"`` ends bitwise equal to the uninterrupted run.

Model and data are those of ``test_sequential.py``: 4 optimizer steps per phase, phase i is steps
4i+1..4i+4; ``last.ckpt`` is written after every step. The workers are launched with ``torchrun`` (see
``test_fsdp.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from mathft.modules.sequential import saved_phase
from tests.modules.test_fsdp_resume import _meta
from tests.modules.test_sequential import BUDGET

WORKER = Path(__file__).with_name("sequential_fsdp_worker.py")


def _launch(ws: dict[str, Path], out: Path, *phases: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parents[2]), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER),
           str(ws["backbone"]), str(ws["train"]), str(ws["candidates"]), str(out), *phases]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)


def _full_checkpoint(path: Path) -> dict[str, Any]:
    """Every tensor of a sharded checkpoint (weights and optimizer states), gathered, keyed by its path."""
    from torch.distributed.checkpoint import FileSystemReader
    from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
    from torch.distributed.checkpoint.state_dict_loader import _load_state_dict

    state: dict = {}
    _load_state_dict(state, storage_reader=FileSystemReader(path), planner=_EmptyStateDictLoadPlanner(),
                     no_dist=True)
    flat: dict[str, Any] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}/{k}")
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{key}/{i}")
        else:
            flat[key] = value

    walk(state, "")
    return flat


@pytest.fixture(scope="module")
def straight(workspace, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sequential_fsdp")
    proc = _launch(workspace, out, "straight")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


@pytest.mark.distributed
def test_fsdp2_phases_hand_on_the_sharded_weights(straight: Path) -> None:
    """One sharded backbone for all phases; phase i starts from phase i-1's final weights (gathered full
    state, bit for bit) with a fresh optimizer, and trains them; the ranks train on different batches."""
    summary = json.loads((straight / "straight" / "summary.json").read_text())
    assert summary["sharded"] and summary["one_backbone"]
    assert summary["global_step"] == 3 * BUDGET and summary["phase_starts"] == [0, BUDGET, 2 * BUDGET]
    assert summary["handoff_diff"] == {"1": 0.0, "2": 0.0}
    assert all(diff > 0 for diff in summary["trained_diff"].values())
    assert summary["fresh_optimizer"] == {"0": True, "1": True, "2": True}
    assert summary["batches_per_rank"] == [3 * BUDGET, 3 * BUDGET] and summary["same_batch_steps"] == []
    checkpoints = straight / "straight" / "checkpoints"
    for i, name in enumerate(["generator", "evaluator", "generator_again"]):
        assert len(list((checkpoints / f"{i}_{name}").glob("*.ckpt"))) == 1
    assert saved_phase(checkpoints / "last.ckpt")["phase"] == 2


@pytest.mark.slow  # three more 2-process launches: about 30 s on 2 cores
@pytest.mark.distributed
def test_fsdp2_sigkilled_inside_phase_2_resumes_to_the_uninterrupted_run(workspace, straight: Path) -> None:
    """Killed after step 6 (last.ckpt of step 5, inside phase 2, whose optimizer has a schedule) and after
    step 5 (last.ckpt of step 4, the end of phase 1), resumed with ckpt_path="last": every tensor of the
    final sharded last.ckpt, weights and optimizer states, equals the uninterrupted run's."""
    out = straight
    first = _launch(workspace, out, "kill:mid:6")
    assert first.returncode != 0 and "SIGKILL" in first.stderr, first.stderr[-4000:]
    assert _meta(out, "mid")["global_step"] == BUDGET + 1
    assert saved_phase(out / "mid" / "checkpoints" / "last.ckpt") == {
        "phase": 1, "phase_starts": [0, BUDGET], "names": ["generator", "evaluator", "generator_again"]}
    second = _launch(workspace, out, "resume:mid", "kill:boundary:5")
    assert second.returncode != 0 and "SIGKILL" in second.stderr, second.stderr[-4000:]
    assert _meta(out, "boundary")["global_step"] == BUDGET
    assert saved_phase(out / "boundary" / "checkpoints" / "last.ckpt")["phase"] == 0
    third = _launch(workspace, out, "resume:boundary")
    assert third.returncode == 0, third.stderr[-4000:]

    theirs = _full_checkpoint(out / "straight" / "checkpoints" / "last.ckpt")
    assert any(key.startswith("/optimizer_0/state/") for key in theirs)
    for name in ("mid", "boundary"):
        meta, straight_meta = _meta(out, name), _meta(out, "straight")
        assert meta["global_step"] == straight_meta["global_step"] == 3 * BUDGET
        assert meta["multitask"] == straight_meta["multitask"]
        assert meta["lr_schedulers"] == straight_meta["lr_schedulers"]
        ours = _full_checkpoint(out / name / "checkpoints" / "last.ckpt")
        assert ours.keys() == theirs.keys()
        different = [k for k in theirs if not (torch.equal(ours[k], theirs[k]) if isinstance(theirs[k], torch.Tensor)
                                                else ours[k] == theirs[k])]
        assert different == [], f"{name}: {different}"
        for i, phase in enumerate(["generator", "evaluator", "generator_again"]):
            assert ([p.name for p in (out / name / "checkpoints" / f"{i}_{phase}").glob("*.ckpt")]
                    == [p.name for p in (out / "straight" / "checkpoints" / f"{i}_{phase}").glob("*.ckpt")])

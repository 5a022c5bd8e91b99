"""`mathft fit` killed or stopped, then resumed with `--ckpt_path=last`: the run that would have happened.

The tiny generator config on the session workspace: 19 training problems in batches of 8 make 3 batches
per epoch, so step 4 is the first batch of epoch 1 (mid-epoch) and step 6 the end of epoch 1.
Validation runs at steps 4 and 8; the run stops at step 8.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import torch

from mathft.cli.lightning import main
from tests.conftest import CONFIGS

REPO = Path(__file__).parents[2]


def _args(ws: dict[str, Path], root: Path, callbacks: list[dict[str, Any]], *extra: str) -> list[str]:
    return ["fit", "--config", str(CONFIGS / "tiny/generator.yaml"),
            f"--model.init_args.backbone.name_or_path={ws['backbone']}",
            f"--data.init_args.train_files=[{ws['train']}]",
            "--data.init_args.val_fraction=0.2", "--data.init_args.val_max_problems=2",
            "--model.init_args.generation.max_new_tokens=4", "--model.init_args.generation.num_samples=2",
            "--trainer.max_steps=8", "--trainer.val_check_interval=4", "--trainer.enable_progress_bar=false",
            f"--trainer.default_root_dir={root}", "--trainer.callbacks=" + json.dumps(callbacks), *extra]


def _checkpoint(every: int) -> dict[str, Any]:
    return {"class_path": "mathft.callbacks.TaskMetricCheckpoint",
            "init_args": {"monitor": "val/pass@1", "last_every_n_steps": every}}


def _signal_at(step: int, name: str) -> dict[str, Any]:
    return {"class_path": "tests.callbacks.signal_at_step.SignalAtStep",
            "init_args": {"step": step, "signal_name": name}}


def _subprocess(args: list[str]) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "mathft", *args], env=env, capture_output=True, text=True, timeout=240)


def _last(root: Path) -> dict[str, Any]:
    return torch.load(root / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)


def _assert_identical(a: Any, b: Any, where: str = "") -> None:
    """Tensors bit for bit, containers element by element."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_identical(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _best(ckpt: dict[str, Any]) -> tuple[str, float]:
    state = next(v for k, v in ckpt["callbacks"].items() if k.startswith("TaskMetricCheckpoint"))
    return Path(state["best_model_path"]).name, float(state["best_model_score"])


@pytest.fixture(scope="module")
def uninterrupted(workspace, tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("uninterrupted")
    with _threads(1):
        assert main(_args(workspace, root, [_checkpoint(2)])) == 0
    return _last(root)


@contextmanager
def _threads(count: int) -> Iterator[None]:
    """In-process runs at the killed subprocess's thread count (OMP_NUM_THREADS=1): on some CPUs (seen on
    one with AVX-512, 2026-12-01) a matmul's float sums depend on the thread count, so a run resumed at
    another count is a different, equally valid run and could not be compared bit for bit."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(("every", "kill_at", "saved", "position"),
                         [(2, 5, 4, {"epoch": 1, "served": 1}), (3, 7, 6, {"epoch": 1, "served": 3})],
                         ids=["mid_epoch", "epoch_boundary"])
def test_sigkilled_run_resumed_from_last_equals_the_uninterrupted_run(
        workspace, tmp_path, uninterrupted, every, kill_at, saved, position) -> None:
    """SIGKILL after step 5 (last.ckpt of step 4, saved after that step's validation) or after step 7
    (last.ckpt of step 6, the end of an epoch); the resumed run's final weights, optimizer state, sampler
    position and best checkpoint equal the uninterrupted run's exactly."""
    killed = _subprocess(_args(workspace, tmp_path, [_checkpoint(every), _signal_at(kill_at, "SIGKILL")]))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    at_kill = _last(tmp_path)
    assert at_kill["global_step"] == saved
    assert at_kill["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [position]

    with _threads(1):
        assert main(_args(workspace, tmp_path, [_checkpoint(every)], "--ckpt_path=last")) == 0
    resumed = _last(tmp_path)
    assert resumed["global_step"] == uninterrupted["global_step"] == 8
    _assert_identical(resumed["state_dict"], uninterrupted["state_dict"], "state_dict")
    _assert_identical(resumed["optimizer_states"], uninterrupted["optimizer_states"], "optimizer_states")
    _assert_identical(resumed["loops"]["fit_loop"]["state_dict"], uninterrupted["loops"]["fit_loop"]["state_dict"])
    assert _best(resumed) == _best(uninterrupted)


def test_sigterm_saves_last_ckpt_and_exits_143(workspace, tmp_path) -> None:
    """SIGTERM during step 3: last.ckpt holds step 3 and the process exits with 128 + 15."""
    stopped = _subprocess(_args(workspace, tmp_path, [_checkpoint(100), _signal_at(3, "SIGTERM")]))
    assert stopped.returncode == 143, stopped.stderr[-3000:]
    assert "stopped by SIGTERM" in stopped.stderr
    assert _last(tmp_path)["global_step"] == 3


def test_sigusr1_saves_last_ckpt_and_returns_138(workspace, tmp_path) -> None:
    """SIGUSR1 (SLURM's warning before the time limit) after step 4, where validation follows: last.ckpt is
    written after that validation, at step 4, and `mathft fit` returns 128 + 10."""
    status = main(_args(workspace, tmp_path, [_checkpoint(100), _signal_at(4, "SIGUSR1")]))
    assert status == 128 + signal.SIGUSR1
    last = _last(tmp_path)
    assert last["global_step"] == 4 and _best(last)[0] == "epoch1-step4.ckpt"
    assert signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None)  # the handler did not outlive the run

"""Fixtures of the fault-injection suite: a tiny store sampled once, a second model, and store snapshots.

Every test here does something a user plausibly does wrong (or something the machine does to a run) and
asserts three things: the exit status, the message (it names what to fix, and is not a traceback), and
that nothing in the store changed or went missing (:func:`snapshot` before and after).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mathft.cli import main as mathft_main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ["--num-samples", "2", "--max-new-tokens", "8", "--batch-size", "16", "--no-progress"]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` and its bytes, lock files aside (they hold the last holder's pid)."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.suffix != ".lock"}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``mathft ARGV`` in this process: ``(exit status, stderr)``; argparse's exit counts as a status."""
    capsys.readouterr()
    try:
        status = mathft_main(list(argv))
    except SystemExit as stop:
        status = int(stop.code or 0)
    return status, capsys.readouterr().err


def run_process(*argv: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m mathft ARGV`` in a fresh process (for what must not touch this one: FIFOs, imports)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "mathft", *argv], env=full_env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one torch thread (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def problem_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four synthetic test problems (MATH style)."""
    from mathft.data.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("fault_problems"), n_train=4, n_test=4)["test.math"]


@pytest.fixture(scope="session")
def other_model(tiny_backbone_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's tiny model with other weights (same architecture, tokenizer and config)."""
    from safetensors.torch import load_file, save_file

    other = tmp_path_factory.mktemp("other_model") / "model"
    shutil.copytree(tiny_backbone_dir, other)
    weights = load_file(other / "model.safetensors")
    save_file({k: v + 0.01 for k, v in weights.items()}, other / "model.safetensors", metadata={"format": "pt"})
    return other


@pytest.fixture(scope="session")
def sampled(tiny_backbone_dir: Path, problem_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 3 problems x 2 samples (plus greedy) scored by ``score``; tests copy it before changing it."""
    store = tmp_path_factory.mktemp("sampled") / "store"
    assert mathft_main(["sample", "--model", str(tiny_backbone_dir), "--problems", str(problem_file), "--out",
                        str(store), "--limit", "3", "--greedy", *SAMPLE]) == 0
    assert mathft_main(["score", "--model", str(tiny_backbone_dir), "--store", str(store), "--max-length", "256",
                        "--no-progress"]) == 0
    return store


@pytest.fixture
def store(sampled: Path, tmp_path: Path) -> Path:
    """A private copy of the sampled and scored store."""
    copy = tmp_path / "store"
    shutil.copytree(sampled, copy)
    return copy


def sample_args(model: Path, problems: Path, out: Path, *extra: str) -> list[str]:
    """``mathft sample`` arguments that reproduce the :func:`sampled` store (before its extras)."""
    return ["sample", "--model", str(model), "--problems", str(problems), "--out", str(out), "--limit", "3",
            "--greedy", *SAMPLE, *extra]

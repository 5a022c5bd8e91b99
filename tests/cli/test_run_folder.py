"""`mathft fit` keeps one run folder (config, checkpoints, logs, export) and `--ckpt_path=last` finds it."""

from __future__ import annotations

from pathlib import Path

import torch

from mathft.cli.lightning import build_cli
from tests.conftest import CONFIGS


def _fit(ws: dict[str, Path], root: Path, *extra: str):
    """The shipped tiny generator config with its own logger and callbacks; only data and size changed."""
    return build_cli(["fit", "--config", str(CONFIGS / "tiny/generator.yaml"),
                      f"--model.init_args.backbone.name_or_path={ws['backbone']}",
                      f"--data.init_args.train_files=[{ws['train']}]", "--data.init_args.val_fraction=0.2",
                      "--data.init_args.val_max_problems=2", "--model.init_args.generation.max_new_tokens=4",
                      "--model.init_args.generation.num_samples=0", "--trainer.val_check_interval=2",
                      "--trainer.enable_progress_bar=false",
                      f"--trainer.default_root_dir={root}", *extra], run=True)


def _events(root: Path) -> list[Path]:
    return sorted(root.rglob("events.out.tfevents.*"))


def _scalar_tags(folder: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return set(accumulator.Tags()["scalars"])


def test_fit_keeps_one_run_folder_and_resumes_from_it(workspace, tmp_path) -> None:
    """Run 1 (2 steps) leaves config.yaml, checkpoints/, tb/ and hf_best/ in the run folder and no
    version_N; run 2 (to 5 steps, `--ckpt_path=last`) resumes from run 1's last.ckpt and logs to the same
    tb/, train/loss included (the config logs every 5 steps: Lightning's default 50 never logged it)."""
    root = tmp_path / "run"
    _fit(workspace, root, "--trainer.max_steps=2")
    assert {p.name for p in root.iterdir()} == {"config.yaml", "checkpoints", "tb", "hf_best"}
    assert (root / "checkpoints" / "last.ckpt").is_file() and (root / "hf_best" / "config.json").is_file()
    assert [e.parent for e in _events(root)] == [root / "tb"]

    cli = _fit(workspace, root, "--trainer.max_steps=5", "--ckpt_path=last")
    assert Path(cli.trainer.ckpt_path) == root / "checkpoints" / "last.ckpt"  # found, not "no last checkpoint"
    assert cli.trainer.global_step == 5
    assert torch.load(root / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 5
    assert not any("version_" in p.name for p in root.rglob("*"))
    assert {e.parent for e in _events(root)} == {root / "tb"}
    assert {"train/loss", "val/loss", "val/pass@1"} <= _scalar_tags(root / "tb")
    assert "ckpt_path: last" in (root / "config.yaml").read_text()  # the config of the latest invocation

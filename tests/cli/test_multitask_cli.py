"""`mathft multitask`: every stage's files inside the plan's run folder; a rerun skips or resumes stages."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mathft.cli import main
from tests.conftest import CONFIGS


def _plan(ws: dict[str, Path], path: Path) -> Path:
    """Generator then evaluator, from the shipped tiny configs (which name runs/tiny_* folders of their own)."""
    gen = [f"--data.init_args.train_files=[{ws['train']}]", "--model.init_args.generation.max_new_tokens=4",
           "--model.init_args.generation.num_samples=0", "--data.init_args.val_max_problems=4",
           "--data.init_args.val_fraction=0.2"]
    ev = [f"--data.init_args.candidates=[{ws['candidates']}]", f"--data.init_args.problem_files=[{ws['train']}]"]
    stages = [{"name": "generator", "configs": [str(CONFIGS / "tiny/generator.yaml")], "overrides": gen},
              {"name": "evaluator", "configs": [str(CONFIGS / "tiny/evaluator.yaml")], "overrides": ev}]
    path.write_text(json.dumps({"stages": stages}))  # JSON is YAML
    return path


def _run(plan: Path, out: Path, backbone: Path) -> int:
    return main(["multitask", str(plan), "--out", str(out), "--backbone", str(backbone), "--trainer.max_steps=2",
                 "--trainer.val_check_interval=1", "--trainer.limit_val_batches=1",
                 "--trainer.enable_progress_bar=false"])


def test_plan_keeps_its_files_and_a_rerun_skips_or_resumes(workspace, tmp_path, monkeypatch, capsys) -> None:
    """Run: nothing lands in the configs' own runs/tiny_* (the cwd stays empty), each stage folder holds its
    config, checkpoints, tb logs and hf_best. Rerun: both stages skipped. With the evaluator's manifest entry
    gone (as if killed after its last.ckpt), a rerun skips the generator and resumes the evaluator."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    plan, out = _plan(workspace, tmp_path / "plan.yaml"), tmp_path / "multitask"
    assert _run(plan, out, workspace["backbone"]) == 0
    assert list(cwd.iterdir()) == []
    for stage in ("00_generator", "01_evaluator"):
        names = {p.name for p in (out / stage).iterdir()}
        assert {"config.yaml", "checkpoints", "tb", "hf_best"} <= names, names
    manifest = json.loads((out / "manifest.json").read_text())["stages"]
    assert manifest[1]["backbone_in"] == manifest[0]["export_dir"] == str(out / "00_generator" / "hf_best")

    capsys.readouterr()
    assert _run(plan, out, workspace["backbone"]) == 0
    assert capsys.readouterr().err.count("finished earlier, skipped") == 2

    (out / "manifest.json").write_text(json.dumps({"stages": manifest[:1]}))
    assert _run(plan, out, workspace["backbone"]) == 0
    err = capsys.readouterr().err
    assert "'generator' finished earlier" in err and "resuming stage 'evaluator'" in err
    last = torch.load(out / "01_evaluator" / "checkpoints" / "last.ckpt", weights_only=False)
    assert last["global_step"] == 2  # resumed at its end, not trained again from step 0

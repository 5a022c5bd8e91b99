"""Sequential multi-task runner: generator -> evaluator -> generator, each from the previous HF export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mathft.modules.multitask import Stage, load_plan, run_stages

from tests.conftest import CONFIGS

PLANS = sorted((CONFIGS / "multitask").glob("*_plan.yaml"))  # tiny_sequential.yaml is a `mathft fit` config


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.name)
def test_plans_parse_and_name_existing_configs(plan: Path) -> None:
    stages = load_plan(plan)
    assert [s.name for s in stages][0] in {"generator", "ssft"} and len(stages) == 3
    assert all(Path(c).is_file() for s in stages for c in s.configs)


def test_plan_without_stages_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("stages:\n  - name: x\n")
    with pytest.raises(ValueError, match=r"plan.yaml: stages\[0\]"):
        load_plan(bad)


def _weights(path: str) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path).state_dict()


def test_three_stages_hand_on_their_exports(workspace, tmp_path: Path) -> None:  # noqa: F811
    ws = workspace
    common = ["--trainer.max_steps=2", "--trainer.val_check_interval=1", "--trainer.limit_val_batches=1",
              "--trainer.logger=false", "--trainer.enable_progress_bar=false"]
    gen = [f"--data.init_args.train_files=[{ws['train']}]", "--model.init_args.generation.max_new_tokens=4",
           "--model.init_args.generation.num_samples=0", "--data.init_args.val_max_problems=4",
           "--data.init_args.val_fraction=0.2"]
    ev = [f"--data.init_args.candidates=[{ws['candidates']}]", f"--data.init_args.problem_files=[{ws['train']}]"]
    stages = [
        Stage("generator", [str(CONFIGS / "tiny/generator.yaml")], gen),
        Stage("evaluator", [str(CONFIGS / "tiny/evaluator.yaml")], ev),
        Stage("generator_again", [str(CONFIGS / "tiny/generator.yaml")], gen),
    ]
    results = run_stages(stages, tmp_path, initial_backbone=str(ws["backbone"]), extra_args=common)

    manifest = json.loads((tmp_path / "manifest.json").read_text())["stages"]
    assert [m["name"] for m in manifest] == ["generator", "evaluator", "generator_again"]
    assert manifest[0]["backbone_in"] == str(ws["backbone"])
    for before, after in zip(manifest, manifest[1:]):
        assert after["backbone_in"] == before["export_dir"]
    for m in manifest:
        assert Path(m["config_file"]).is_file() and Path(m["checkpoint"]).exists()
    assert "val/pass@1" in manifest[0]["metrics"] and "val/rr_majK" in manifest[1]["metrics"]
    exports = [_weights(r.export_dir) for r in results]
    for a, b in zip([_weights(str(ws["backbone"])), *exports], exports):
        assert any(not torch.equal(a[k], b[k]) for k in a)  # every stage trained the shared backbone

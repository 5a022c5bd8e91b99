"""`mathft fit` through LightningCLI: every YAML in configs/ parses and instantiates; tiny configs fit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mathft.cli.lightning import build_cli, main
from mathft.modules import EvaluatorModule, GeneratorModule
from tests.conftest import CONFIGS

# Multi-task plans and pipeline configs are not LightningCLI configs; their own tests parse them.
ALL_CONFIGS = sorted(p for p in CONFIGS.rglob("*.yaml") if p.parent.name not in {"multitask", "pipeline"})
# Partial configs (a loss, LoRA) only make sense stacked on a full one.
STACKED = {"losses": "tiny/evaluator.yaml", "paper/lora.yaml": "paper/generator_7b_fsdp.yaml"}


def _stack(config: Path) -> list[str]:
    rel = config.relative_to(CONFIGS).as_posix()
    base = next((b for key, b in STACKED.items() if rel.startswith(key)), None)
    return (["--config", str(CONFIGS / base)] if base else []) + ["--config", str(config)]


def _overrides(ws: dict[str, Path], run_dir: Path) -> list[str]:
    return [
        f"--model.init_args.backbone.name_or_path={ws['backbone']}",
        "--model.init_args.backbone.dtype=float32",
        f"--trainer.default_root_dir={run_dir}",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
    ]


def _data_overrides(config_args: list[str], ws: dict[str, Path]) -> list[str]:
    text = " ".join(Path(a).read_text() for a in config_args if a.endswith(".yaml"))
    if "EvaluatorDataModule" in text:
        return [f"--data.init_args.candidates=[{ws['candidates']}]", f"--data.init_args.problem_files=[{ws['train']}]"]
    return [f"--data.init_args.train_files=[{ws['train']}]"]


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_every_config_parses_and_instantiates(config: Path, workspace, tmp_path) -> None:
    """Paper configs run on CPU here: the FSDP2 strategy and bf16 are kept, only the device is swapped."""
    args = _stack(config) + _overrides(workspace, tmp_path) + ["--trainer.accelerator=cpu"]
    if "paper" in config.as_posix():
        args += ["--trainer.devices=2"]
    cli = build_cli(args, run=False)
    assert isinstance(cli.model, (GeneratorModule, EvaluatorModule))
    assert cli.model.backbone_config.name_or_path == str(workspace["backbone"])
    assert cli.datamodule.tokenizer is cli.model.tokenizer  # connected, not loaded twice
    assert cli.config["data"]["init_args"]["tokenizer"] == str(workspace["backbone"])  # linked
    if "paper" in config.as_posix():
        assert type(cli.trainer.strategy).__name__ == "ModelParallelStrategy"


def test_loss_stack_swaps_the_component(workspace, tmp_path) -> None:
    cli = build_cli(["--config", str(CONFIGS / "tiny/evaluator.yaml"), "--config", str(CONFIGS / "losses/joint_bce.yaml"),
                     *_overrides(workspace, tmp_path)], run=False)
    loss = cli.model.loss
    assert type(loss).__name__ == "JointLoss" and type(loss.primary).__name__ == "VerdictBCELoss"


def _fit_args(config: str, ws: dict[str, Path], run_dir: Path, *extra: str) -> list[str]:
    args = ["fit", "--config", str(CONFIGS / config)]
    return args + _overrides(ws, run_dir) + _data_overrides(args, ws) + [
        "--trainer.max_steps=2", "--trainer.val_check_interval=2", "--trainer.limit_val_batches=1", *extra]


def test_tiny_generator_fits_and_exports(workspace, tmp_path) -> None:
    args = _fit_args("tiny/generator.yaml", workspace, tmp_path, "--model.init_args.generation.max_new_tokens=4",
                     "--model.init_args.generation.num_samples=2", "--data.init_args.val_max_problems=4",
                     "--data.init_args.val_fraction=0.2", "--trainer.val_check_interval=1")
    assert main(args) == 0
    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(str(tmp_path / "hf_best")) is not None
    assert (tmp_path / "config.yaml").is_file() or any(tmp_path.rglob("config.yaml"))


def test_toy_loss_named_in_yaml_is_used(workspace, tmp_path) -> None:
    """Extension without touching mathft: a new loss component, named by class_path."""
    args = _fit_args("tiny/evaluator.yaml", workspace, tmp_path,
                     "--model.init_args.loss=tests.modules.mathft_toy_losses.SquaredScoreError")
    cli = build_cli(args[1:], run=False)
    assert type(cli.model.loss).__name__ == "SquaredScoreError"
    cli.model.configure_model()
    before = [p.clone() for p in cli.model.model.parameters()]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert any(not torch.equal(a, b) for a, b in zip(before, cli.model.model.parameters(), strict=True))
    assert "val/rr_majK" in cli.trainer.callback_metrics

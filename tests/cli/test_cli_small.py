"""Small CLI behaviours: short model help, loss components checked by kind, `mathft test` on a generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathft.cli.lightning import build_cli, main
from tests.conftest import CONFIGS


def test_model_help_lists_only_matching_components(capsys) -> None:
    """The loss is typed by what it takes (TokenLoss), the metric by its base class: the help is a screen,
    not 759 lines naming every torch.nn and torchmetrics class."""
    with pytest.raises(SystemExit):
        build_cli(["fit", "--model.help", "mathft.modules.GeneratorModule"])
    text = capsys.readouterr().out
    assert len(text.splitlines()) < 200
    assert "MLELoss" in text and "SamplingMetrics" in text
    assert "torch.nn.Linear" not in text and "PairwiseMarginLoss" not in text


def test_evaluator_loss_is_refused_for_the_generator(workspace, tmp_path, capsys) -> None:
    """PairwiseMarginLoss takes VerdictLossInputs, not TokenLossInputs: refused while parsing."""
    with pytest.raises(SystemExit):
        build_cli(["--config", str(CONFIGS / "tiny/generator.yaml"),
                   f"--model.init_args.backbone.name_or_path={workspace['backbone']}",
                   "--model.init_args.loss=mathft.modules.losses.PairwiseMarginLoss"], run=False)
    assert "TokenLoss" in capsys.readouterr().err


def _test_args(ws: dict[str, Path], root: Path, *extra: str) -> list[str]:
    return ["test", "--config", str(CONFIGS / "tiny/generator.yaml"),
            f"--model.init_args.backbone.name_or_path={ws['backbone']}",
            f"--data.init_args.train_files=[{ws['train']}]",
            "--model.init_args.generation.max_new_tokens=4", "--model.init_args.generation.num_samples=2",
            "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={root}", *extra]


def test_mathft_test_needs_test_files(workspace, tmp_path, capsys) -> None:
    assert main(_test_args(workspace, tmp_path)) == 2
    assert "data.init_args.test_files" in capsys.readouterr().err


def test_mathft_test_decodes_and_grades_the_test_problems(workspace, tmp_path) -> None:
    """4 test problems: test/pass@1 (greedy) and the sampled test/pass@2, test/maj1@2 besides test/loss."""
    test_file = workspace["root"] / "data" / "test.math.jsonl"
    cli = build_cli(_test_args(workspace, tmp_path, f"--data.init_args.test_files=[{test_file}]"))
    metrics = cli.trainer.callback_metrics
    assert {"test/loss", "test/pass@1", "test/pass@2", "test/maj1@2"} <= set(metrics)
    assert not any(key.endswith("_best") for key in metrics)
    assert (tmp_path / "test_config.yaml").is_file() and not (tmp_path / "config.yaml").exists()

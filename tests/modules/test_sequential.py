"""Sequential multi-task in one fit: generator -> evaluator -> generator on one backbone, tiny model, CPU.

Budgets of 4 steps per phase, validation every 2 steps: phase i runs steps 4i+1..4i+4 (Lightning epoch i).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch

from mathft.callbacks import ExportBestToHF, TaskMetricCheckpoint
from mathft.datamodules import EvaluatorDataModule, PhasedDataModule, SSFTDataModule
from mathft.modules import BackboneConfig, EvaluatorModule, GenerationSettings, GeneratorModule
from mathft.modules.sequential import Phase, SequentialMultiTaskModule, saved_phase
from mathft.pipeline.training import WarmupCosine

BUDGET = 4


def _adamw(lr: float):
    return lambda params: torch.optim.AdamW(params, lr=lr)


def _warmup_cosine(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(1, BUDGET, 0.1))


def _parts(ws: dict[str, Path]) -> tuple[SequentialMultiTaskModule, PhasedDataModule]:
    backbone = BackboneConfig(str(ws["backbone"]))
    generation = GenerationSettings(max_new_tokens=4)
    phases = [
        Phase("generator", partial(GeneratorModule, optimizer=_adamw(1e-2), generation=generation), BUDGET,
              "val/pass@1"),
        # A schedule in phase 2 only: a resume inside it must rebuild phase 2's optimizer, not phase 1's.
        Phase("evaluator", partial(EvaluatorModule, optimizer=_adamw(3e-3), scheduler=_warmup_cosine), BUDGET,
              "val/rr_majK"),
        Phase("generator_again", partial(GeneratorModule, optimizer=_adamw(1e-3), generation=generation), BUDGET,
              "val/pass@1"),
    ]
    module = SequentialMultiTaskModule(backbone, phases)
    ssft = partial(SSFTDataModule, [str(ws["train"])], style="math", max_length=256, batch_size=4, val_fraction=0.2,
                   val_max_problems=2)
    evaluator = EvaluatorDataModule([str(ws["candidates"])], problem_files=[str(ws["train"])], max_length=384,
                                    batch_size=4, val_fraction=0.25)
    data = PhasedDataModule([ssft(), evaluator, ssft(seed=1)])
    data.connect(tokenizer=module.tokenizer, **module.data_settings())
    return module, data


class _Stop(Exception):
    """Ends a fit in the middle, like a kill."""


class _Watch(pl.Callback):
    """Backbone weights at the end of each phase and at the first batch of each phase, the optimizer state
    size there, and the raised exception step (``stop_at``: an in-process "kill" before that step runs)."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.at_end: dict[int, dict[str, torch.Tensor]] = {}
        self.at_start: dict[int, dict[str, torch.Tensor]] = {}
        self.fresh_optimizer: dict[int, bool] = {}

    @staticmethod
    def _weights(module) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in module.model.state_dict().items()}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.stop_at:
            raise _Stop  # nothing is saved on it: the state on disk is the last.ckpt of the step before
        phase = pl_module.phase_index
        if phase not in self.at_start and trainer.global_step == BUDGET * phase:
            self.at_start[phase] = self._weights(pl_module)
            self.fresh_optimizer[phase] = len(trainer.optimizers[0].state) == 0

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.at_end[pl_module.phase_index] = self._weights(pl_module)


def _fit(ws, root: Path, *, stop_at: int | None = None, ckpt_path: str | None = None):
    pl.seed_everything(0)
    module, data = _parts(ws)
    watch = _Watch(stop_at)
    trainer = pl.Trainer(accelerator="cpu", max_steps=-1, val_check_interval=2, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=root, logger=False, enable_progress_bar=False,
                         enable_model_summary=False,
                         callbacks=[TaskMetricCheckpoint(monitor=None, save_top_k=0, last_every_n_steps=1),
                                    ExportBestToHF(), watch])
    trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
    return trainer, module, watch


@pytest.fixture(scope="module")
def straight(workspace, tmp_path_factory):
    root = tmp_path_factory.mktemp("straight")
    return (root, *_fit(workspace, root))


def test_phases_hand_on_live_weights_and_rebuild_the_optimizer(straight) -> None:
    """Each phase starts from the previous phase's final weights (no export or reload between them), with a
    fresh optimizer; the phases began at steps 0, 4, 8 and the whole run took 12 steps."""
    root, trainer, module, watch = straight
    assert trainer.global_step == 3 * BUDGET and module.phase_starts == [0, BUDGET, 2 * BUDGET]
    for phase in (1, 2):
        before, after = watch.at_end[phase - 1], watch.at_start[phase]
        assert all(torch.equal(before[k], after[k]) for k in before)
        assert watch.fresh_optimizer[phase]
    # Every phase trained the one backbone.
    for a, b in ((watch.at_start[1], watch.at_end[1]), (watch.at_start[2], watch.at_end[2])):
        assert any(not torch.equal(a[k], b[k]) for k in a)


def test_each_phase_selects_its_own_best_checkpoint(straight) -> None:
    """Best checkpoints per phase folder, each from a validation of that phase (steps 2 or 4 of it);
    hf_best comes from the last phase's best."""
    root, trainer, module, _ = straight
    for i, name in enumerate(["generator", "evaluator", "generator_again"]):
        files = list((root / "checkpoints" / f"{i}_{name}").glob("*.ckpt"))
        assert len(files) == 1
        step = torch.load(files[0], map_location="cpu", weights_only=False)["global_step"]
        assert BUDGET * i < step <= BUDGET * (i + 1)
    export = next(c for c in trainer.callbacks if isinstance(c, ExportBestToHF))
    assert Path(export.source).parent.name == "2_generator_again" and (root / "hf_best").is_dir()
    assert saved_phase(root / "checkpoints" / "last.ckpt") == {
        "phase": 2, "phase_starts": [0, BUDGET, 2 * BUDGET], "names": ["generator", "evaluator", "generator_again"]}


@pytest.mark.parametrize("stop_at", [BUDGET + 2, BUDGET], ids=["inside_phase_2", "at_phase_boundary"])
def test_resume_equals_the_uninterrupted_run(workspace, straight, tmp_path, stop_at: int) -> None:
    """Stopped before step ``stop_at`` runs (last.ckpt of step ``stop_at``), resumed with ``ckpt_path="last"``:
    the same final weights, optimizer state and per-phase best checkpoints, bit for bit."""
    root, *_ = straight
    with pytest.raises(_Stop):
        _fit(workspace, tmp_path, stop_at=stop_at)
    assert saved_phase(tmp_path / "checkpoints" / "last.ckpt")["phase"] == (stop_at - 1) // BUDGET
    _, module, _ = _fit(workspace, tmp_path, ckpt_path="last")
    assert module.phase_starts == [0, BUDGET, 2 * BUDGET]
    ours = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    theirs = torch.load(root / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ours["global_step"] == theirs["global_step"] == 3 * BUDGET
    different = [k for k in theirs["state_dict"] if not torch.equal(ours["state_dict"][k], theirs["state_dict"][k])]
    assert different == []
    for a, b in zip(ours["optimizer_states"][0]["state"].values(), theirs["optimizer_states"][0]["state"].values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])
    for i, name in enumerate(["generator", "evaluator", "generator_again"]):
        assert ([p.name for p in (tmp_path / "checkpoints" / f"{i}_{name}").glob("*.ckpt")]
                == [p.name for p in (root / "checkpoints" / f"{i}_{name}").glob("*.ckpt")])


def test_tiny_config_runs_under_mathft_fit(workspace, tmp_path) -> None:
    """configs/multitask/tiny_sequential.yaml parses (task callables without a backbone, one data module per
    phase), links the tokenizer, and fits 2 steps per phase through the CLI: 6 steps, hf_best written."""
    from mathft.cli.lightning import build_cli
    from tests.conftest import CONFIGS

    import yaml

    ws = workspace
    config = yaml.safe_load((CONFIGS / "multitask/tiny_sequential.yaml").read_text())
    for phase in config["model"]["init_args"]["phases"]:
        phase["max_steps"] = 2
    ssft, evaluator, ssft_again = (d["init_args"] for d in config["data"]["init_args"]["phases"])
    for ssft_data in (ssft, ssft_again):  # 24 problems: the default 5% would hold none out for validation
        ssft_data.update(train_files=[str(ws["train"])], val_fraction=0.2)
    evaluator.update(candidates=[str(ws["candidates"])], problem_files=[str(ws["train"])])
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))  # lists are replaced whole, not by index
    args = ["fit", "--config", str(tmp_path / "config.yaml"),
            f"--model.init_args.backbone.name_or_path={ws['backbone']}",
            f"--trainer.default_root_dir={tmp_path / 'run'}", "--trainer.logger=false",
            "--trainer.enable_progress_bar=false", "--trainer.val_check_interval=2"]
    cli = build_cli(args)
    assert isinstance(cli.model, SequentialMultiTaskModule)
    assert [type(t).__name__ for t in cli.model.tasks] == ["GeneratorModule", "EvaluatorModule", "GeneratorModule"]
    assert all(d.tokenizer is cli.model.tokenizer for d in cli.datamodule.phases)  # connected, loaded once
    assert cli.datamodule.phases[1].pairs_only  # the margin loss's data setting reached its phase
    assert cli.trainer.global_step == 6 and cli.model.phase_starts == [0, 2, 4]
    assert (tmp_path / "run" / "hf_best" / "config.json").is_file()


class _Validations(pl.Callback):
    """(phase, global step) of every validation of a fit."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def on_validation_end(self, trainer, pl_module) -> None:
        self.seen.append((pl_module.phase_index, trainer.global_step))


def test_each_phase_validates_on_its_own_interval(workspace, tmp_path) -> None:
    """Phase budgets 4, 6 with val_every 4 and 3 (trainer interval 2, used by none): validations at phase
    steps 4 | 3, 6, i.e. global steps 4 | 7, 10 -- counted from each phase's start, not from step 0."""
    pl.seed_everything(0)
    backbone = BackboneConfig(str(workspace["backbone"]))
    generation = GenerationSettings(max_new_tokens=4)
    module = SequentialMultiTaskModule(backbone, [
        Phase("generator", partial(GeneratorModule, optimizer=_adamw(1e-2), generation=generation), 4,
              "val/pass@1", val_every=4),
        Phase("evaluator", partial(EvaluatorModule, optimizer=_adamw(3e-3)), 6, "val/rr_majK", val_every=3),
    ])
    ssft = SSFTDataModule([str(workspace["train"])], style="math", max_length=256, batch_size=4, val_fraction=0.2,
                          val_max_problems=2)
    evaluator = EvaluatorDataModule([str(workspace["candidates"])], problem_files=[str(workspace["train"])],
                                    max_length=384, batch_size=4, val_fraction=0.25)
    data = PhasedDataModule([ssft, evaluator])
    data.connect(tokenizer=module.tokenizer, **module.data_settings())
    seen = _Validations()
    trainer = pl.Trainer(accelerator="cpu", max_steps=-1, val_check_interval=2, check_val_every_n_epoch=None,
                         num_sanity_val_steps=0, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[TaskMetricCheckpoint(monitor=None, save_top_k=0),
                                                                seen])
    trainer.fit(module, datamodule=data)
    assert seen.seen == [(0, 4), (1, 7), (1, 10)]


def test_val_every_outside_the_phase_budget_is_refused(workspace) -> None:
    phase = Phase("generator", partial(GeneratorModule, optimizer=_adamw(1e-2)), 4, "val/pass@1", val_every=5)
    with pytest.raises(ValueError, match=r"phases\[0\]\.val_every must lie in \[1, max_steps=4\], got 5"):
        SequentialMultiTaskModule(BackboneConfig(str(workspace["backbone"])), [phase])


@pytest.mark.parametrize("checkpoint", [None, "0_generator", "1_evaluator"])
def test_validate_runs_the_phase_of_its_checkpoint(workspace, straight, tmp_path, checkpoint) -> None:
    """``validate`` outside a fit runs one phase's task on that phase's data: the phase saved in the given
    checkpoint, else the last phase (it used to run phase 0's task on the last phase's data)."""
    root, *_ = straight
    module, data = _parts(workspace)
    seen = _Validations()
    trainer = pl.Trainer(accelerator="cpu", default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[seen])
    ckpt = None if checkpoint is None else str(next((root / "checkpoints" / checkpoint).glob("*.ckpt")))
    metrics = trainer.validate(module, datamodule=data, ckpt_path=ckpt, verbose=False)[0]
    expected = {None: 2, "0_generator": 0, "1_evaluator": 1}[checkpoint]
    assert [phase for phase, _ in seen.seen] == [expected]
    assert ("val/auroc" in metrics) == (expected == 1) and ("val/pass@1" in metrics) == (expected != 1)

"""GeneratorModule: fits, decodes and grades in validation, resumes from last.ckpt identically."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from tests.modules.mathft_toy_batches import PROBLEMS, ToyDataModule, ssft_batch

from mathft.modules import GenerationSettings, GeneratorModule
from mathft.modules.losses import TokenLossInputs, mle_loss


def _module(config, **kwargs) -> GeneratorModule:
    kwargs.setdefault("optimizer", lambda p: torch.optim.AdamW(p, lr=1e-2))
    kwargs.setdefault("generation", GenerationSettings(max_new_tokens=8, num_samples=2))
    return GeneratorModule(config, **kwargs)


def _trainer(tmp_path, max_steps: int, **kwargs) -> pl.Trainer:
    kwargs.setdefault("enable_checkpointing", False)
    return pl.Trainer(
        accelerator="cpu", devices=1, max_steps=max_steps, logger=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path, num_sanity_val_steps=0, **kwargs,
    )


def test_shared_step_loss_is_mle_on_solution_tokens(backbone_config, tiny_tokenizer) -> None:
    module = _module(backbone_config)
    module.configure_model()
    batch = ssft_batch(tiny_tokenizer)
    logits = module.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected = mle_loss(logits, batch["labels"])
    assert module.compute_loss(batch, logits).item() == pytest.approx(expected.item())


def test_generator_fits_and_logs_decoding_metrics(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    pl.seed_everything(0)
    module = _module(backbone_config)
    module.configure_model()
    module.configure_model()  # idempotent: the second call keeps the same model
    before = {k: v.clone() for k, v in module.model.state_dict().items()}
    trainer = _trainer(tmp_path, max_steps=2)
    trainer.fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), "generator"))
    assert any(not torch.equal(v, before[k]) for k, v in module.model.state_dict().items())
    metrics = trainer.callback_metrics
    for key in ("train/loss", "val/loss", "val/pass@1", "val/pass@1_best", "val/pass@2", "val/maj1@2"):
        assert key in metrics, key
    # MajK@N with K=8 >= N=2 keeps every cluster: it would only repeat Pass@N under another name.
    assert not any(key.startswith("val/maj8@") for key in metrics)
    assert module.val_generations and {"problem", "gold", "text"} <= set(module.val_generations[0])
    assert "val_metric" not in module.hparams and "backbone" in module.hparams


def test_resume_from_last_ckpt_matches_uninterrupted_run(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    """2 steps + resume to 4 steps from last.ckpt gives the same weights as 4 steps in one go."""
    data = lambda: ToyDataModule(str(tiny_backbone_dir), "generator")  # noqa: E731
    settings = GenerationSettings(max_new_tokens=2, num_samples=0)

    pl.seed_everything(0)
    straight = _module(backbone_config, generation=settings)
    _trainer(tmp_path / "a", max_steps=4, limit_val_batches=0).fit(straight, datamodule=data())

    pl.seed_everything(0)
    first = _module(backbone_config, generation=settings)
    # Saved on a batch end: Lightning re-enters an epoch whose end-of-epoch checkpoint it resumes from.
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, every_n_train_steps=2)
    _trainer(tmp_path / "b", max_steps=2, limit_val_batches=0, enable_checkpointing=True, callbacks=[ckpt]).fit(
        first, datamodule=data())
    resumed = _module(backbone_config, generation=settings)
    trainer = _trainer(tmp_path / "b", max_steps=4, limit_val_batches=0)
    trainer.fit(resumed, datamodule=data(), ckpt_path=str(tmp_path / "ckpt" / "last.ckpt"))

    assert trainer.global_step == 4
    for key, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=0)


class _ScaledMLE(GeneratorModule):
    """Extension by subclassing: override one hook (here: a doubled MLE)."""

    def compute_loss(self, batch, logits):
        return 2.0 * super().compute_loss(batch, logits)


def test_subclass_overrides_compute_loss(backbone_config, tiny_tokenizer) -> None:
    module = _ScaledMLE(backbone_config)
    module.configure_model()
    batch = ssft_batch(tiny_tokenizer)
    logits = module.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    assert module.compute_loss(batch, logits).item() == pytest.approx(2 * mle_loss(logits, batch["labels"]).item())
    assert isinstance(TokenLossInputs(logits, batch["labels"]).logits, torch.Tensor)


def test_packed_batch_loss_equals_unpacked(backbone_config, tiny_tokenizer) -> None:
    """A packed row (position_ids restarting at 0, no attention_mask) gives the token-mean loss of the
    same sequences unpacked: packed neighbours do not attend to each other (docs/contracts.md)."""
    module = _module(backbone_config)
    module.configure_model()
    module.model.eval()
    rows = [ssft_batch(tiny_tokenizer, [p]) for p in PROBLEMS[:2]]
    packed = {
        "input_ids": torch.cat([r["input_ids"] for r in rows], 1),
        "labels": torch.cat([r["labels"] for r in rows], 1),
        "position_ids": torch.cat([torch.arange(r["input_ids"].size(1))[None] for r in rows], 1),
    }
    # The first label of the second sequence must not be predicted from the first sequence's last token.
    packed["labels"][0, rows[0]["input_ids"].size(1)] = -100
    with torch.no_grad():
        got = module._shared_step(packed, "val")
        losses = [module._shared_step(r, "val") for r in rows]
    counts = [int((r["labels"][:, 1:] != -100).sum()) for r in rows]
    expected = sum(l * c for l, c in zip(losses, counts)) / sum(counts)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)


def test_best_is_logged_only_while_fitting(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    """fit logs val/pass@1_best; a later `validate` of the same module logs val/pass@1 but no *_best and
    leaves the best-so-far untouched."""
    pl.seed_everything(0)
    module = _module(backbone_config, generation=GenerationSettings(max_new_tokens=4))
    trainer = _trainer(tmp_path, max_steps=2)
    data = ToyDataModule(str(tiny_backbone_dir), "generator")
    trainer.fit(module, datamodule=data)
    assert "val/pass@1_best" in trainer.callback_metrics
    updates = module.val_pass1_best.update_count
    trainer.validate(module, datamodule=data, verbose=False)
    assert "val/pass@1" in trainer.callback_metrics and "val/pass@1_best" not in trainer.callback_metrics
    assert module.val_pass1_best.update_count == updates


def test_best_so_far_travels_in_the_checkpoint(backbone_config) -> None:
    """Best 0.75 saved by one module is the best of a fresh one after loading: a resumed run's
    val/pass@1_best continues from 0.75, not from the first value it sees."""
    saved, fresh = _module(backbone_config), _module(backbone_config)
    saved.val_pass1_best.update(torch.tensor(0.25))
    saved.val_pass1_best.update(torch.tensor(0.75))
    checkpoint: dict = {}
    saved.on_save_checkpoint(checkpoint)
    fresh.on_load_checkpoint(checkpoint)
    fresh.val_pass1_best.update(torch.tensor(0.5))
    assert fresh.val_pass1_best.compute().item() == 0.75


@pytest.mark.parametrize(("num_samples", "k", "expected"), [(8, 4, "val/maj4@8"), (4, 8, None), (4, 4, None)])
def test_majk_is_logged_with_numbers_only_when_k_is_below_n(backbone_config, num_samples, k, expected) -> None:
    """MajK@N keeps the K largest of at most N clusters: with K >= N it is Pass@N under another name."""
    from mathft.metrics import SamplingMetrics

    module = _module(backbone_config, generation=GenerationSettings(num_samples=num_samples),
                     val_metric=SamplingMetrics(k=k))
    names = {f"val/{name}" for name in module._logged_names().values()}
    assert {"val/pass@1", f"val/pass@{num_samples}", f"val/maj1@{num_samples}"} <= names
    assert {n for n in names if n.startswith("val/maj") and not n.startswith("val/maj1@")} == (
        {expected} if expected else set())

"""LoRA backbones (peft): fit, last-position scoring, merged HF export and resume, on the tiny model,
single-process and under FSDP2 (2 CPU processes, see ``test_fsdp.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from tests.modules.mathft_toy_batches import ToyDataModule, evaluator_batch, ssft_batch
from tests.modules.test_fsdp import _run_worker, _weights

from mathft.modules import EvaluatorModule, GenerationSettings, GeneratorModule
from mathft.modules.backbone import LoraSettings, load_causal_lm
from mathft.modules.export import export_checkpoint
from mathft.modules.verdict import score_verdicts, verdict_tokens

pytest.importorskip("peft")

NO_DECODING = GenerationSettings(max_new_tokens=2, num_samples=0)


@pytest.fixture()
def lora_config(backbone_config):
    backbone_config.lora = LoraSettings(r=4, alpha=8)
    return backbone_config


def _module(config, **kwargs) -> GeneratorModule:
    kwargs.setdefault("optimizer", lambda p: torch.optim.AdamW(p, lr=1e-2))
    kwargs.setdefault("generation", NO_DECODING)
    return GeneratorModule(config, **kwargs)


def _trainer(root, max_steps: int, **kwargs) -> pl.Trainer:
    kwargs.setdefault("enable_checkpointing", False)
    return pl.Trainer(
        accelerator="cpu", devices=1, max_steps=max_steps, logger=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=root, num_sanity_val_steps=0, limit_val_batches=0, **kwargs,
    )


def _perturb_adapters(model: torch.nn.Module, seed: int = 0) -> None:
    """peft starts ``lora_B`` at zero (adapters are a no-op); give them weights so they change outputs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


@pytest.mark.parametrize(("kind", "checkpointing"), [("generator", False), ("evaluator", True)])
def test_only_adapters_train_and_change(kind: str, checkpointing: bool, lora_config, tiny_backbone_dir,
                                        tmp_path) -> None:
    pl.seed_everything(0)
    lora_config.gradient_checkpointing = checkpointing  # frozen inputs: needs non-reentrant recomputation
    optimizer = lambda p: torch.optim.AdamW(p, lr=1e-2)  # noqa: E731
    module = _module(lora_config) if kind == "generator" else EvaluatorModule(lora_config, optimizer=optimizer)
    module.configure_model()
    trainable = {n for n, p in module.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    before = {n: p.detach().clone() for n, p in module.model.named_parameters()}

    _trainer(tmp_path, max_steps=3).fit(module, datamodule=ToyDataModule(str(tiny_backbone_dir), kind))

    after = dict(module.model.named_parameters())
    changed = {n for n in before if not torch.equal(before[n], after[n].detach())}
    assert changed and changed <= trainable  # base weights are bit-identical
    assert any("lora_B" in n for n in changed)


def test_missing_peft_error_names_the_fix(lora_config, monkeypatch) -> None:
    """With peft installed, test_evaluator no longer reaches this branch: simulate its absence."""
    monkeypatch.setitem(sys.modules, "peft", None)  # makes `import peft` raise ImportError
    with pytest.raises(ImportError, match=r"mathft\[lora\]"):
        load_causal_lm(lora_config)


def test_last_position_scores_with_lora_equal_full_logits(lora_config, tiny_tokenizer) -> None:
    """S = p_c / (p_c + p_i) at position mask.sum(1) - 1 from the peft model's full logits (Eq. 5-7)."""
    model = load_causal_lm(lora_config).eval()
    _perturb_adapters(model)
    batch = evaluator_batch(tiny_tokenizer)
    tokens = verdict_tokens(tiny_tokenizer)
    with torch.no_grad():
        fast = score_verdicts(model, batch["input_ids"], batch["attention_mask"], tokens).score
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    last = batch["attention_mask"].sum(1) - 1
    probs = logits[torch.arange(len(last)), last].softmax(-1)
    p_c, p_i = probs[:, tokens.correct[0]], probs[:, tokens.incorrect[0]]
    torch.testing.assert_close(fast, p_c / (p_c + p_i), rtol=1e-5, atol=1e-6)


def _assert_plain_hf_export_matches(out, peft_model, batch) -> None:
    """The directory holds merged weights only: transformers loads it without peft, same logits."""
    from transformers import AutoModelForCausalLM

    assert not (out / "adapter_config.json").exists()
    plain = AutoModelForCausalLM.from_pretrained(str(out)).eval()
    assert not any("lora_" in n for n, _ in plain.named_parameters())
    with torch.no_grad():
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        expected = peft_model.eval()(**inputs).logits
        torch.testing.assert_close(plain(**inputs).logits, expected, rtol=1e-5, atol=1e-5)


def test_export_hf_merges_adapters(lora_config, tiny_tokenizer, tmp_path) -> None:
    module = _module(lora_config)
    module.configure_model()
    _perturb_adapters(module.model)
    out = module.export_hf(tmp_path / "hf")
    _assert_plain_hf_export_matches(out, module.model, ssft_batch(tiny_tokenizer))


def test_resume_restores_adapters_and_exports_checkpoint(lora_config, tiny_backbone_dir, tiny_tokenizer,
                                                         tmp_path) -> None:
    """2 steps + resume to 4 from last.ckpt equals 4 steps straight; last.ckpt exports merged weights."""
    data = lambda: ToyDataModule(str(tiny_backbone_dir), "generator")  # noqa: E731
    pl.seed_everything(0)
    straight = _module(lora_config)
    _trainer(tmp_path / "a", max_steps=4).fit(straight, datamodule=data())

    pl.seed_everything(0)
    first = _module(lora_config)
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, every_n_train_steps=2)
    _trainer(tmp_path / "b", max_steps=2, enable_checkpointing=True, callbacks=[ckpt]).fit(first, datamodule=data())
    pl.seed_everything(1)  # a different seed: the adapters' fresh init must be overwritten by the checkpoint
    resumed = _module(lora_config)
    trainer = _trainer(tmp_path / "b", max_steps=4)
    trainer.fit(resumed, datamodule=data(), ckpt_path=str(tmp_path / "ckpt" / "last.ckpt"))

    assert trainer.global_step == 4
    got = resumed.model.state_dict()
    for key, value in straight.model.state_dict().items():
        torch.testing.assert_close(got[key], value, rtol=0, atol=0, msg=key)

    out = export_checkpoint(_module(lora_config), tmp_path / "ckpt" / "last.ckpt", tmp_path / "hf_last")
    _assert_plain_hf_export_matches(out, first.model, ssft_batch(tiny_tokenizer))


@pytest.mark.distributed
@pytest.mark.parametrize("kind", ["generator", "evaluator"])
def test_fsdp2_lora_fits_and_exports_merged(kind: str, tiny_backbone_dir: Path, tmp_path: Path) -> None:
    """Sharded base + adapters: only adapters train; the offline export of the sharded best checkpoint
    equals the export gathered from the live shards, and both carry the merged (changed) weights."""
    summary = _run_worker(tiny_backbone_dir, tmp_path, kind, "lora")
    assert summary["sharded"] and summary["local_fraction"] == pytest.approx(0.5, abs=0.05)
    assert summary["trainable"] and all("lora_" in n for n in summary["trainable"])
    exported, live, initial = _weights(tmp_path / "hf_best"), _weights(tmp_path / "hf_live"), _weights(tiny_backbone_dir)
    assert sorted(exported) == sorted(initial)  # a plain HF model: no peft keys
    for key, value in exported.items():
        torch.testing.assert_close(value, live[key], rtol=0, atol=0)
    assert any(not torch.equal(value, initial[key]) for key, value in exported.items())


@pytest.mark.distributed
def test_fsdp2_lora_resume_is_exact(tiny_backbone_dir: Path, tmp_path: Path) -> None:
    """2 steps + resume from the sharded last.ckpt == 4 steps straight, adapters included (gathered)."""
    summary = _run_worker(tiny_backbone_dir, tmp_path, "generator", "resume", "lora")
    assert summary["global_step"] == 4 and summary["max_abs_diff"] == 0.0

"""EvaluatorModule: last-position scores equal full-logit references; it fits and its parameters change."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from tests.modules.mathft_toy_batches import ToyDataModule, evaluator_batch

from mathft.modules import EvaluatorModule
from mathft.modules.backbone import load_causal_lm
from mathft.modules.verdict import VerdictTokens, score_verdicts, verdict_tokens


def _reference_scores(model, batch, tokens: VerdictTokens) -> torch.Tensor:
    """S from the full [M, T, V] logits, read at position attention_mask.sum(1) - 1 (paper Eq. 5-7)."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    last = batch["attention_mask"].sum(1) - 1
    probs = logits[torch.arange(len(last)), last].softmax(-1)
    p_c, p_i = probs[:, tokens.correct[0]], probs[:, tokens.incorrect[0]]
    return p_c / (p_c + p_i)


def test_last_position_scores_equal_full_logits(backbone_config, tiny_tokenizer) -> None:
    model = load_causal_lm(backbone_config).eval()
    batch = evaluator_batch(tiny_tokenizer)
    tokens = verdict_tokens(tiny_tokenizer)
    assert tokens.single_token
    with torch.no_grad():
        fast = score_verdicts(model, batch["input_ids"], batch["attention_mask"], tokens).score
        reference = _reference_scores(model, batch, tokens)
    torch.testing.assert_close(fast, reference, rtol=1e-5, atol=1e-6)


def test_multi_token_words_use_sequence_log_probability(backbone_config, tiny_tokenizer, caplog) -> None:
    """With multi-token words, log p(word) = sum of the words' token log-probs after the prompt."""
    model = load_causal_lm(backbone_config).eval()
    batch = evaluator_batch(tiny_tokenizer)
    with caplog.at_level("WARNING"):
        tokens = verdict_tokens(tiny_tokenizer, "rightish", "wrongful")
    assert not tokens.single_token and "several tokens" in caplog.text
    with torch.no_grad():
        got = score_verdicts(model, batch["input_ids"], batch["attention_mask"], tokens)
        for row in range(batch["input_ids"].size(0)):
            n = int(batch["attention_mask"][row].sum())
            prompt = batch["input_ids"][row, :n].tolist()
            for word, value in ((tokens.correct, got.correct[row]), (tokens.incorrect, got.incorrect[row])):
                ids = torch.tensor([prompt + list(word)])
                logp = model(input_ids=ids).logits[0].log_softmax(-1)
                expected = sum(logp[n - 1 + j, w] for j, w in enumerate(word))
                torch.testing.assert_close(value, expected, rtol=1e-4, atol=1e-4)


def _fit(module: pl.LightningModule, data: pl.LightningDataModule, tmp_path, **trainer_kwargs) -> pl.Trainer:
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, max_steps=3, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path, **trainer_kwargs,
    )
    trainer.fit(module, datamodule=data)
    return trainer


def test_evaluator_fits_and_logs_rerank_metrics(backbone_config, tiny_backbone_dir, tmp_path) -> None:
    pl.seed_everything(0)
    module = EvaluatorModule(backbone_config, optimizer=lambda p: torch.optim.AdamW(p, lr=1e-2))
    module.configure_model()
    before = {k: v.clone() for k, v in module.model.state_dict().items()}
    trainer = _fit(module, ToyDataModule(str(tiny_backbone_dir), "evaluator"), tmp_path, num_sanity_val_steps=0)
    changed = [k for k, v in module.model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, "no parameter changed"
    metrics = trainer.callback_metrics
    for key in ("train/loss", "val/loss", "val/auroc", "val/pairwise_acc", "val/rr_all", "val/rr_majK",
                "val/w_rr_majK", "val/rr_majK_best"):
        assert key in metrics, key
    assert 0.0 <= float(metrics["val/auroc"]) <= 1.0
    assert "rerank_metric" not in module.hparams and "loss" not in module.hparams


@pytest.mark.parametrize("loss_name", ["bce", "joint"])
def test_evaluator_loss_components_are_injected(loss_name, backbone_config, tiny_tokenizer) -> None:
    """The module builds VerdictLossInputs; a JointLoss also gets the MLE term of the correct rows (Eq. 12-13)."""
    from mathft.modules.losses import JointLoss, VerdictBCELoss, mle_loss, verdict_bce_loss

    loss = VerdictBCELoss() if loss_name == "bce" else JointLoss(VerdictBCELoss(), alpha=0.5)
    module = EvaluatorModule(backbone_config, loss=loss)
    module.configure_model()
    batch = evaluator_batch(tiny_tokenizer)
    verdicts = module.score(batch["input_ids"], batch["attention_mask"])
    expected = verdict_bce_loss(verdicts.correct, verdicts.incorrect, batch["labels"])
    if loss_name == "joint":
        positive = batch["labels"] > 0.5
        ids, mask = batch["input_ids"][positive], batch["attention_mask"][positive]
        logits = module.model(input_ids=ids, attention_mask=mask).logits
        expected = expected + 0.5 * mle_loss(logits, ids.masked_fill(mask == 0, -100))
    got = module.compute_loss(batch, verdicts)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    got.backward()
    assert any(p.grad is not None for p in module.model.parameters())


def test_lora_without_peft_names_the_fix(backbone_config) -> None:
    from mathft.modules.backbone import LoraSettings

    pytest.importorskip("torch")
    try:
        import peft  # noqa: F401
    except ImportError:
        backbone_config.lora = LoraSettings(r=4)
        with pytest.raises(ImportError, match=r"mathft\[lora\]"):
            load_causal_lm(backbone_config)
    else:
        backbone_config.lora = LoraSettings(r=4, target_modules=["q_proj", "v_proj"])
        model = load_causal_lm(backbone_config)
        assert any("lora_" in n for n, p in model.named_parameters() if p.requires_grad)


def test_decoder_layers_are_found_generically(backbone_config) -> None:
    """Via the model's own `_no_split_modules`, and via the longest same-class ModuleList without it."""
    from torch import nn

    from mathft.modules.backbone import decoder_layers

    model = load_causal_lm(backbone_config)
    assert [type(m).__name__ for m in decoder_layers(model)] == ["LlamaDecoderLayer"] * 2

    class Plain(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))
            self.heads = nn.ModuleList([nn.Linear(2, 2)])

    plain = Plain()
    assert decoder_layers(plain) == list(plain.blocks)

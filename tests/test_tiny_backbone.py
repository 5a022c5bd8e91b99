"""The tiny local backbone loads through the same ``from_pretrained`` path as a real model."""

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def test_tiny_backbone_loads_and_runs(tiny_backbone_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_backbone_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_backbone_dir))
    batch = tokenizer(["What is $3+4$?"], return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], len(tokenizer))
    assert tokenizer.pad_token is not None and tokenizer.eos_token is not None


def test_verdict_words_are_single_tokens(tiny_backbone_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_backbone_dir))
    for form in ("correct", " correct", "incorrect", " incorrect"):
        assert len(tokenizer.encode(form, add_special_tokens=False)) == 1, form
    # digits are split one per token
    assert len(tokenizer.encode("12345", add_special_tokens=False)) == 5

"""The backbone shipped for the demo is the one its config describes, intact, and it knows the arithmetic
its drill teaches."""

from __future__ import annotations

import random

import pytest

from mathft.backbones import prebuilt
from mathft.cli.demo import DEMO_CONFIG
from mathft.pipeline import load_config


@pytest.fixture(scope="module")
def shipped():
    config = load_config(DEMO_CONFIG)
    assert config.backbone.scratch is not None and config.backbone.scratch.prebuilt
    return prebuilt.find_prebuilt(prebuilt.build_key(config.backbone.scratch, config.data.seed,
                                                     config.data.families))


def test_the_demo_config_has_a_shipped_build_with_its_exact_settings(shipped) -> None:
    """Changing the demo's backbone settings without rebuilding would make every demo build its backbone."""
    assert shipped is not None, "rebuild: python -m mathft.backbones.prebuilt configs/pipeline/demo.yaml"


@pytest.mark.usefixtures("one_thread")
def test_the_shipped_backbone_writes_the_checks_products(shipped) -> None:
    """Greedy completions of fresh checks (a seed the build never used) up to ``c - a \\cdot s = c - ``:
    the drill's facts. Measured on these 60 (2026-12-01): the shipped build 56 (numbers as tokens, judging
    drill with writing replay); the digit-per-token build shipped before it 37, the SSFT generator
    fine-tuned from that one 19, a backbone of the same size that was not drilled 0."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathft.data.synthetic_checkable import factored_check

    tokenizer = AutoTokenizer.from_pretrained(str(shipped))
    model = AutoModelForCausalLM.from_pretrained(str(shipped)).eval()
    rng = random.Random(20261201)
    right = 0
    for _ in range(60):
        a, guess, b = rng.randint(2, 9), rng.randint(0, 17), rng.randint(1, 9)
        c = a * (guess + rng.randint(-3, 3) + b)
        chain, _ = factored_check(a, guess, b, c)
        prompt = "$" + chain[:chain.rindex(" - ") + 3]  # up to "c - a \cdot s = c - "
        batch = tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**batch, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        written = tokenizer.decode(out[0, batch.input_ids.shape[1]:], skip_special_tokens=True).lstrip()
        right += written.startswith(f"{a * (guess + b)} ")
    assert right >= 30, f"{right}/60 products right"


@pytest.mark.usefixtures("one_thread")
def test_the_shipped_backbone_judges_checks(shipped) -> None:
    """The judging drill's skill, which the demo's evaluators build on: the verdict word after 200 fresh checks
    (half with a false step; a seed the build never used). Measured (2026-12-01): the shipped build ranks
    them at AUROC 0.80; the same tokenizer and writing drill without the judging drill 0.44."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from torchmetrics.functional.classification import binary_auroc

    from mathft.backbones.drill import judged_check
    from mathft.modules.verdict import verdict_tokens

    tokenizer = AutoTokenizer.from_pretrained(str(shipped))
    tokenizer.padding_side = "right"
    model = AutoModelForCausalLM.from_pretrained(str(shipped)).eval()
    tokens = verdict_tokens(tokenizer)
    rng = random.Random(20261201)
    texts, right = [], []
    for _ in range(200):
        check, verdict = judged_check(rng).rsplit(" ", 1)  # "$...$ is", "correct." / "incorrect."
        texts.append(check)
        right.append(verdict == "correct.")
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**batch).logits
    last = logits[torch.arange(len(texts)), batch.attention_mask.sum(1) - 1]
    scores = last[:, tokens.correct[0]] - last[:, tokens.incorrect[0]]
    auroc = float(binary_auroc(scores, torch.tensor(right, dtype=torch.long)))
    assert auroc >= 0.7, f"verdict AUROC {auroc:.3f} on fresh checks"

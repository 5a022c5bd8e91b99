"""Fixtures for the sampler tests: the session's tiny backbone, loaded once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

# Problem-like prompts of clearly different token lengths, so batches need real left padding.
PROMPTS = [
    "What is $3+4$?",
    "Solve $2x+3=11$.\nSubtract 3: $2x=8$.\nDivide by 2:",
    "A train",
    "Compute $\\frac{3}{4}+\\frac{1}{4}$. The sum is $\\boxed{1}$. Here is a math problem: Simplify $\\frac{6}{8}$.",
]


@pytest.fixture
def prompts() -> list[str]:
    """Four prompts of different token lengths."""
    return list(PROMPTS)


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_backbone_dir: Path):
    """The tiny Llama (hidden 64, 2 layers) and its tokenizer, as a user loads them."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_backbone_dir).eval()
    return model, AutoTokenizer.from_pretrained(tiny_backbone_dir)

"""Shared fixtures: a tiny backbone written once per test session and loaded via ``from_pretrained``."""

from __future__ import annotations

from pathlib import Path

import pytest

# A small math-flavoured corpus; enough for a byte-level BPE to learn common pieces.
_CORPUS = [
    "What is $3+4$? We add: $3+4=7$. The answer is $\\boxed{7}$.",
    "Solve $2x+3=11$.\nSubtract 3: $2x=8$.\nDivide by 2: $x=4$.\n\n# Answer\n\n4",
    "Compute $\\frac{3}{4}+\\frac{1}{4}$. The sum is $\\boxed{1}$.",
    "Here is a math problem: Simplify $\\frac{6}{8}$. Here is a candidate solution: $\\boxed{\\frac{3}{4}}$.",
    "A train travels 60 miles in 2 hours. Its speed is $\\boxed{30}$ miles per hour.",
] * 20


@pytest.fixture(scope="session")
def tiny_backbone_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a ~100k-parameter Llama model and its tokenizer."""
    from mathft.backbones.tiny import write_tiny_backbone

    return write_tiny_backbone(_CORPUS, tmp_path_factory.mktemp("tiny_backbone"), vocab_size=400)

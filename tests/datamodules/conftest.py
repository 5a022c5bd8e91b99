"""Fixtures of the datamodule tests: a small synthetic task, a tokenizer trained on it, a tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic task written by ``write_synthetic`` (200 train / 20 test problems)."""
    from mathft.data.synthetic import write_synthetic

    out = tmp_path_factory.mktemp("synth")
    write_synthetic(out, n_train=200, n_test=20, seed=0)
    return out


@pytest.fixture(scope="session")
def synth_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama (hidden 32, 2 layers) with the built-in tokenizer trained on the synthetic corpus."""
    from mathft.backbones.tiny import build_tiny_causal_lm, train_tokenizer
    from mathft.data.synthetic import corpus

    tokenizer_dir = train_tokenizer(corpus(300), tmp_path_factory.mktemp("synth_tok"), vocab_size=400)
    return build_tiny_causal_lm(tokenizer_dir, tmp_path_factory.mktemp("synth_model"), hidden_size=32, num_heads=4)


@pytest.fixture(scope="session")
def synth_tokenizer(synth_model_dir: Path):
    """The tokenizer of :func:`synth_model_dir`."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(synth_model_dir))

"""Fixtures of the data tests: the fixture directory, a small synthetic task and a tokenizer trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/data/fixtures``: small files in the real MATH and PRM800K formats."""
    return FIXTURES


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic task written by ``write_synthetic`` (200 train / 20 test problems)."""
    from mathft.data.synthetic import write_synthetic

    out = tmp_path_factory.mktemp("synth")
    write_synthetic(out, n_train=200, n_test=20, seed=0)
    return out


@pytest.fixture(scope="session")
def synth_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """The built-in byte-level BPE tokenizer trained on the synthetic corpus."""
    from transformers import AutoTokenizer

    from mathft.backbones.tiny import train_tokenizer
    from mathft.data.synthetic import corpus

    path = train_tokenizer(corpus(300), tmp_path_factory.mktemp("synth_tok"), vocab_size=400)
    return AutoTokenizer.from_pretrained(str(path))

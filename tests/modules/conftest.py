"""Fixtures of the module tests: the tiny tokenizer and backbone config."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_backbone_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_backbone_dir))


@pytest.fixture()
def backbone_config(tiny_backbone_dir: Path):
    from mathft.modules.backbone import BackboneConfig

    return BackboneConfig(name_or_path=str(tiny_backbone_dir))

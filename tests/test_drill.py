"""The arithmetic drill of a scratch backbone (mathft/backbones/drill.py)."""

from __future__ import annotations

import random
import re
import shutil

import pytest
import torch
from safetensors.torch import load_file

from mathft.backbones.drill import drill_chain, drill_line, pretrain_on_drill

_CHAIN = re.compile(r"^\$(\d+) - (\d+)\((\d+) \+ (\d+)\) = (\d+) - (\d+) \\cdot (\d+) = (\d+) - (\d+) ([=<>]) 0\$$")


def test_every_drill_chain_is_a_true_factored_linear_check():
    rng = random.Random(0)
    signs = set()
    for _ in range(2000):
        *numbers, sign = _CHAIN.match(drill_chain(rng)).groups()
        c, a, g, b, c2, a2, total, c3, product = map(int, numbers)
        assert (c2, c3, a2) == (c, c, a) and total == g + b and product == a * total
        assert sign == ("=" if product == c else (">" if c > product else "<"))
        assert 2 <= a <= 9 and 0 <= g <= 17 and 1 <= b <= 9 and c % a == 0
        signs.add(sign)
    assert signs == {"=", "<", ">"}


def test_drill_lines_are_deterministic_per_seed():
    assert drill_line(random.Random(1)) == drill_line(random.Random(1)) != drill_line(random.Random(2))


def _weights(model_dir):
    return load_file(str(model_dir / "model.safetensors"))


@pytest.mark.usefixtures("one_thread")
def test_pretraining_trains_the_model_in_place_deterministically(tiny_backbone_dir, tmp_path):
    """A few steps change the saved weights (the model still loads), and the same seed gives the same run."""
    runs = []
    for name in ("a", "b"):
        model_dir = shutil.copytree(tiny_backbone_dir, tmp_path / name)
        before = _weights(model_dir)
        loss = pretrain_on_drill(model_dir, 3, batch_size=4, seed=0)
        after = _weights(model_dir)
        assert any(not torch.equal(before[k], after[k]) for k in before)
        runs.append((loss, after))
    (loss_a, after_a), (loss_b, after_b) = runs
    assert loss_a == loss_b and all(torch.equal(after_a[k], after_b[k]) for k in after_a)
    assert 0 < loss_a < 20


def test_pretraining_refuses_zero_steps(tiny_backbone_dir):
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        pretrain_on_drill(tiny_backbone_dir, 0)

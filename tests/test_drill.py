"""The arithmetic drill of a scratch backbone (mathft/backbones/drill.py)."""

from __future__ import annotations

import random
import re
import shutil

import pytest
import torch
from safetensors.torch import load_file

from mathft.backbones.drill import (
    drill_chain,
    drill_line,
    false_chain,
    judge_on_drill,
    judged_check,
    judged_group,
    judged_line,
    judging_line,
    pretrain_on_drill,
)

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
    loss = _twice_alike(lambda model_dir: pretrain_on_drill(model_dir, 3, batch_size=4, seed=0),
                        tiny_backbone_dir, tmp_path)
    assert 0 < loss < 20


def _twice_alike(train, tiny_backbone_dir, tmp_path) -> float:
    """Run ``train`` on two copies of the backbone: each changes the saved weights, both alike; the loss."""
    runs = []
    for name in ("a", "b"):
        model_dir = shutil.copytree(tiny_backbone_dir, tmp_path / name)
        before = _weights(model_dir)
        loss = train(model_dir)
        after = _weights(model_dir)
        assert any(not torch.equal(before[k], after[k]) for k in before)
        runs.append((loss, after))
    (loss_a, after_a), (loss_b, after_b) = runs
    assert loss_a == loss_b and all(torch.equal(after_a[k], after_b[k]) for k in after_a)
    return loss_a


def test_pretraining_refuses_zero_steps(tiny_backbone_dir):
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        pretrain_on_drill(tiny_backbone_dir, 0)


def _is_true(chain: str) -> bool:
    """An independent check of one chain: every copy, the sum, the product and the sign."""
    *numbers, sign = _CHAIN.match(chain).groups()
    c, a, g, b, c2, a2, total, c3, product = map(int, numbers)
    true_sign = "=" if product == c else (">" if c > product else "<")
    return (c2, c3, a2) == (c, c, a) and total == g + b and product == a * total and sign == true_sign


def test_every_false_chain_is_false_and_landing_lies_land():
    rng = random.Random(0)
    chains = [false_chain(rng) for _ in range(3000)]
    assert not any(_is_true(chain) for chain in chains)
    landed = [chain for chain in chains if chain.endswith("= 0$")]
    # The landing kinds (75% of the weight) end "= 0", as a wrong guess made to land does; no slip does.
    assert 0.65 < len(landed) / len(chains) < 0.85
    assert {_CHAIN.match(chain).group(10) for chain in chains} == {"=", "<", ">"}
    # A false landing with every step true (the value is not c) is one of them.
    honest_arithmetic = [chain for chain in landed if _steps_true(chain)]
    assert 0.15 < len(honest_arithmetic) / len(landed) < 0.35


def _steps_true(chain: str) -> bool:
    """Every copy, the sum and the product true (the sign not checked)."""
    *numbers, _ = _CHAIN.match(chain).groups()
    c, a, g, b, c2, a2, total, c3, product = map(int, numbers)
    return (c2, c3, a2) == (c, c, a) and total == g + b and product == a * total


def _judged(rng: random.Random) -> tuple[str, str]:
    chain, verdict = re.fullmatch(r"(.*) is (correct|incorrect)\.", judged_check(rng)).groups()
    return chain, verdict


def test_a_check_is_judged_incorrect_exactly_when_it_is_false():
    rng = random.Random(1)
    verdicts = []
    for _ in range(2000):
        chain, verdict = _judged(rng)
        assert (verdict == "correct") == _is_true(chain)
        verdicts.append(verdict)
    assert 0.4 < verdicts.count("incorrect") / len(verdicts) < 0.6


def test_landing_alone_does_not_give_the_verdict_away():
    """True checks land too (a right guess), so a judge must read the arithmetic, not the "= 0"."""
    rng = random.Random(2)
    landing_verdicts = [verdict for chain, verdict in (_judged(rng) for _ in range(2000)) if chain.endswith("= 0$")]
    share = landing_verdicts.count("correct") / len(landing_verdicts)
    assert 0.3 < share < 0.7


def test_judged_lines_are_deterministic_per_seed():
    assert judged_line(random.Random(1)) == judged_line(random.Random(1)) != judged_line(random.Random(2))
    assert judging_line(random.Random(1)) == judging_line(random.Random(1))


def test_a_group_is_judged_incorrect_exactly_when_one_of_its_checks_is_false():
    rng = random.Random(3)
    verdicts, sizes = [], set()
    for _ in range(2000):
        checks, verdict = re.fullmatch(r"(.*) The above is (correct|incorrect)\.", judged_group(rng)).groups()
        chains = checks.removesuffix(".").split(". ")
        sizes.add(len(chains))
        assert (verdict == "correct") == all(_is_true(chain) for chain in chains)
        assert sum(not _is_true(chain) for chain in chains) <= 1
        verdicts.append(verdict)
    assert sizes == {1, 2, 3} and 0.4 < verdicts.count("incorrect") / len(verdicts) < 0.6


@pytest.mark.usefixtures("one_thread")
def test_judging_learns_only_the_verdicts_deterministically(tiny_backbone_dir, tmp_path, monkeypatch):
    """The loss covers the verdict words alone; a few steps change the weights, reproducibly by seed."""
    import mathft.backbones.drill as drill

    seen = []
    verdict_mask = drill._verdict_mask

    def spy(tokenizer):
        mask_of = verdict_mask(tokenizer)

        def recorded(input_ids):
            mask = mask_of(input_ids)
            seen.append([tokenizer.decode(int(i)).strip() for i in input_ids[mask]])
            return mask

        return recorded

    part_loss, parts = drill._part_loss, []

    def recorded_part(model, tokenizer, lines, mask):
        parts.append((len(lines), mask is None, lines))
        return part_loss(model, tokenizer, lines, mask)

    monkeypatch.setattr(drill, "_verdict_mask", spy)
    monkeypatch.setattr(drill, "_part_loss", recorded_part)
    _twice_alike(lambda model_dir: judge_on_drill(model_dir, 2, batch_size=4, seed=0), tiny_backbone_dir, tmp_path)
    assert set(word for batch in seen for word in batch) == {"correct", "incorrect"}
    assert all(4 <= len(batch) <= 4 * 4 for batch in seen)  # one verdict per group, or four per line
    # Each step: 4 judging texts (verdicts only) and 2 writing lines learned whole (2 runs x 2 steps).
    assert [(n, whole) for n, whole, _ in parts] == [(4, False), (2, True)] * 4
    assert all(" is " not in line for n, whole, lines in parts if whole for line in lines)


def test_judging_refuses_zero_steps(tiny_backbone_dir):
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        judge_on_drill(tiny_backbone_dir, 0)

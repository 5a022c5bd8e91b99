"""An arithmetic drill for a scratch backbone: a stand-in for the pretraining a real LLM brings.

The paper fine-tunes a pretrained LLM that already knows arithmetic, so its evaluator can tell a false step
in a solution from a true one. A tiny model trained from scratch on the synthetic task does not learn the
facts from a few thousand solutions (about 43% of the demo generator's single-digit products are right). A
short causal-LM pass over dense, true chains of the form ``factored_linear``'s checks use gives it
those facts before any fine-tuning; the task itself (guessing, checking, judging) is still learned from the
fine-tuning data only. Fine-tuning unlearns much of what the drill taught (see ``factored_linear``'s
docstring: products 97% right after the drill, 22-37% after SSFT).

Measured (2026-12-01, experiment scripts not kept): this 4-layer, 128-wide model does not learn to *judge* a
check it can write, which caps the demo's evaluators. A judging drill, half of whose chains carried one false
step (a false sum, a false product, a product replaced by the chain's first number so that it lands, or a
false sign) and every chain followed by ``is correct.`` / ``is incorrect.`` (loss on the false chains'
tokens masked), judged fresh chains with AUROC 0.64 after 200 steps and 0.63 after 1600, telling false
landings apart by their ``= 0`` and false sums not at all; a 256-wide model (3.5M parameters) was no
better (0.64 after 1000 steps). Training only the verdict on such chains from this drill's backbone
(which writes 97% of products right) reached 0.70 after 500 steps and 0.74 after 2500. At this size, writing
a fact is learned far faster than judging one, the reverse of the paper's premise. In the pipeline the
judging drill with the evaluator started from it gave validation AUROC 0.70 / 0.70 and RR.Maj3 minus
Maj1@16 -0.3 [-5.3, 4.7] (margin), -3.3 [-8.7, 1.7] (xent): no gain, so it was not kept.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from mathft.data.synthetic_checkable import factored_check

__all__ = ["drill_chain", "drill_line", "pretrain_on_drill"]

_CHAINS_PER_LINE = 4


def drill_chain(rng: random.Random) -> str:
    """One true check of ``factored_linear`` (a small sum, one product, a sign), for a guess near the answer."""
    a, guess, b = rng.randint(2, 9), rng.randint(0, 17), rng.randint(1, 9)
    x = max(0, guess + rng.randint(-3, 3))
    return f"${factored_check(a, guess, b, a * (x + b))[0]}$"


def drill_line(rng: random.Random) -> str:
    """One training text: a few chains in a row, so that every position but the first few is a fact."""
    return " ".join(drill_chain(rng) + "." for _ in range(_CHAINS_PER_LINE))


def pretrain_on_drill(model_dir: str | Path, steps: int, *, lr: float = 3e-3, batch_size: int = 32,
                      seed: int = 0, log_every: int = 100) -> float:
    """Train the causal LM in ``model_dir`` on drill lines for ``steps`` steps and save it in place.

    A plain loop (one process, CPU or the default device): it runs once, for a tiny model, before the
    pipeline's fine-tuning stages. AdamW with a 50-step warmup and a linear decay to 5% of ``lr``.

    Args:
        model_dir: HF directory of the model and its tokenizer (as :func:`write_tiny_backbone` writes).
        steps: Optimizer steps.
        lr: Peak learning rate.
        batch_size: Lines per step.
        seed: Seed of the drill lines and of the torch RNG.
        log_every: Print the loss every this many steps (to stderr).

    Returns:
        The loss of the last step.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    model.train()
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 50) * max(0.05, 1 - step / steps))
    start, loss_value = time.perf_counter(), float("nan")
    for step in range(steps):
        batch = tokenizer([drill_line(rng) for _ in range(batch_size)], return_tensors="pt", padding=True)
        labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
        loss = model(**batch, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        loss_value = loss.item()
        if (step + 1) % log_every == 0 or step + 1 == steps:
            print(f"arithmetic drill: step {step + 1}/{steps}, loss {loss_value:.3f}, "
                  f"{time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
    model.save_pretrained(str(model_dir))
    return loss_value

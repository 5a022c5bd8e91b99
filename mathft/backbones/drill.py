"""An arithmetic drill for a scratch backbone: a stand-in for the pretraining a real LLM brings.

The paper fine-tunes a pretrained LLM that already knows arithmetic, so its evaluator can tell a false step
in a solution from a true one. A tiny model trained from scratch on the synthetic task does not learn the
facts from a few thousand solutions (about 43% of the demo generator's single-digit products are right). A
short causal-LM pass over dense, true chains of the form ``factored_linear``'s checks use gives it
those facts before any fine-tuning; the task itself (guessing, checking, judging) is still learned from the
fine-tuning data only. Fine-tuning unlearns much of what the drill taught (see ``factored_linear``'s
docstring: products 97% right after the drill, 22-37% after SSFT).

Measured (2026-12-01, experiment scripts not kept; 4 layers, 128 wide, 32 lines a step, 2 CPU cores):

* **Writing a fact is learned from the drill; judging one needs its own training, at the right rate.**
  Verdict-only training (the loss on the verdict word alone) of this drill's backbone on single-digit
  products ``a \\cdot b = p`` (a false ``p`` off by 1, 2, ``a`` or 10) sits at chance for about 500 steps,
  then rises suddenly: AUROC 0.65 after 500 steps, 0.98 after 1000, 0.998 after 1500 at lr 1e-3; at lr 3e-3
  (no warmup) it stayed at 0.51 for 800 steps. A digit times a number up to 17: 0.78 after 1000 steps, 0.83
  after 1500. Earlier runs (judging mixed into the writing drill from scratch, or verdict-only from this
  backbone) had stopped at 0.63-0.74 after up to 2500 steps. Eight layers instead of four did not help
  (modular facts from scratch, 500 steps).
* **Judging whole checks** (:func:`false_chain`'s kinds, one verdict after each check): 0.80 after 1000 steps,
  0.91 after 5500 (about 25 minutes). On the generator's own checks (``configs/pipeline/demo.yaml``, then
  named demo_drilled: 1695 distinct checks in 3000 of its test samples) that backbone scored 0.81 (0.86
  on the checks that land), and scoring each sample by its least-trusted check re-ranked them to RR.Maj3 38.7% against
  Maj1@16 21.7% (Pass@16 73.0): the skill the paper's evaluator relies on, in miniature. This module's
  :func:`judge_on_drill` (the same texts), 1500 steps from this drill's 400-step backbone: 0.65 on the
  generator's checks (the experiment: 0.67 at 1500 steps); with one verdict after one to three checks
  from the start instead, 0.58.
* **The fine-tuned evaluator uses it only with a longer, gentler fit.** Started from that backbone (after
  1000 more steps of grouped verdicts, one ``The above is correct.`` after one to three checks), the
  pipeline's evaluators (``evaluator.init=backbone``, the paper's prompt) after 120 steps reached test
  AUROC 0.66-0.74 and RR.Maj3 minus Maj1@16 +2.3 to +7.3 points (lr 1e-3 and 3e-4, or only the top layer
  trained), the same as from a backbone never taught to judge (+3.7 xent, +6.7 margin at lr 3e-4): they
  learn surface features (a sample's length alone gives AUROC 0.74). After 400 steps at lr 3e-4 (xent, one
  run each) the judging backbone's evaluator reached validation AUROC 0.78, test AUROC 0.81, RR.Maj3
  minus Maj1@16 +8.3 [2.0, 14.3] and RR.All minus Maj1@16 +9.7 [3.0, 16.0]; the same fit from the backbone
  never taught to judge: 0.73, 0.75, +5.3 [-0.7, 10.7] and +4.0 [-2.0, 10.3] (paired, judging minus not:
  RR.Maj3 +3.0 [-2.3, 8.7], RR.All +5.7 [0.0, 11.3]; not resolved at 300 problems).
* **This module's judging drill does not reproduce that, and it weakens the generator** (2026-12-01, the
  demo's config with ``judge_steps: 5500``, ``evaluator.init=backbone``, 400 evaluator steps at lr 3e-4).
  The generator fine-tuned from the judging backbone fell out of the regime: Pass@1 11.3, Maj1@16 11.0,
  Pass@16 57.0, against 13.3 / 21.7 / 73.0 from the drilled backbone; its evaluators reached validation
  AUROC 0.59 (margin) / 0.58 (xent) and RR.Maj3 minus Maj1@16 was -4.3 / -3.3 points. On the drilled
  backbone's generator and samples, evaluators started from that judging backbone reached validation AUROC
  0.67 / 0.70 and RR.Maj3 minus Maj1@16 +0.0 / +6.0 points, no better than from the drilled backbone (the
  run above had 1000 more steps of grouped verdicts; one run each does not say whether they are what made
  the difference). So ``backbone.scratch.judge_steps`` is off in every shipped config.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mathft.data.synthetic_checkable import factored_check

__all__ = ["drill_chain", "drill_line", "false_chain", "judged_check", "judged_line", "pretrain_on_drill",
           "judge_on_drill"]

_CHAINS_PER_LINE = 4
# The false steps of a check, weighted as the demo's guessing generator writes them when it makes a wrong
# guess land (tallied on configs/pipeline/demo.yaml's test samples, 2026-12-01: a product replaced
# by the problem's number 1234 times, a sum and then that product 899, a sum whose product lands 699, a
# false sign 74) plus plain slips that do not land.
_FALSE_KINDS = {"landing": 0.35, "sum_landing": 0.2, "sum_and_landing": 0.2, "product": 0.1, "sign": 0.1,
                "sum": 0.05}


def _operands(rng: random.Random, lands: bool = False) -> tuple[int, int, int, int]:
    """``a``, a guess, ``b`` and the problem's ``c = a (x + b)`` for an answer ``x`` near the guess
    (the guess itself when ``lands``)."""
    a, guess, b = rng.randint(2, 9), rng.randint(0, 17), rng.randint(1, 9)
    x = guess if lands else max(0, guess + rng.randint(-3, 3))
    return a, guess, b, a * (x + b)


def drill_chain(rng: random.Random) -> str:
    """One true check of ``factored_linear`` (a small sum, one product, a sign), for a guess near the answer."""
    a, guess, b, c = _operands(rng)
    return f"${factored_check(a, guess, b, c)[0]}$"


def _sign(diff: int) -> str:
    return "= 0" if diff == 0 else ("> 0" if diff > 0 else "< 0")


def _near(rng: random.Random, value: int, avoid: int) -> int:
    """A positive number one or two away from ``value``, other than ``avoid``."""
    return rng.choice([value + d for d in (-2, -1, 1, 2) if value + d > 0 and value + d != avoid])


def false_chain(rng: random.Random) -> str:
    """A check in :func:`drill_chain`'s form with a false step (one of ``_FALSE_KINDS``, by weight).

    The landing kinds (``landing``: the product replaced by ``c``; ``sum_landing``: the sum replaced by the
    one whose product is ``c``; ``sum_and_landing``: a false sum, then ``c`` as its product) are how a
    guess that misses is made to land; ``product``, ``sum`` and ``sign`` are slips.
    """
    a, guess, b, c = _operands(rng)
    kind = rng.choices(list(_FALSE_KINDS), weights=list(_FALSE_KINDS.values()))[0]
    landing_total = c // a
    if kind in ("landing", "sum_landing", "sum_and_landing") and guess + b == landing_total:
        guess += 1  # the guess is right: a landing would be true, so land a guess that misses
    total = guess + b
    value = a * total
    if kind == "landing":
        value = c
    elif kind == "sum_landing":
        total, value = landing_total, c
    elif kind == "sum_and_landing":
        total, value = _near(rng, total, landing_total), c
    elif kind == "sum":
        total = _near(rng, total, -1)
        value = a * total
    elif kind == "product":
        value = rng.choice([value + d for d in (-a, a, -2, -1, 1, 2, -10, 10) if value + d > 0])
    sign = _sign(c - value)
    if kind == "sign":
        sign = rng.choice([other for other in ("= 0", "> 0", "< 0") if other != sign])
    return f"${c} - {a}({guess} + {b}) = {c} - {a} \\cdot {total} = {c} - {value} {sign}$"


def _true_chain(rng: random.Random) -> str:
    """A true check that lands half the time, as a right guess's check ends a solution (so that landing
    alone does not tell a false check from a true one)."""
    a, guess, b, c = _operands(rng, lands=rng.random() < 0.5)
    return f"${factored_check(a, guess, b, c)[0]}$"


def judged_check(rng: random.Random) -> str:
    """A check and its verdict, ``... is correct.`` or ``... is incorrect.``; half the checks are false."""
    if rng.random() < 0.5:
        return f"{false_chain(rng)} is incorrect."
    return f"{_true_chain(rng)} is correct."


def judged_line(rng: random.Random) -> str:
    """One judging text: a few :func:`judged_check` s in a row."""
    return " ".join(judged_check(rng) for _ in range(_CHAINS_PER_LINE))


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
    return _train_on_lines(model_dir, steps, "arithmetic drill", drill_line, None, lr=lr, batch_size=batch_size,
                           seed=seed, log_every=log_every, decay=True, clip_norm=1.0)


def judge_on_drill(model_dir: str | Path, steps: int, *, lr: float = 1e-3, batch_size: int = 32,
                   seed: int = 0, log_every: int = 100) -> float:
    """Train the causal LM in ``model_dir`` to judge checks (:func:`judged_line`) and save it in place.

    Only the verdict words are learned (the checks, true and false, are context), so the model learns to
    tell a false step from a true one without learning to write false ones. AdamW, a 50-step warmup, then
    a constant ``lr``: the verdict is learned suddenly, after a plateau at chance (at 3e-3 without a warmup,
    judging products stayed at chance for 800 steps; see the module docstring).

    Args:
        model_dir: HF directory of the model and its tokenizer, drilled first (:func:`pretrain_on_drill`).
        steps: Optimizer steps.
        lr: Learning rate after the warmup.
        batch_size: Lines per step.
        seed: Seed of the judged lines and of the torch RNG.
        log_every: Print the loss every this many steps (to stderr).

    Returns:
        The verdict loss of the last step.

    Raises:
        ValueError: When ``steps < 1``, or when `` correct`` and `` incorrect`` start with the same token.
    """
    return _train_on_lines(model_dir, steps, "judging drill", judged_line, _verdict_mask, lr=lr,
                           batch_size=batch_size, seed=seed, log_every=log_every, decay=False,
                           clip_norm=None)  # as measured


def _verdict_mask(tokenizer: Any) -> Callable[[Any], Any]:
    """``input_ids -> where they hold a verdict word``: the first token of `` correct`` or `` incorrect`` as
    it follows "is" (:func:`mathft.modules.verdict.verdict_tokens`, the evaluator's own verdict ids)."""
    import torch

    from mathft.modules.verdict import verdict_tokens

    tokens = verdict_tokens(tokenizer)
    ids = sorted({tokens.correct[0], tokens.incorrect[0]})
    if len(ids) < 2:
        raise ValueError("the tokenizer gives ' correct' and ' incorrect' the same first token")
    verdicts = torch.tensor(ids)
    return lambda input_ids: torch.isin(input_ids, verdicts)


def _train_on_lines(model_dir: str | Path, steps: int, name: str, make_line: Callable[[random.Random], str],
                    learned: Callable[[Any], Callable[[Any], Any]] | None, *, lr: float, batch_size: int,
                    seed: int, log_every: int, decay: bool, clip_norm: float | None) -> float:
    """The plain training loop both drills share.

    ``learned`` builds, from the tokenizer, the mask of the positions whose tokens are learned (``None``:
    every token but padding); ``decay`` decays the rate linearly to 5% of ``lr`` after the 50-step warmup;
    ``clip_norm`` clips the gradient.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    model.train()
    mask = learned(tokenizer) if learned is not None else None
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 50) * (max(0.05, 1 - step / steps) if decay else 1.0))
    start, loss_value = time.perf_counter(), float("nan")
    for step in range(steps):
        batch = tokenizer([make_line(rng) for _ in range(batch_size)], return_tensors="pt", padding=True)
        labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
        if mask is not None:
            labels = labels.masked_fill(~mask(batch.input_ids), -100)
        loss = model(**batch, labels=labels).loss
        loss.backward()
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        loss_value = loss.item()
        if (step + 1) % log_every == 0 or step + 1 == steps:
            print(f"{name}: step {step + 1}/{steps}, loss {loss_value:.3f}, "
                  f"{time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
    model.save_pretrained(str(model_dir))
    return loss_value

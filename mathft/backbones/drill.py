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
* **Judging alone weakened the generator** (2026-12-01, the judging drill as it then was: verdicts only,
  5500 steps, in the demo's config with ``evaluator.init=backbone``, 400 evaluator steps at lr 3e-4). The
  generator fine-tuned from that backbone fell out of the regime: Pass@1 11.3, Maj1@16 11.0, Pass@16 57.0,
  against 13.3 / 21.7 / 73.0 from the drilled backbone; its evaluators reached validation AUROC 0.59
  (margin) / 0.58 (xent) and RR.Maj3 minus Maj1@16 was -4.3 / -3.3 points.
* **With the writing drill replayed beside it** (:func:`judge_on_drill` since 2026-12-01: each step 32 judging
  texts, verdicts only, half of them one verdict per group of checks, and 16 writing lines; 2500 steps, about
  15 CPU-minutes) the backbone keeps and even improves its writing (60 of 60 products right, against 37 after
  the drill alone) and judges fresh checks at AUROC 0.79 (one verdict per check) and 0.73 (per group). The
  generator fine-tuned from it is in the paper's regime but strong at voting (demo config, 128 new tokens, 300
  test problems): Pass@1 18.7, Maj1@16 57.0, Pass@16 77.3. Its wrong solutions often reach their answer
  through true arithmetic and a false ``= 0`` (``147 - 154 = 0`` ends 339 of the 922 wrong samples with an
  answer), and the backbone itself ranks the samples with an answer at AUROC 0.72 (its least-trusted check per
  sample, 1488 of them); the evaluators reach validation AUROC 0.82 (margin) / 0.93 (xent), but only 0.59 /
  0.69 among the test samples that reach an answer, and re-ranking falls behind voting: RR.Maj3 minus Maj1@16
  -7.0 [-12.3, -1.7] / -9.7 [-14.7, -4.7]. An earlier mix (no ``zero_landing`` kind; one run, with a script
  outside mathft) judged checks at 0.90 and gave the same picture: Maj1@16 59.0, RR.Maj3 minus Maj1@16 -5.7 /
  -7.7. With every kind of false step equally likely, 2500 steps stayed at chance (AUROC 0.49). With 192 new
  tokens instead (the same generator; 53% of its samples then reach an answer, against 39% with 128) voting
  weakens (Maj1@16 51.0, Pass@16 77.7) and the evaluators judge better: RR.Maj3 minus Maj1@16 +2.3 [-3.3, 8.0]
  (margin) / +2.3 [-3.0, 7.7] (xent), AUROC among answered samples 0.71 / 0.73; +4.0 [-1.0, 9.3] (xent, 240
  steps, 0.755) and +4.7 [-0.7, 10.0] (margin, ``evaluator.init=backbone``, 0.735), one run each. That run
  takes about 360 s before the multi-task stage, over the demo's budget. Everything above splits digits one
  per token.
* **With numbers as tokens** (``backbone.scratch.number_tokens=300``: every integer below 300 one token, as
  in Llama 3's tokenizer), a false product is one wrong token after two operands, and judging is learned in
  fewer steps: after the 400-step writing drill and 1200 judging steps (about 8 CPU-minutes; the loss fell
  from 1.10 to 0.87 after step 800) the backbone ranks fresh checks at AUROC 0.80 (the same build without the
  judging drill: 0.44) and judges the answered samples of a generator fine-tuned from the writing-only build
  at 0.88 (its least-trusted check per sample; that build: 0.54). ``configs/pipeline/demo.yaml`` ships it:
  there the margin evaluator re-ranks 9-11 points above majority voting (see its header and the README).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathft.data.synthetic_checkable import factored_check

__all__ = ["drill_chain", "drill_line", "false_chain", "judged_check", "judged_line", "judged_group",
           "judging_line", "pretrain_on_drill", "judge_on_drill"]

_CHAINS_PER_LINE = 4
# The false steps of a check. Most fake a landing, the four ways a guess that misses can be made to end
# "= 0": the product replaced by c, the sum replaced by the one whose product is c, a false sum and then c
# as its product, or true arithmetic with a false "= 0". The rest are slips that do not land. (With every
# kind equally likely, 2500 steps of the judging drill stayed at chance, 2026-12-01.)
_FALSE_KINDS = {"landing": 0.3, "sum_landing": 0.15, "sum_and_landing": 0.15, "zero_landing": 0.15,
                "product": 0.1, "sign": 0.1, "sum": 0.05}
# Lines per step of the judging drill that replay the writing drill, as a share of its judged lines: without
# them judging training unlearns writing (a generator fine-tuned from such a backbone fell out of the regime).
_WRITING_SHARE = 0.5


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
    one whose product is ``c``; ``sum_and_landing``: a false sum, then ``c`` as its product;
    ``zero_landing``: every step true, then ``= 0`` although the value is not ``c``) are the ways a guess
    that misses is made to land; ``product``, ``sum`` and ``sign`` (the wrong one of ``> 0`` / ``< 0``) are
    slips.
    """
    a, guess, b, c = _operands(rng)
    kind = rng.choices(list(_FALSE_KINDS), weights=list(_FALSE_KINDS.values()))[0]
    landing_total = c // a
    if kind in ("landing", "sum_landing", "sum_and_landing", "zero_landing") and guess + b == landing_total:
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
    if kind == "zero_landing":
        sign = "= 0"  # the guess misses (value != c): a false landing with every step before it true
    elif kind == "sign":
        sign = rng.choice([other for other in ("> 0", "< 0") if other != sign])  # a slip that does not land
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


def judged_group(rng: random.Random) -> str:
    """One to three checks, then one verdict on them all: ``The above is correct.`` when every check is
    true, ``... incorrect.`` when one is false (half the groups; mostly the last, where a faked landing
    sits in a solution)."""
    count = rng.randint(1, 3)
    false_at = (count - 1 if rng.random() < 0.7 else rng.randrange(count)) if rng.random() < 0.5 else None
    checks = [false_chain(rng) if i == false_at else _true_chain(rng) for i in range(count)]
    verdict = "correct" if false_at is None else "incorrect"
    return " ".join(f"{check}." for check in checks) + f" The above is {verdict}."


def judging_line(rng: random.Random) -> str:
    """One text of the judging drill: a verdict after each check (:func:`judged_line`) or one verdict after
    a group of checks (:func:`judged_group`), half each."""
    return judged_line(rng) if rng.random() < 0.5 else judged_group(rng)


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
    return _train_on_lines(model_dir, steps, "arithmetic drill", [_Part(drill_line, None, batch_size)], lr=lr,
                           seed=seed, log_every=log_every, decay=True, clip_norm=1.0)


def judge_on_drill(model_dir: str | Path, steps: int, *, lr: float = 1e-3, batch_size: int = 32,
                   seed: int = 0, log_every: int = 100) -> float:
    """Train the causal LM in ``model_dir`` to judge checks while it keeps writing them; save it in place.

    Each step holds ``batch_size`` judging texts (:func:`judging_line`), on which only the verdict words
    are learned (the checks, true and false, are context, so no false step is learned as writing), and
    half as many writing-drill lines (:func:`drill_line`, every token learned), so that judging is added
    to the drilled writing rather than traded for it. AdamW, a 50-step warmup, then a constant ``lr``
    (the verdict is learned suddenly after a plateau at chance; see the module docstring).

    Args:
        model_dir: HF directory of the model and its tokenizer, drilled first (:func:`pretrain_on_drill`).
        steps: Optimizer steps.
        lr: Learning rate after the warmup.
        batch_size: Judging texts per step.
        seed: Seed of the texts and of the torch RNG.
        log_every: Print the loss every this many steps (to stderr).

    Returns:
        The loss of the last step (verdicts plus writing).

    Raises:
        ValueError: When ``steps < 1``, or when `` correct`` and `` incorrect`` start with the same token.
    """
    parts = [_Part(judging_line, _verdict_mask, batch_size),
             _Part(drill_line, None, max(1, round(batch_size * _WRITING_SHARE)))]
    return _train_on_lines(model_dir, steps, "judging drill", parts, lr=lr, seed=seed, log_every=log_every,
                           decay=False, clip_norm=1.0)


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


@dataclass(frozen=True)
class _Part:
    """Texts of one kind in each step of a drill.

    Attributes:
        make_line: One text from the drill's RNG.
        learned: Builds, from the tokenizer, the mask of the positions whose tokens are learned (``None``:
            every token but padding).
        lines: Texts per step.
    """

    make_line: Callable[[random.Random], str]
    learned: Callable[[Any], Callable[[Any], Any]] | None
    lines: int


def _train_on_lines(model_dir: str | Path, steps: int, name: str, parts: list[_Part], *, lr: float, seed: int,
                    log_every: int, decay: bool, clip_norm: float | None) -> float:
    """The plain training loop both drills share: each step sums one loss per part (each part's texts
    padded as their own batch, so a short verdict-only text is not weighed against a long written one).

    ``decay`` decays the rate linearly to 5% of ``lr`` after the 50-step warmup; ``clip_norm`` clips the
    gradient.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    model.train()
    masks = [part.learned(tokenizer) if part.learned is not None else None for part in parts]
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 50) * (max(0.05, 1 - step / steps) if decay else 1.0))
    start, loss_value = time.perf_counter(), float("nan")
    for step in range(steps):
        loss = sum(_part_loss(model, tokenizer, [part.make_line(rng) for _ in range(part.lines)], mask)
                   for part, mask in zip(parts, masks, strict=True))
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


def _part_loss(model: Any, tokenizer: Any, lines: list[str], mask: Callable[[Any], Any] | None) -> Any:
    """The causal-LM loss of ``lines`` on the tokens ``mask`` keeps (every token but padding when ``None``)."""
    batch = tokenizer(lines, return_tensors="pt", padding=True)
    labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
    if mask is not None:
        labels = labels.masked_fill(~mask(batch.input_ids), -100)
    return model(**batch, labels=labels).loss

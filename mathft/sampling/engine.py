"""The decoding loop: prefill a group of prompts once, fan each out to its samples, decode with a KV cache.

Work saved against ``generate(num_return_sequences=N)``:

* the prompt is prefilled once per problem, not N times: its KV cache is copied along the batch with
  ``Cache.batch_select_indices`` (a public transformers API) after the prefill;
* finished rows (EOS or stop string) leave the running batch (again ``batch_select_indices``) as soon
  as they are an eighth of it, instead of being decoded as padding until the slowest row ends;
* new keys/values are written into a cache reserved for the whole solution instead of re-concatenated
  (``PreallocatedLayer``);
* the per-step bookkeeping is a handful of tensor ops with no logits-processor or stopping-criteria
  machinery around it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mathft.sampling.cache import preallocate
from mathft.sampling.config import SamplingConfig
from mathft.sampling.processors import draw_tokens, greedy_tokens
from mathft.sampling.stopping import StopStringMatcher

__all__ = ["Prefill", "RowOutputs", "prefill", "decode_rows"]

# Finish codes while decoding; mapped to ``FinishReason`` strings when results are assembled.
LENGTH, EOS, STOP = 0, 1, 2
_COMPACT_EVERY = 8


@dataclass
class Prefill:
    """The encoded prompts of one group: their cache, last-position logits and attention mask."""

    cache: Any
    logits: torch.Tensor
    attention_mask: torch.Tensor


@dataclass
class RowOutputs:
    """Decoded rows: ``tokens[r, :lengths[r]]`` is row r's solution (EOS excluded); ``codes`` its finish code."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    codes: torch.Tensor


def _forward_options(model: Any) -> tuple[str, dict[str, Any]]:
    """The cache keyword of ``model.forward`` and the prefill extras it accepts.

    transformers 5.x renamed ``past_key_values`` to ``cache`` (the old name still works, with a warning);
    ``logits_to_keep=1`` spares the prefill a vocabulary projection at every prompt position.
    """
    parameters = inspect.signature(model.forward).parameters
    cache_kwarg = "cache" if "cache" in parameters else "past_key_values"
    extra = {"logits_to_keep": 1} if "logits_to_keep" in parameters else {}
    return cache_kwarg, extra


def _returned_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


def prefill(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Prefill:
    """Run the left-padded prompts through the model once and keep the cache and last logits.

    Position ids count real tokens only (``cumsum(mask) - 1``), as HF ``generate`` builds them, so a prompt's
    numbers do not depend on how much padding its batch needed.
    """
    position_ids = (attention_mask.cumsum(-1) - 1).clamp_(min=0)
    _, extra = _forward_options(model)
    out = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        use_cache=True,
        **extra,
    )
    logits = out.logits[:, -1].to(dtype=torch.float32)
    return Prefill(cache=_returned_cache(out), logits=logits, attention_mask=attention_mask)


def _choose(logits: torch.Tensor, uniforms: torch.Tensor | None, config: SamplingConfig) -> torch.Tensor:
    if uniforms is None:
        return greedy_tokens(logits)
    return draw_tokens(logits, uniforms, temperature=config.temperature, top_p=config.top_p, top_k=config.top_k)


def _finished(
    tokens: torch.Tensor,
    out: torch.Tensor,
    live: torch.Tensor,
    step: int,
    eos_ids: torch.Tensor,
    matcher: StopStringMatcher,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which running rows ended with this step's token: ``(by_eos, by_stop_string)``."""
    by_eos = torch.isin(tokens, eos_ids) if eos_ids.numel() else torch.zeros_like(tokens, dtype=torch.bool)
    if not matcher.active:
        return by_eos, torch.zeros_like(by_eos)
    tails = out[live, max(0, step + 1 - matcher.window) : step + 1].cpu()
    by_stop = matcher.matches(tails).to(tokens.device) & ~by_eos
    return by_eos, by_stop


def _decode_step(
    model: Any, cache_kwarg: str, cache: Any, tokens: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor
) -> torch.Tensor:
    """Feed one token per row through the model and return the next logits, ``FloatTensor[R, V]``."""
    output = model(
        input_ids=tokens.unsqueeze(-1),
        attention_mask=mask,
        position_ids=positions.unsqueeze(-1),
        use_cache=True,
        **{cache_kwarg: cache},
    )
    return output.logits[:, -1].to(dtype=torch.float32)


def _worth_compacting(slots: int, running: int) -> bool:
    """Drop finished rows once they are an eighth of the batch.

    Dropping copies every surviving row's cache, about the memory traffic of one decoding step, while a
    finished row left in place wastes only its share of each step; waiting for an eighth bounds both the
    wasted compute (< 1/8 of a step) and the copies (a few per halving of the batch).
    """
    finished = slots - running
    return finished > 0 and finished * _COMPACT_EVERY >= slots


def decode_rows(
    model: Any,
    group: Prefill,
    row_source: torch.Tensor,
    uniforms: torch.Tensor | None,
    config: SamplingConfig,
    eos_ids: Sequence[int],
    matcher: StopStringMatcher,
    pad_id: int,
    on_step: Callable[[int], None] | None = None,
) -> RowOutputs:
    """Decode one batch of rows that all start from prompts of one prefilled group.

    Args:
        model: The causal LM (in eval mode, called under ``torch.inference_mode``).
        group: The group's prefill; its cache is consumed (mutated), copy it first to reuse it.
        row_source: ``LongTensor[R]``, the group prompt each row continues.
        uniforms: ``DoubleTensor[R, max_new_tokens]``, each row's random stream; ``None`` decodes greedily.
        config: Sampling settings (warping, ``max_new_tokens``).
        eos_ids: Tokens that end a row.
        matcher: Stop-string detector.
        pad_id: Filler for positions after a row's end.
        on_step: Called after each step with the number of tokens generated in it.
    """
    device = group.logits.device
    cache_kwarg, _ = _forward_options(model)
    rows, steps = row_source.numel(), config.max_new_tokens
    row_source = row_source.to(device)
    uniforms = None if uniforms is None else uniforms.to(device)
    eos = torch.as_tensor(list(eos_ids), dtype=torch.long, device=device)
    out = torch.full((rows, steps), pad_id, dtype=torch.long, device=device)
    lengths = torch.full((rows,), steps, dtype=torch.long, device=device)
    codes = torch.full((rows,), LENGTH, dtype=torch.long, device=device)

    # Room for the prompt and the whole solution: each step then writes in place (see cache.py).
    preallocate(group.cache, group.attention_mask.shape[-1] + steps)
    live = torch.arange(rows, device=device)  # output row of each batch slot
    running = torch.ones(rows, dtype=torch.bool, device=device)  # slot has not finished
    source = row_source  # cache row each slot reads; the prefill rows until the first fan-out
    mask = group.attention_mask
    positions = mask.sum(-1)  # next position of each prefill row = its number of real prompt tokens
    logits = group.logits[row_source]
    for step in range(steps):
        tokens = _choose(logits, None if uniforms is None else uniforms[live, step], config)
        out[live[running], step] = tokens[running]
        by_eos, by_stop = _finished(tokens, out, live, step, eos, matcher)
        by_eos, by_stop = by_eos & running, by_stop & running
        lengths[live[by_eos]] = step
        lengths[live[by_stop]] = step + 1
        codes[live[by_eos]], codes[live[by_stop]] = EOS, STOP
        ended = by_eos | by_stop
        # One host sync per step serves the progress count and both decisions below.
        generated, still_running = torch.stack([running.sum(), (running & ~ended).sum()]).tolist()
        if on_step is not None:
            on_step(generated)
        running &= ~ended
        if step == steps - 1 or still_running == 0:
            break
        if step == 0 or _worth_compacting(running.numel(), still_running):
            # Fan the prompt cache out to the samples (step 0) and drop finished rows, in one copy.
            keep = running.nonzero().squeeze(1)
            select = source[keep]
            group.cache.batch_select_indices(select)
            mask, positions = mask[select], positions[select]
            source = torch.arange(keep.numel(), device=device)
            live, tokens, running = live[keep], tokens[keep], running[keep]
        mask = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=-1)
        logits = _decode_step(model, cache_kwarg, group.cache, tokens, mask, positions)
        positions = positions + 1
    return RowOutputs(tokens=out.cpu(), lengths=lengths.cpu(), codes=codes.cpu())

"""``sample_solutions``: N solutions per problem from any HF causal LM, fast and reproducible."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from mathft.sampling.batching import left_pad, plan_prefill_groups, split_rows
from mathft.sampling.config import SamplingConfig
from mathft.sampling.engine import EOS, STOP, RowOutputs, decode_rows, prefill
from mathft.sampling.progress import SamplingProgress
from mathft.sampling.rng import draw_root_seed, uniform_streams
from mathft.sampling.sample import FinishReason, Sample
from mathft.sampling.stopping import StopStringMatcher, resolve_eos_ids

__all__ = ["evaluation_mode", "sample_solutions", "sample_with_config"]

_REASONS: dict[int, FinishReason] = {EOS: "eos", STOP: "stop"}


def sample_solutions(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    num_samples: int,
    max_new_tokens: int,
    temperature: float = 0.6,
    top_p: float = 0.95,
    top_k: int | None = None,
    greedy: bool = False,
    stop_strings: Sequence[str] = (),
    eos_token_ids: Sequence[int] | None = None,
    seed: int | None = 0,
    batch_size: int = 256,
    problem_keys: Sequence[str] | None = None,
    sample_offset: int = 0,
    progress: bool = False,
) -> list[list[Sample]]:
    """Sample ``num_samples`` solutions for every prompt (see :class:`SamplingConfig` for the settings).

    Only temperature, top-k and top-p shape the distribution; other processors a model's
    ``generation_config`` may name for HF ``generate`` (repetition penalty, ...) are not applied.

    Args:
        model: Any HF causal LM whose cache supports ``batch_select_indices`` (``DynamicCache``).
        tokenizer: Its tokenizer; prompts are encoded with its default special tokens.
        prompts: The problem prompts.
        num_samples: Solutions per problem.
        max_new_tokens: Longest solution in tokens.
        temperature: See :class:`SamplingConfig`.
        top_p: See :class:`SamplingConfig`.
        top_k: See :class:`SamplingConfig`.
        greedy: See :class:`SamplingConfig`.
        stop_strings: See :class:`SamplingConfig`.
        eos_token_ids: See :class:`SamplingConfig`.
        seed: See :class:`SamplingConfig`.
        batch_size: See :class:`SamplingConfig`.
        problem_keys: A stable id per prompt (e.g. the problem id); with ``seed`` and the sample index it
            fixes a sample's randomness, so two prompts with one key get the same samples. Defaults to the
            prompt text itself.
        sample_offset: Index of the first sample: ``sample_offset=64`` draws samples 64.. of each problem,
            the continuation of an earlier run with the same seed and keys.
        progress: Show a progress bar on stderr (problems/s and tokens/s).

    Returns:
        One list per prompt, in prompt order, of its ``num_samples`` samples in sample-index order.
    """
    config = SamplingConfig(
        num_samples=num_samples,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        greedy=greedy,
        stop_strings=tuple(stop_strings),
        eos_token_ids=None if eos_token_ids is None else tuple(eos_token_ids),
        seed=seed,
        batch_size=batch_size,
    )
    return sample_with_config(
        model, tokenizer, prompts, config, problem_keys=problem_keys, sample_offset=sample_offset, progress=progress
    )


@contextmanager
def evaluation_mode(model: Any) -> Iterator[None]:
    """Evaluation mode (no dropout) and no autograd for the call, restoring the caller's mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def _encode(tokenizer: Any, prompts: Sequence[str]) -> list[list[int]]:
    encoded = [list(tokenizer(p)["input_ids"]) for p in prompts]
    for index, ids in enumerate(encoded):
        if not ids:
            raise ValueError(f"prompt {index} encodes to no tokens; the model needs at least one to condition on")
    return encoded


def sample_with_config(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    config: SamplingConfig,
    *,
    problem_keys: Sequence[str] | None = None,
    sample_offset: int = 0,
    progress: bool = False,
) -> list[list[Sample]]:
    """:func:`sample_solutions` with the settings given as one :class:`SamplingConfig`."""
    keys = list(prompts) if problem_keys is None else [str(k) for k in problem_keys]
    if len(keys) != len(prompts):
        raise ValueError(f"problem_keys has {len(keys)} entries for {len(prompts)} prompts")
    if sample_offset < 0:
        raise ValueError(f"sample_offset must be >= 0, got {sample_offset}")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad_id is None:
        raise ValueError("the tokenizer has neither a pad nor an EOS token to pad prompts with")
    encoded = _encode(tokenizer, prompts)
    run = _GroupSampler(
        model=model,
        tokenizer=tokenizer,
        config=config,
        keys=keys,
        seed=draw_root_seed() if config.seed is None else config.seed,
        sample_offset=sample_offset,
        eos_ids=resolve_eos_ids(model, tokenizer, config.eos_token_ids),
        matcher=StopStringMatcher(tokenizer, config.stop_strings),
        pad_id=pad_id,
        bar=SamplingProgress(total=len(prompts), enabled=progress),
    )
    results: list[list[Sample]] = [[] for _ in prompts]
    with evaluation_mode(model), run.bar:
        for group in plan_prefill_groups([len(e) for e in encoded], config.num_samples, config.batch_size):
            for problem, sample in run.sample_group(group, [encoded[i] for i in group]):
                results[problem].append(sample)
            run.bar.add_problems(len(group))
    return results


@dataclass
class _GroupSampler:
    """What one call needs to decode a prefill group: the model, the settings and the per-call constants."""

    model: Any
    tokenizer: Any
    config: SamplingConfig
    keys: list[str]
    seed: int
    sample_offset: int
    eos_ids: tuple[int, ...]
    matcher: StopStringMatcher
    pad_id: int
    bar: SamplingProgress

    def sample_group(self, group: list[int], prompts: list[list[int]]) -> Iterator[tuple[int, Sample]]:
        """Prefill the group's prompts once, then decode its rows batch by batch: ``(problem, sample)`` pairs."""
        device = next(self.model.parameters()).device
        ids, mask = left_pad(prompts, self.pad_id)
        prefilled = prefill(self.model, ids.to(device), mask.to(device))
        batches = split_rows(len(group), self.config.num_samples, self.config.batch_size)
        for number, rows in enumerate(batches):
            # The last batch may consume the prefill cache; earlier ones decode from a copy of it.
            batch_prefill = prefilled if number == len(batches) - 1 else copy.deepcopy(prefilled)
            sample_ids = [(group[p], self.sample_offset + s) for p, s in rows]
            row_source = torch.tensor([p for p, _ in rows], dtype=torch.long)
            outputs = decode_rows(
                self.model, batch_prefill, row_source, self._uniforms(sample_ids), self.config, self.eos_ids,
                self.matcher, self.pad_id, self.bar.add_tokens,
            )
            for (problem, _), sample in zip(sample_ids, _to_samples(self.tokenizer, outputs, sample_ids)):
                yield problem, sample

    def _uniforms(self, sample_ids: list[tuple[int, int]]) -> torch.Tensor | None:
        if self.config.greedy:
            return None
        rows = [(self.keys[problem], index) for problem, index in sample_ids]
        return uniform_streams(self.seed, rows, self.config.max_new_tokens)


def _to_samples(tokenizer: Any, outputs: RowOutputs, sample_ids: Sequence[tuple[int, int]]) -> list[Sample]:
    token_lists = [row[:n].tolist() for row, n in zip(outputs.tokens, outputs.lengths.tolist())]
    texts = tokenizer.batch_decode(token_lists, skip_special_tokens=True)
    return [
        Sample(text=text, token_ids=tuple(tokens), finish_reason=_REASONS.get(code, "length"), sample_idx=index)
        for text, tokens, code, (_, index) in zip(texts, token_lists, outputs.codes.tolist(), sample_ids)
    ]

"""Sampling into, and scoring, a candidate store at scale: sharded over ranks, resumable, kill-safe.

``sample_to_store`` draws the N samples (and optionally the greedy solution) of every problem a rank
owns into that rank's shard of a :class:`~mathft.data.store.CandidateStore`, a chunk of problems at a
time, each chunk appended and fsynced: a killed run loses at most one chunk, and a rerun samples exactly
the missing ``(problem, sample)`` pairs. Because a sample depends only on ``(seed, problem id, sample
index)``, the resumed store equals the store of an uninterrupted run, whatever the number of ranks.

``score_store`` and ``load_scored`` (re-exported here) add evaluator scores beside the candidates and read
them back for re-ranking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mathft.data.fingerprint import ModelSource, read_fingerprint, same_weights
from mathft.data.problem import Problem, first_per_id
from mathft.data.store import CandidateStore, meta_mismatch
from mathft.data.templates import SSFT_PROMPT_TEMPLATE, ssft_prompt
from mathft.grading import Grader, default_grader
from mathft.records import CandidateRecord
from mathft.sampling.api import sample_with_config
from mathft.sampling.config import SamplingConfig
from mathft.sampling.progress import SamplingProgress
from mathft.sampling.prompt_bound import check_prompt_lengths, prompt_token_limit
from mathft.sampling.rng import draw_root_seed
from mathft.sampling.sample import Sample
from mathft.sampling.score_shards import load_scored
from mathft.sampling.scoring import ScoreRunStats, score_store
from mathft.sampling.sharding import owner_rank

__all__ = ["SampleRunStats", "sample_to_store", "sample_fingerprint", "ScoreRunStats", "score_store", "load_scored",
           "owner_rank"]

log = logging.getLogger(__name__)

# Settings that fix what a sample is; a resumed run that changes one would silently mix two distributions.
_SETTINGS = ("seed", "temperature", "top_p", "max_new_tokens")


@dataclass
class SampleRunStats:
    """What one ``sample_to_store`` call did on its rank.

    Attributes:
        problems: Problems this rank owns (after de-duplicating ids and dropping problems without gold).
        samples_written: Candidates appended by this call (greedy ones included).
        samples_skipped: Candidates of this rank's problems already in the store.
        tokens: Generated tokens of the written candidates.
        seconds: Wall time of the call.
        problems_without_gold: Problems dropped because they have no gold answer to grade against.
    """

    problems: int = 0
    samples_written: int = 0
    samples_skipped: int = 0
    tokens: int = 0
    seconds: float = 0.0
    problems_without_gold: int = 0


@dataclass
class _Plan:
    """The work left for one problem: runs ``(first index, count)`` of missing samples, and the greedy one."""

    problem: Problem
    runs: list[tuple[int, int]] = field(default_factory=list)
    greedy: bool = False


@dataclass
class _StoreState:
    """What a resume needs from the store, without holding its texts in memory (stores reach 10^6 records)."""

    done: dict[str, set[int]] = field(default_factory=dict)
    done_greedy: set[str] = field(default_factory=set)
    settings: Mapping[str, Any] | None = None  # the meta of the first sampled record

    @classmethod
    def scan(cls, store: CandidateStore) -> _StoreState:
        """Read every shard once."""
        state = cls()
        for record in store.records():
            if record.greedy:
                state.done_greedy.add(record.problem_id)
                continue
            state.done.setdefault(record.problem_id, set()).add(record.sample_idx)
            if state.settings is None:
                state.settings = dict(record.meta)
        return state


def sample_to_store(
    model: Any,
    tokenizer: Any,
    problems: Sequence[Problem],
    store: CandidateStore,
    config: SamplingConfig,
    *,
    prompt_template: str = SSFT_PROMPT_TEMPLATE,
    include_greedy: bool = False,
    rank: int = 0,
    world_size: int = 1,
    meta: Mapping[str, Any] | None = None,
    chunk_size: int = 16,
    grader: Grader | None = None,
    progress: bool = True,
    source: ModelSource | None = None,
    max_prompt_tokens: int | None = None,
) -> SampleRunStats:
    """Sample ``config.num_samples`` solutions (and the greedy one) per owned problem into ``store``.

    Args:
        model: A HF causal LM on its device (see :func:`mathft.sampling.sample_solutions`).
        tokenizer: Its tokenizer.
        problems: Every problem of the run, the same list on every rank; this rank takes those whose id
            hashes to it (:func:`owner_rank`). A repeated id keeps its first problem; a repeated id in
            the same style with another statement or answer is an error (:func:`~mathft.data.problem.first_per_id`).
        store: The store; records go to ``store.path`` (this rank's shard), resume reads every shard.
        config: Sampling settings; ``config.seed=None`` reuses the store's seed, or draws one.
        prompt_template: Generator prompt with a ``{problem}`` placeholder.
        include_greedy: Also decode one greedy solution per problem (``greedy=True``, ``sample_idx=0``).
        rank: This process's rank.
        world_size: Number of ranks sharing the problems.
        meta: Keys written on every record, e.g. ``{"model": ..., "checkpoint": ...}``.
        chunk_size: Problems sampled between two durable appends (a kill loses at most this many).
        grader: Grades answers into ``correct``; defaults to the process-wide grader.
        progress: Show a progress bar (problems/s, tokens/s) on stderr.
        source: The model's directory, recorded in (and checked against) the store's fingerprint; ``None``
            for a model that has none (the fingerprint then records ``model: null``).
        max_prompt_tokens: Refuse prompts longer than this (default and ceiling: the model's positions less
            ``max_new_tokens``), checked for every owned problem before anything is sampled.

    Raises:
        ValueError: On a bad rank/chunk size, a prompt over the bound, two problems under one id, a store
            another process is writing (:class:`~mathft.data.store_lock.StoreBusyError`), or a store
            sampled with another model, template or setting (:class:`~mathft.data.fingerprint.FingerprintError`).
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    start = time.perf_counter()
    stats = SampleRunStats()
    owned = _owned_problems(problems, rank, world_size, stats)
    check_prompt_lengths(owned, tokenizer, prompt_template,
                         prompt_token_limit(model, config.max_new_tokens, max_prompt_tokens))
    with store.locked():  # held from reading what is stored to the last append
        state = _StoreState.scan(store)
        config = _resolve_seed(config, state)
        settings = _settings(config)
        _check_settings(state, settings, store, source)
        store.claim(sample_fingerprint(config, prompt_template), source)
        plans = _plans(owned, state, config.num_samples, include_greedy, stats)
        writer = _ChunkWriter(store, {**(meta or {}), **settings}, grader or default_grader())
        _sample_chunks(model, tokenizer, _chunks(plans, chunk_size), config, prompt_template, writer, stats, progress)
    stats.seconds = time.perf_counter() - start
    return stats


def sample_fingerprint(config: SamplingConfig, prompt_template: str) -> dict[str, Any]:
    """What, besides the model, fixes a store's samples: the template and the settings of ``_SETTINGS``.

    ``num_samples`` is not in it: a rerun with more samples extends a store (samples 0..N-1 stay the same).
    """
    return {"prompt_template": prompt_template, **_settings(config)}


def _sample_chunks(model: Any, tokenizer: Any, chunks: list[list[_Plan]], config: SamplingConfig, template: str,
                   writer: _ChunkWriter, stats: SampleRunStats, progress: bool) -> None:
    with SamplingProgress(total=sum(len(c) for c in chunks), enabled=progress) as bar:
        for chunk in chunks:
            samples = _sample_chunk(model, tokenizer, chunk, config, template)
            written, tokens = writer.write(samples)
            stats.samples_written += written
            stats.tokens += tokens
            bar.add_tokens(tokens)
            bar.add_problems(len(chunk))


def _owned_problems(problems: Sequence[Problem], rank: int, world_size: int, stats: SampleRunStats) -> list[Problem]:
    owned = []
    for problem in first_per_id(problems):  # one set of samples per id; a taken id is an error
        if owner_rank(problem.id, world_size) != rank:
            continue
        if problem.answer is None:
            stats.problems_without_gold += 1
            continue
        owned.append(problem)
    if stats.problems_without_gold:
        log.warning("skipping %d problems without a gold answer to grade against", stats.problems_without_gold)
    stats.problems = len(owned)
    return owned


def _resolve_seed(config: SamplingConfig, state: _StoreState) -> SamplingConfig:
    if config.seed is not None:
        return config
    # A fresh seed per call would make a resumed run draw different samples for the missing indices.
    stored = (state.settings or {}).get("seed")
    return replace(config, seed=int(stored) if stored is not None else draw_root_seed())


def _settings(config: SamplingConfig) -> dict[str, Any]:
    return {
        "temperature": config.temperature,
        "top_p": config.top_p,
        "seed": config.seed,
        "max_new_tokens": config.max_new_tokens,
    }


def _check_settings(state: _StoreState, settings: Mapping[str, Any], store: CandidateStore,
                    source: ModelSource | None) -> None:
    # One run writes every record with one set of settings, so the first sampled record speaks for the store.
    # The fingerprint checks the same and more, but a store sampled before fingerprints gets one on its first
    # resume, so the records' own model and settings are checked always (under a fingerprint they are the
    # fingerprint's, so this never refuses a valid resume). The records name the model's folder; when the
    # fingerprint says these are the same weights in another folder (moved mid-sampling), the folder is not
    # compared.
    fingerprint = read_fingerprint(store.directory)
    if source is not None and fingerprint is not None and same_weights(fingerprint, source):
        source = None
    problem = meta_mismatch(state.settings or {}, settings, source)
    if problem:
        raise ValueError(f"{store.directory}: {problem}; resume with the same settings or write to a new store")


def _missing_runs(done: set[int], num_samples: int) -> list[tuple[int, int]]:
    """Maximal runs ``(first, count)`` of sample indices in ``range(num_samples)`` not in ``done``."""
    runs: list[tuple[int, int]] = []
    for index in range(num_samples):
        if index in done:
            continue
        if runs and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs


def _plans(
    owned: Sequence[Problem], state: _StoreState, num_samples: int, greedy: bool, stats: SampleRunStats
) -> list[_Plan]:
    plans = []
    for problem in owned:
        have = {i for i in state.done.get(problem.id, ()) if i < num_samples}
        greedy_done = greedy and problem.id in state.done_greedy
        stats.samples_skipped += len(have) + greedy_done
        plans.append(_Plan(problem, _missing_runs(have, num_samples), greedy and not greedy_done))
    return plans


def _chunks(plans: Sequence[_Plan], size: int) -> list[list[_Plan]]:
    """The plans with work left, in chunks cut at FIXED positions of the owned problems.

    A sample depends on ``(seed, problem id, sample index)`` only up to float effects of its batch company
    (padding changes reduction order: about 1 in 300 samples of 512 tokens differs on CPU float32). A run
    killed between two appends resumes with exactly the chunks it had not written, so with the same
    problem list, ranks and chunk size every problem is sampled in the same company as in an
    uninterrupted run, and the resumed store is bitwise the same.
    """
    chunks = [[p for p in plans[i : i + size] if p.runs or p.greedy] for i in range(0, len(plans), size)]
    return [chunk for chunk in chunks if chunk]


def _sample_chunk(
    model: Any, tokenizer: Any, chunk: Sequence[_Plan], config: SamplingConfig, template: str
) -> list[tuple[Problem, Sample, bool]]:
    """``(problem, sample, greedy)`` for all the chunk's missing candidates.

    Problems missing the same run of indices share one sampler call (``sample_offset`` = the run's
    start), so a typical chunk, where every problem lacks all N samples, is one call.
    """
    jobs: dict[tuple[int, int], list[Problem]] = {}
    for plan in chunk:
        for run in plan.runs:
            jobs.setdefault(run, []).append(plan.problem)
    out: list[tuple[Problem, Sample, bool]] = []
    for (first, count), group in jobs.items():
        out += _call(model, tokenizer, group, replace(config, num_samples=count), template, first, greedy=False)
    greedy = [plan.problem for plan in chunk if plan.greedy]
    if greedy:
        greedy_config = replace(config, greedy=True, num_samples=1)
        out += _call(model, tokenizer, greedy, greedy_config, template, 0, greedy=True)
    order = {plan.problem.id: i for i, plan in enumerate(chunk)}
    out.sort(key=lambda item: (order[item[0].id], item[2], item[1].sample_idx))
    return out


def _call(
    model: Any, tokenizer: Any, problems: Sequence[Problem], config: SamplingConfig, template: str, offset: int,
    *, greedy: bool,
) -> list[tuple[Problem, Sample, bool]]:
    prompts = [ssft_prompt(template, p.problem) for p in problems]
    results = sample_with_config(
        model, tokenizer, prompts, config, problem_keys=[p.id for p in problems], sample_offset=offset
    )
    return [(problem, sample, greedy) for problem, samples in zip(problems, results) for sample in samples]


@dataclass
class _ChunkWriter:
    """Grades a chunk's samples and appends them to the rank's shard in one durable write."""

    store: CandidateStore
    meta: dict[str, Any]
    grader: Grader

    def write(self, samples: Sequence[tuple[Problem, Sample, bool]]) -> tuple[int, int]:
        """Append the chunk; returns ``(records written, generated tokens)``."""
        records = [self._record(problem, sample, greedy) for problem, sample, greedy in samples]
        return self.store.append(records), sum(sample.num_tokens for _, sample, _ in samples)

    def _record(self, problem: Problem, sample: Sample, greedy: bool) -> CandidateRecord:
        gold = str(problem.answer)
        answer = self.grader.extract_answer(sample.text)
        meta = {**self.meta, "num_tokens": sample.num_tokens, "finish_reason": sample.finish_reason}
        if greedy:
            meta.update(temperature=0.0, top_p=1.0)  # greedy = the temperature-0 limit, whatever was set
        return CandidateRecord(
            problem_id=problem.id,
            gold=gold,
            text=sample.text,
            answer=answer,
            sample_idx=sample.sample_idx,
            greedy=greedy,
            correct=answer is not None and bool(self.grader.is_equivalent(gold, answer)),
            problem=problem.problem,
            meta=meta,
        )

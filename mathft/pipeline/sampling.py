"""Sampling and scoring stages: N solutions per problem into a resumable store, evaluator scores beside it.

Both delegate to :mod:`mathft.sampling.runner`, whose stores resume from the last durable chunk: a stage
killed mid-way restarts with the same inputs and samples only what is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mathft.atomic import atomic_copy
from mathft.data.fingerprint import FINGERPRINT, ModelSource
from mathft.data.problem import Problem
from mathft.data.templates import SSFT_PROMPT_TEMPLATE
from mathft.pipeline import dist
from mathft.pipeline.config import SamplingSection
from mathft.pipeline.data_checks import length_stops
from mathft.grading import policy_name
from mathft.pipeline.evaluation import SAMPLING_KEYS, analyze, outcome_table, sampling_metrics
from mathft.pipeline.stages import StageContext

__all__ = ["run_sampling", "run_scoring"]


def _load(model_dir: str, dtype: str) -> tuple[Any, Any, int, int]:
    """The model (eval mode, on this rank's device), its tokenizer, this rank and the number of ranks."""
    from mathft.sampling.launch import load_model, pick_device, rank_from_env

    ranks = rank_from_env()
    model, tokenizer = load_model(model_dir, dtype, pick_device(None, ranks.local_rank))
    return model, tokenizer, ranks.rank, ranks.world_size


def run_sampling(ctx: StageContext, *, model_dir: str, problems: list[Problem], section: SamplingSection,
                 include_greedy: bool, k: int, dtype: str = "float32", approximate: bool = False,
                 prompt_template: str = SSFT_PROMPT_TEMPLATE, stop_strings: tuple[str, ...] = ()) -> dict[str, Any]:
    """Sample ``section.num_samples`` solutions (and the greedy one) per problem; grade and summarise.

    ``prompt_template`` (the SSFT prompt unless given) and ``stop_strings`` serve the few-shot baseline.

    Returns:
        ``outputs.store`` (the store folder) and the sampling metrics of the store.
    """
    from mathft.data.store import CandidateStore
    from mathft.sampling import SamplingConfig
    from mathft.sampling.runner import sample_to_store

    model, tokenizer, rank, world = _load(model_dir, dtype)
    config = SamplingConfig(num_samples=section.num_samples, max_new_tokens=section.max_new_tokens,
                            temperature=section.temperature, top_p=section.top_p, seed=section.seed,
                            batch_size=section.batch_size, stop_strings=stop_strings)
    store = CandidateStore(ctx.dir / "store", rank=rank)
    stats = sample_to_store(model, tokenizer, problems, store, config, prompt_template=prompt_template,
                            include_greedy=include_greedy, rank=rank,
                            world_size=world, meta={"model": model_dir}, chunk_size=section.chunk_size,
                            source=ModelSource(model_dir, dtype))
    print(f"{ctx.name}: wrote {stats.samples_written} candidates, {stats.samples_skipped} were already stored "
          f"({stats.tokens} tokens in {stats.seconds:.1f}s)")
    # Also a barrier: the metrics below grade the merged store, so every rank's shard must be complete.
    counts = dist.total({"tokens": stats.tokens, "samples_written": stats.samples_written})
    if not dist.is_main():
        return {}  # rank 0's marker records the stage; grading the store again here would be wasted work
    records = list(store.records())
    analyses = analyze(records, approximate)
    # length_stops: how many candidates hit max_new_tokens (the stage warns when too many did).
    metrics = {**sampling_metrics(analyses, k), **length_stops(records), **counts,
               "grading_policy": policy_name(approximate)}
    # A test split (with greedy answers) also records each problem's outcomes for the report's intervals;
    # a training split (every training problem in the paper's config) feeds no table.
    if include_greedy:
        metrics["per_problem"] = outcome_table(analyses, SAMPLING_KEYS, k=k, top_n=1)
    return {"outputs": {"store": str(store.directory), "model": model_dir}, "metrics": metrics}


def _copy_shards(source_store: str, store: Path) -> None:
    """Copy the sampling stage's shards (and fingerprint) into ``store``, each file whole or not at all.

    A kill mid-copy used to leave a partial shard that the resumed stage took for complete (re-ranking
    then ran on 9 of 24 problems and exited 0). Each file is now written under a temporary name, fsynced
    and renamed (:func:`mathft.atomic.atomic_copy`), and a copy is kept only if its size equals the
    source's: the source is final (this stage reruns from scratch when the sampling stage reruns), so a
    differing size can only be a partial copy left by an older version.
    """
    store.mkdir(parents=True, exist_ok=True)
    for leftover in store.glob(".*.tmp"):  # a killed copy's temporary file: never read, only in the way
        leftover.unlink(missing_ok=True)
    for name in sorted(os.listdir(source_store)):
        if not (name == FINGERPRINT or (name.startswith("shard-") and name.endswith(".jsonl"))):
            continue  # lock files belong to the sampling stage's writers
        source, target = Path(source_store) / name, store / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            atomic_copy(source, target)


def run_scoring(ctx: StageContext, *, evaluator_dir: str, source_store: str, name: str, max_length: int,
                batch_size: int, dtype: str = "float32") -> dict[str, Any]:
    """Copy the test candidates into this stage's folder and add the evaluator's scores beside them.

    A copy, not the sampling stage's store: that stage's folder stays its own, and deleting this stage's
    marker rescores from scratch without touching the samples.
    """
    from mathft.sampling.runner import score_store

    store = ctx.dir / "store"
    if dist.is_main():  # one writer per file; the other ranks score once the copy is complete
        _copy_shards(source_store, store)
    dist.barrier()
    model, tokenizer, rank, world = _load(evaluator_dir, dtype)
    stats = score_store(model, tokenizer, store, name=name, batch_size=batch_size, max_length=max_length,
                        rank=rank, world_size=world, source=ModelSource(evaluator_dir, dtype))
    print(f"{ctx.name}: scored {stats.scored} candidates ({stats.skipped} already scored, "
          f"{stats.truncated} truncated, {stats.too_long} too long) in {stats.seconds:.1f}s")
    counts = dist.total({"scored": stats.scored, "truncated": stats.truncated, "too_long": stats.too_long})
    return {"outputs": {"store": str(store), "name": name}, "metrics": counts}

"""The allowed range of every numeric and enumerated pipeline key, checked when the config is loaded.

Types alone let nonsense through: ``rerank.top_n=0`` wrote Maj1.TopN rows of 0.0, ``trainer.threads=-1``
ran on one thread, and ``rerank.k=0`` failed stages later as a ``ZeroDivisionError`` whose hint named
another key. Every value is checked here, before any stage starts, and a bad one is named with its key
and the range it must lie in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mathft.cli.checks import float_problem, int_problem
from mathft.model_paths import missing_local_model

__all__ = ["range_errors"]

DTYPES = ("float32", "bfloat16", "float16", "auto")
ACCELERATORS = ("cpu", "gpu", "cuda", "mps", "tpu", "auto")
EVALUATOR_INITS = ("generator", "backbone")
# Lightning's precision inputs (lightning.fabric.connector._PRECISION_INPUT), with the short legacy names.
PRECISIONS = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
              "32-true", "64-true", "16", "32", "64", "bf16")

_AT_LEAST_1 = {
    "data": ("n_train", "n_test"),
    "trainer": ("devices", "num_nodes"),
    "sampling": ("num_samples", "max_new_tokens", "batch_size", "chunk_size"),
    "evaluator": ("max_pairs",),
}
_TRAIN_AT_LEAST_1 = ("max_steps", "batch_size", "max_length", "val_every", "val_max_problems", "val_max_new_tokens",
                     "accumulate_grad_batches")
_SCRATCH_AT_LEAST_1 = ("vocab_size", "corpus_problems", "hidden_size", "num_layers", "num_heads")


def _choice(value: Any, choices: tuple[str, ...]) -> str | None:
    return None if value in choices else f"must be one of {list(choices)}"


def _optional(check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    return lambda value: None if value is None else check(value)


def _train_checks(prefix: str, train: Any) -> Iterator[tuple[str, Any, Callable[[Any], str | None]]]:
    for name in _TRAIN_AT_LEAST_1:
        yield f"{prefix}.{name}", getattr(train, name), lambda v: int_problem(v, 1)
    yield f"{prefix}.warmup_steps", train.warmup_steps, lambda v: int_problem(v, 0)
    yield f"{prefix}.lr", train.lr, lambda v: float_problem(v, 0, low_open=True)
    yield f"{prefix}.weight_decay", train.weight_decay, lambda v: float_problem(v, 0)
    yield f"{prefix}.min_lr_ratio", train.min_lr_ratio, lambda v: float_problem(v, 0, 1)
    # Every training stage picks its best checkpoint on validation, so it needs some validation problems.
    yield f"{prefix}.val_fraction", train.val_fraction, lambda v: float_problem(v, 0, 1, low_open=True, high_open=True)
    yield (f"{prefix}.gradient_clip_val", train.gradient_clip_val,
           _optional(lambda v: float_problem(v, 0, low_open=True)))


def _scratch_checks(scratch: Any) -> Iterator[tuple[str, Any, Callable[[Any], str | None]]]:
    if scratch is None:
        return
    for name in _SCRATCH_AT_LEAST_1:
        yield f"backbone.scratch.{name}", getattr(scratch, name), lambda v: int_problem(v, 1)
    yield "backbone.scratch.intermediate_size", scratch.intermediate_size, _optional(lambda v: int_problem(v, 1))
    yield "backbone.scratch.number_tokens", scratch.number_tokens, lambda v: int_problem(v, 0)
    yield "backbone.scratch.drill_steps", scratch.drill_steps, lambda v: int_problem(v, 0)
    yield "backbone.scratch.drill_lr", scratch.drill_lr, lambda v: float_problem(v, 0, low_open=True)
    yield "backbone.scratch.drill_batch_size", scratch.drill_batch_size, lambda v: int_problem(v, 1)
    yield "backbone.scratch.judge_steps", scratch.judge_steps, lambda v: int_problem(v, 0)
    yield "backbone.scratch.judge_lr", scratch.judge_lr, lambda v: float_problem(v, 0, low_open=True)
    heads = scratch.num_heads if isinstance(scratch.num_heads, int) and scratch.num_heads > 0 else 1
    yield ("backbone.scratch.hidden_size", scratch.hidden_size,
           lambda v: None if v % heads == 0 else f"must be a multiple of backbone.scratch.num_heads={heads}")


def _rerank_checks(config: Any) -> Iterator[tuple[str, Any, Callable[[Any], str | None]]]:
    # K clusters and N' samples cannot exceed the N samples a problem has.
    n = config.sampling.num_samples if isinstance(config.sampling.num_samples, int) else 1

    def within(value: Any) -> str | None:
        problem = int_problem(value, 1, max(n, 1))
        return problem and f"{problem} (at most sampling.num_samples={n})"

    rr = config.rerank
    yield "rerank.k", rr.k, within
    yield "rerank.top_n", rr.top_n, within
    for key, values in (("rerank.ks", rr.ks), ("rerank.top_ns", rr.top_ns)):
        for index, value in enumerate(values):
            yield f"{key}[{index}]", value, within


def _checks(config: Any) -> Iterator[tuple[str, Any, Callable[[Any], str | None]]]:
    for section, names in _AT_LEAST_1.items():
        for name in names:
            yield f"{section}.{name}", getattr(getattr(config, section), name), lambda v: int_problem(v, 1)
    sampling = config.sampling
    yield "sampling.temperature", sampling.temperature, lambda v: float_problem(v, 0, low_open=True)
    yield "sampling.top_p", sampling.top_p, lambda v: float_problem(v, 0, 1, low_open=True)
    yield "sampling.train_problems", sampling.train_problems, _optional(lambda v: int_problem(v, 1))
    yield "sampling.test_problems", sampling.test_problems, _optional(lambda v: int_problem(v, 1))
    yield "trainer.threads", config.trainer.threads, _optional(lambda v: int_problem(v, 1))
    yield "trainer.accelerator", config.trainer.accelerator, lambda v: _choice(v, ACCELERATORS)
    yield "trainer.precision", config.trainer.precision, lambda v: _choice(str(v), PRECISIONS)
    yield "backbone.dtype", config.backbone.dtype, lambda v: _choice(v, DTYPES)
    yield "evaluator.margin", config.evaluator.margin, lambda v: float_problem(v, 0)
    yield "evaluator.init", config.evaluator.init, lambda v: _choice(v, EVALUATOR_INITS)
    for prefix, train in (("generator.train", config.generator.train), ("evaluator.train", config.evaluator.train),
                          ("multitask.train", config.multitask.train)):
        yield from _train_checks(prefix, train)
    yield from _scratch_checks(config.backbone.scratch)
    yield from _rerank_checks(config)
    if config.backbone.scratch is None:
        yield ("backbone.name_or_path", config.backbone.name_or_path,
               lambda v: "is a local path that does not exist (a Hub model is 'name' or 'namespace/name')"
               if missing_local_model(v) else None)


def range_errors(config: Any) -> Iterator[tuple[str, str, Any]]:
    """``(key, what is allowed, value)`` for every key of a :class:`~mathft.pipeline.config.PipelineConfig`
    whose value is out of its range, in the order of the config's sections."""
    for key, value, check in _checks(config):
        problem = check(value)
        if problem:
            yield key, problem, value

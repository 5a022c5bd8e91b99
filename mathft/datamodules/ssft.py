"""LightningDataModule for step-by-step solution fine-tuning (SSFT) of the generator (paper Sec. 3.1).

Validation is carved from the *training* files by a seeded hash of the problem text; the test split
enters only through ``test_files`` for ``trainer.test`` and any training problem that also appears there
is removed. Training files named like a test split are refused.
"""

from __future__ import annotations

import logging
import random
from functools import partial
from typing import Any, Literal

from torch.utils.data import DataLoader, Dataset

from mathft.data.problem import Problem
from mathft.data.sources import read_problems
from mathft.data.splits import problem_key, refuse_test_path, train_val_split, validation_score
from mathft.data.templates import SSFT_PROMPT_TEMPLATE, check_template
from mathft.datamodules.batching import (
    BucketBatches,
    EpochSampler,
    PackedBatches,
    PlannedBatchSampler,
    PlannedDataLoader,
    RandomBatches,
    loader_generator,
    padding_fraction,
)
from mathft.datamodules.collate import SSFTExample, collate_generation, collate_train
from mathft.datamodules.ssft_encode import TruncationStats, encode_problems
from mathft.datamodules.base import TokenizedDataModule
from mathft.datamodules.tokenizer import pad_id

__all__ = ["SSFTDataModule", "KeyedDataset"]

log = logging.getLogger(__name__)


class KeyedDataset(Dataset):
    """Examples addressed by an index, or by a tuple of indices (one packed row)."""

    def __init__(self, examples: list[SSFTExample]) -> None:
        self.examples = examples

    def __getitem__(self, key: int | tuple[int, ...]) -> SSFTExample | list[SSFTExample]:
        if isinstance(key, tuple):
            return [self.examples[i] for i in key]
        return self.examples[key]

    def __len__(self) -> int:
        return len(self.examples)


class SSFTDataModule(TokenizedDataModule):
    """Prompt-masked SSFT batches from MATH / PRM800K / synthetic problem files.

    Args:
        train_files: Training sources (JSONL files, MATH directories, ``hf:<name>``); validation is carved
            from them. A source named like a test split is refused.
        tokenizer: Tokenizer name or path; may instead be given by :meth:`connect`.
        style: Solution style to train on: ``"math"``, ``"prm800k"`` or ``"both"`` mixed.
        prompt_template: Prompt with a ``{problem}`` placeholder; the loss never covers it.
        max_length: Longest sequence (prompt + solution + EOS) in tokens.
        truncation: ``"drop"`` longer examples or ``"truncate"`` their solutions; both are counted.
        batching: ``"bucket"`` (similar lengths per batch), ``"pack"`` (several sequences per row,
            ``position_ids`` restart per sequence, no ``attention_mask``) or ``"random"``.
        batch_size: Sequences per batch, or rows per batch when packing.
        pack_length: Tokens per packed row; defaults to ``max_length``.
        val_fraction: Share of distinct training problems held out for validation.
        val_max_problems: Cap on validation problems (greedy decoding for Pass@1 is slow).
        val_batch_size: Validation batch size; defaults to ``batch_size``.
        test_files: Test sources, used only by ``trainer.test``.
        seed: Seed of the validation split and of batch order.
        num_workers: DataLoader workers.
    """

    def __init__(
        self,
        train_files: list[str],
        tokenizer: str | None = None,
        style: Literal["math", "prm800k", "both"] = "both",
        prompt_template: str = SSFT_PROMPT_TEMPLATE,
        max_length: int = 512,
        truncation: Literal["drop", "truncate"] = "drop",
        batching: Literal["bucket", "pack", "random"] = "bucket",
        batch_size: int = 8,
        pack_length: int | None = None,
        val_fraction: float = 0.05,
        val_max_problems: int | None = 256,
        val_batch_size: int | None = None,
        test_files: list[str] | None = None,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if style not in ("math", "prm800k", "both"):
            raise ValueError(f"data.style must be 'math', 'prm800k' or 'both', got {style!r}")
        if batching not in ("bucket", "pack", "random"):
            raise ValueError(f"data.batching must be 'bucket', 'pack' or 'random', got {batching!r}")
        for spec in train_files:
            refuse_test_path(spec, "data.train_files")
        # No save_hyperparameters(): LightningCLI saves the config, and Lightning refuses to merge datamodule
        # and module hparams that share a key (batch_size, seed, ...) with different values.
        self.train_files, self.test_files = list(train_files), list(test_files or [])
        self.tokenizer_name, self.tokenizer = tokenizer, None
        self.style, self.prompt_template = style, check_template(prompt_template, ("problem",), "data.prompt_template")
        self.max_length, self.truncation, self.batching = max_length, truncation, batching
        self.batch_size, self.pack_length = batch_size, pack_length
        self.val_fraction, self.val_max_problems = val_fraction, val_max_problems
        self.val_batch_size, self.seed, self.num_workers = val_batch_size or batch_size, seed, num_workers
        self.train_examples: list[SSFTExample] = []
        self.val_examples: list[SSFTExample] = []
        self.test_examples: list[SSFTExample] = []
        self.truncation_stats = TruncationStats()
        self.val_truncation_stats = TruncationStats()  # validation's own counts (the pipeline reports them)
        self.padding_fraction: float | None = None
        self.stats: dict[str, float] = {}

    def _read(self, specs: list[str]) -> list[Problem]:
        problems = [p for spec in specs for p in read_problems(spec, split="train")]
        return [p for p in problems if self.style == "both" or p.style == self.style]

    def setup(self, stage: str | None = None) -> None:
        """Read, split, de-contaminate and tokenize (idempotent; same result on every rank)."""
        if stage == "test":
            if not self.test_examples:
                self.test_examples = self._encode(_one_per_problem(self._read_test()), TruncationStats())
        elif not self.train_examples:
            self._setup_fit()

    def _read_test(self) -> list[Problem]:
        return [p for spec in self.test_files for p in read_problems(spec, split="test")]

    def _setup_fit(self) -> None:
        if self.batching == "pack" and self.pack_length is not None and self.pack_length < self.max_length:
            raise ValueError(f"data.pack_length ({self.pack_length}) must be >= data.max_length ({self.max_length})")
        train, val = train_val_split(self._read(self.train_files), self.val_fraction, self.seed)
        test_keys = {problem_key(p.problem) for p in self._read_test()}
        clean = [p for p in train if problem_key(p.problem) not in test_keys]
        val = sorted(_one_per_problem(val), key=lambda p: validation_score(p.problem, self.seed))
        val = val[: self.val_max_problems] if self.val_max_problems is not None else val
        self.truncation_stats, self.val_truncation_stats = TruncationStats(), TruncationStats()
        self.train_examples = self._encode(clean, self.truncation_stats)
        self.val_examples = sorted(self._encode(val, self.val_truncation_stats), key=len)
        if not self.train_examples:
            raise ValueError(f"data.train_files: no training examples of style {self.style!r} in {self.train_files}")
        self.padding_fraction = padding_fraction(self._planner()(random.Random(f"{self.seed}/0")), self._lengths())
        self._report(len(train) - len(clean))

    def _encode(self, problems: list[Problem], stats: TruncationStats) -> list[SSFTExample]:
        tokenizer = self._tokenizer()
        return encode_problems(tokenizer, problems, self.prompt_template, self.max_length, self.truncation, stats)

    def _lengths(self) -> list[int]:
        return [len(e) for e in self.train_examples]

    def _planner(self) -> Any:
        lengths = self._lengths()
        if self.batching == "pack":
            return PackedBatches(lengths, self.pack_length or self.max_length, self.batch_size)
        if self.batching == "random":
            return RandomBatches(lengths, self.batch_size)
        return BucketBatches(lengths, self.batch_size)

    def _report(self, contaminated: int) -> None:
        stats = self.truncation_stats
        self.stats = {
            "train_examples": len(self.train_examples), "val_problems": len(self.val_examples),
            "dropped": stats.dropped, "truncated": stats.truncated, "removed_test_overlap": contaminated,
            "padding_fraction": float(self.padding_fraction or 0.0),
        }
        log.info("SSFT data: %s", ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in self.stats.items()))
        logger = getattr(self.trainer, "logger", None)  # None outside a Trainer
        if logger is not None:
            logger.log_metrics({f"data/{k}": float(v) for k, v in self.stats.items()}, step=0)

    def train_dataloader(self) -> DataLoader:
        """Batches planned per epoch (bucketed, packed or random), dealt out equally across ranks; the
        position in the epoch is saved in checkpoints, so a resumed run continues the same plan."""
        sampler = PlannedBatchSampler(
            EpochSampler(len(self.train_examples)), self.batch_size, planner=self._planner(), seed=self.seed
        )
        return PlannedDataLoader(
            KeyedDataset(self.train_examples), batch_sampler=sampler, num_workers=self.num_workers,
            collate_fn=partial(collate_train, pad_id=pad_id(self._tokenizer())),
            generator=loader_generator(self.seed),
        )

    def val_dataloader(self) -> DataLoader:
        """SSFT keys plus left-padded prompts, ``problem_id``, ``gold`` and ``problem`` for Pass@1."""
        return self._generation_loader(self.val_examples)

    def test_dataloader(self) -> DataLoader:
        """Like validation, over ``test_files`` (only ever used by ``trainer.test``)."""
        if not self.test_files:
            raise ValueError("data.test_files: no test files configured")
        return self._generation_loader(self.test_examples)

    def _generation_loader(self, examples: list[SSFTExample]) -> DataLoader:
        return DataLoader(
            KeyedDataset(examples), batch_size=self.val_batch_size, shuffle=False, num_workers=self.num_workers,
            collate_fn=partial(collate_generation, pad_id=pad_id(self._tokenizer())),
            generator=loader_generator(self.seed),
        )


def _one_per_problem(problems: list[Problem]) -> list[Problem]:
    """The first record of each distinct problem (Pass@1 counts each problem once)."""
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(problem_key(p.problem), p)
    return list(seen.values())

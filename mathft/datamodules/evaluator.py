"""LightningDataModule for training the LLM as its own evaluator (paper Sec. 3.2) from candidate stores.

Rows are ``Here is a math problem: ... The above candidate solution is `` prompts labelled correct or
incorrect (cross-entropy), plus up to ``max_pairs`` (correct, incorrect) pairs per problem for the
margin loss, with both rows of a pair in the same batch. Validation is carved from the training
candidates by the same problem-text hash as :class:`~mathft.datamodules.ssft.SSFTDataModule`.

With ``pairs_only`` (the margin loss) training batches hold paired rows only: with a weak generator most
problems have no correct sample, and a batch without a pair would be a step with loss exactly 0.
Validation always keeps every row: AUROC and re-ranking need the unpaired candidates too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from functools import partial
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from mathft.data.errors import DataError
from mathft.data.sources import read_problems
from mathft.data.splits import refuse_test_path, validation_score
from mathft.data.store import load_candidates
from mathft.data.templates import EVALUATOR_TEMPLATE, VerdictPrompt, check_template, evaluator_prompt, verdict_prompt
from mathft.datamodules.batching import (
    EpochSampler,
    GroupBatches,
    PlannedBatchSampler,
    PlannedDataLoader,
    loader_generator,
)
from mathft.datamodules.collate import pad_right
from mathft.datamodules.evaluator_examples import EvalGroup, EvalRow, build_groups, candidate_answer, is_correct
from mathft.datamodules.evaluator_stats import SplitStats, check_trainable, count_split, format_stats
from mathft.datamodules.ssft_encode import encode_prompts
from mathft.datamodules.base import TokenizedDataModule
from mathft.datamodules.tokenizer import pad_id
from mathft.records import CandidateRecord

__all__ = ["EvaluatorDataModule", "collate_evaluator"]

log = logging.getLogger(__name__)


def collate_evaluator(groups: list[EvalGroup], pad_id: int) -> dict[str, Any]:
    """Flatten groups into the evaluator batch of ``docs/contracts.md`` (``pair_index`` into the rows)."""
    rows: list[EvalRow] = []
    pairs: list[tuple[int, int]] = []
    for group in groups:
        pairs.extend((len(rows) + p, len(rows) + n) for p, n in group.pairs)
        rows.extend(group.rows)
    return {
        "input_ids": pad_right([r.input_ids for r in rows], pad_id),
        "attention_mask": pad_right([[1] * len(r) for r in rows], 0),
        "labels": torch.tensor([r.label for r in rows], dtype=torch.float),
        "pair_index": torch.tensor(pairs, dtype=torch.long).reshape(-1, 2),
        "problem_id": [r.problem_id for r in rows],
        "sample_idx": [r.sample_idx for r in rows],
        "answer": [r.answer for r in rows],
        "gold": [r.gold for r in rows],
    }


class _Groups(Dataset):
    def __init__(self, groups: list[EvalGroup]) -> None:
        self.groups = groups

    def __getitem__(self, index: int) -> EvalGroup:
        return self.groups[index]

    def __len__(self) -> int:
        return len(self.groups)


class EvaluatorDataModule(TokenizedDataModule):
    """Cross-entropy rows and margin pairs from candidate stores of *training* problems.

    Args:
        candidates: Candidate store directories or candidate JSONL files; one named like a test split is refused.
        tokenizer: Tokenizer name or path; may instead be given by :meth:`connect`.
        template: Evaluator prompt with ``{problem}`` and ``{solution}``; the verdict word follows it.
        problem_files: Problem sources to look up problem texts for records that do not store ``problem``.
        max_length: Longest evaluator prompt in tokens; longer candidates are dropped and counted.
        max_pairs: Pairs per problem for the margin loss (the paper uses 10).
        batch_size: Rows per batch; a group of paired rows larger than this is a batch of its own.
        val_fraction: Share of distinct problems held out for validation.
        seed: Seed of the split, the pairs and the batch order.
        num_workers: DataLoader workers.
        pairs_only: Train on the rows of (correct, incorrect) pairs only (the margin loss learns nothing
            from the others); validation keeps every row. ``None``: follow the module's loss, which
            :meth:`connect` passes in (``EvaluatorModule.data_settings``); ``False`` if never connected.

    Attributes:
        stats: ``{split}_{count}`` for split ``train``/``val`` and every count of
            :class:`~mathft.datamodules.evaluator_stats.SplitStats` (filled by :meth:`setup`).
    """

    def __init__(
        self,
        candidates: list[str],
        tokenizer: str | None = None,
        template: str = EVALUATOR_TEMPLATE,
        problem_files: list[str] | None = None,
        max_length: int = 1024,
        max_pairs: int = 10,
        batch_size: int = 16,
        val_fraction: float = 0.05,
        seed: int = 0,
        num_workers: int = 0,
        pairs_only: bool | None = None,
    ) -> None:
        super().__init__()
        for spec in candidates:
            refuse_test_path(spec, "data.candidates")
        self.candidates, self.problem_files = list(candidates), list(problem_files or [])
        self.tokenizer_name, self.tokenizer = tokenizer, None
        self.template = check_template(template, ("problem", "solution"), "data.template")
        self.max_length, self.max_pairs, self.batch_size = max_length, max_pairs, batch_size
        self.val_fraction, self.seed, self.num_workers = val_fraction, seed, num_workers
        self.pairs_only = pairs_only
        self.train_groups: list[EvalGroup] = []
        self.val_groups: list[EvalGroup] = []
        self.verdict: VerdictPrompt | None = None
        self.split_stats: dict[str, SplitStats] = {}
        self.stats: dict[str, int] = {}

    def connect(self, tokenizer: Any | None = None, batch_size: int | None = None, max_length: int | None = None,
                pairs_only: bool | None = None) -> None:
        """Take the module's tokenizer, a linked batch size or length, and whether its loss needs pairs.

        An explicit ``pairs_only`` given to ``__init__`` wins over the connected one.
        """
        super().connect(tokenizer, batch_size, max_length)
        if self.pairs_only is None:
            self.pairs_only = pairs_only

    def setup(self, stage: str | None = None) -> None:
        """Read, grade, split, pair and tokenize (idempotent; same result on every rank).

        Raises:
            EvaluatorDataError: When the training split has no correct candidate, no incorrect one, or
                (``pairs_only``) no pair: a fit could only learn a constant (or take steps with loss 0).
        """
        if self.train_groups:
            return
        tokenizer = self._tokenizer()
        self.verdict = verdict_prompt(tokenizer, evaluator_prompt(self.template, "1 + 1", "2"))
        records = [r for spec in self.candidates for r in load_candidates(spec)]
        texts = self._problem_texts(records)
        by_problem: dict[str, list[CandidateRecord]] = defaultdict(list)
        for record in records:
            by_problem[record.problem_id].append(record)
        groups: dict[str, list[EvalGroup]] = {"train": [], "val": []}
        skipped = {split: {"too_long": 0, "no_text": 0} for split in groups}
        cache: dict[tuple[str, str | None], bool] = {}
        for pid, group in by_problem.items():
            split = "val" if validation_score(texts[pid], self.seed) < self.val_fraction else "train"
            rows = self._rows(group, texts[pid], cache, skipped[split])
            groups[split].extend(build_groups(rows, self.max_pairs, self.seed, pid))
        # Unpaired rows are groups of one: dropping groups without pairs keeps exactly the paired rows.
        train = [g for g in groups["train"] if g.pairs] if self.pairs_only else groups["train"]
        kept = {"train": train, "val": groups["val"]}
        self.split_stats = {split: count_split(groups[split], kept[split], skipped[split]["too_long"],
                                               skipped[split]["no_text"]) for split in groups}
        self.stats = {k: v for split, s in self.split_stats.items() for k, v in s.flat(split).items()}
        log.info("%s", format_stats(self.split_stats))
        check_trainable(self.split_stats["train"], bool(self.pairs_only), self.max_length)
        self._warn_single_class(self.split_stats["val"])
        self.train_groups, self.val_groups = train, groups["val"]

    def summary(self) -> str:
        """One line with every split's counts (after :meth:`setup`)."""
        return format_stats(self.split_stats)

    def _warn_single_class(self, val: SplitStats) -> None:
        if val.rows and not (val.positives and val.negatives):
            log.warning(
                "evaluator validation holds %d correct and %d incorrect candidates: val/auroc is undefined (NaN) "
                "and re-ranking accuracy cannot tell checkpoints apart; raise data.val_fraction",
                val.positives, val.negatives,
            )

    def _problem_texts(self, records: list[CandidateRecord]) -> dict[str, str]:
        lookup = {p.id: p.problem for spec in self.problem_files for p in read_problems(spec)}
        texts: dict[str, str] = {}
        for record in records:
            text = record.problem or texts.get(record.problem_id) or lookup.get(record.problem_id)
            if text is None:
                raise DataError(
                    f"candidate of problem {record.problem_id!r} has no 'problem' field and data.problem_files "
                    "does not define it"
                )
            texts[record.problem_id] = text
        return texts

    def _rows(self, records: list[CandidateRecord], problem: str, cache: dict,
              skipped: dict[str, int]) -> list[EvalRow]:
        """One row per candidate with a text that fits; ``skipped`` counts the others."""
        usable = [r for r in records if r.text is not None]
        skipped["no_text"] += len(records) - len(usable)
        # Only the problem and the candidate's text: nothing of how it was sampled (score, temperature...).
        prompts = [self._prompt_text(problem, r.text or "") for r in usable]
        rows = []
        for record, ids in zip(usable, encode_prompts(self._tokenizer(), prompts)):
            if len(ids) > self.max_length:
                skipped["too_long"] += 1
                continue
            label = 1.0 if is_correct(record, cache) else 0.0
            answer = candidate_answer(record)
            rows.append(EvalRow(tuple(ids), label, record.problem_id, record.sample_idx, answer, record.gold))
        return rows

    def _prompt_text(self, problem: str, solution: str) -> str:
        # Follow the split verdict_prompt chose: the trailing space goes into the verdict word or stays here.
        base = evaluator_prompt(self.template, problem, solution).rstrip(" ")
        return base if self.verdict is None or self.verdict.correct_word.startswith(" ") else base + " "

    def _loader(self, groups: list[EvalGroup], shuffle: bool) -> DataLoader:
        rows, longest = [len(g.rows) for g in groups], [max(len(r) for r in g.rows) for g in groups]
        planner = GroupBatches(rows, longest, self.batch_size, shuffle=shuffle)
        sampler = PlannedBatchSampler(
            EpochSampler(len(groups)), self.batch_size, planner=planner, seed=self.seed, shuffle=shuffle
        )
        return PlannedDataLoader(
            _Groups(groups), batch_sampler=sampler, num_workers=self.num_workers,
            collate_fn=partial(collate_evaluator, pad_id=pad_id(self._tokenizer())),
            generator=loader_generator(self.seed),
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled batches of whole groups (pairs never split), equal in number on every rank."""
        return self._loader(self.train_groups, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """Validation batches in a fixed order."""
        return self._loader(self.val_groups, shuffle=False)

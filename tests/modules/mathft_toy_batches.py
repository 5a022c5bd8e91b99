"""Contract-shaped batches built by hand from the tiny tokenizer (docs/contracts.md), and a toy DataModule.

Used by the module, callback and CLI tests so that they do not depend on the data layer.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader

PROBLEMS = [
    ("p1", "What is $3+4$?", "We add: $3+4=7$. The answer is $\\boxed{7}$.", "7"),
    ("p2", "Solve $2x+3=11$.", "Subtract 3: $2x=8$. Divide by 2: $x=4$. $\\boxed{4}$", "4"),
    ("p3", "Compute $\\frac{3}{4}+\\frac{1}{4}$.", "The sum is $\\boxed{1}$.", "1"),
    ("p4", "A train travels 60 miles in 2 hours. Its speed?", "Its speed is $\\boxed{30}$.", "30"),
]
# (problem index, candidate answer, correct?) for the evaluator: two problems with one correct and one
# wrong candidate each, and a third with two correct ones (no pair).
CANDIDATES = [(0, "7", True), (0, "8", False), (1, "4", True), (1, "5", False), (2, "1", True), (2, "1", True)]


def _pad(rows: list[list[int]], pad: int, left: bool = False) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([([pad] * (width - len(r)) + r) if left else (r + [pad] * (width - len(r))) for r in rows])


def ssft_batch(tokenizer: Any, rows: list[tuple[str, str, str, str]] | None = None, *, decode: bool = False) -> dict:
    """SSFT batch (right-padded, -100 on prompt and padding); with ``decode`` also the validation keys."""
    rows = rows or PROBLEMS
    ids, labels, prompts = [], [], []
    for _, problem, solution, _ in rows:
        p = tokenizer.encode(problem + "\n", add_special_tokens=False)
        s = tokenizer.encode(solution, add_special_tokens=False) + [tokenizer.eos_token_id]
        ids.append(p + s)
        labels.append([-100] * len(p) + s)
        prompts.append(p)
    pad = tokenizer.pad_token_id
    batch = {"input_ids": _pad(ids, pad), "labels": _pad(labels, -100)}
    batch["attention_mask"] = _pad([[1] * len(r) for r in ids], 0)
    if decode:
        batch["prompt_input_ids"] = _pad(prompts, pad, left=True)
        batch["prompt_attention_mask"] = _pad([[1] * len(r) for r in prompts], 0, left=True)
        batch["problem_id"] = [r[0] for r in rows]
        batch["gold"] = [r[3] for r in rows]
        batch["problem"] = [r[1] for r in rows]
    return batch


def evaluator_prompt(problem: str, solution: str) -> str:
    """The contract's template, without the trailing space (it merges into the verdict word)."""
    return f"Here is a math problem: {problem} Here is a candidate solution: {solution} The above candidate solution is"


def evaluator_batch(tokenizer: Any, candidates: list[tuple[int, str, bool]] | None = None) -> dict:
    """Evaluator batch: right-padded prompts, labels, (positive, negative) pairs and record keys."""
    candidates = candidates or CANDIDATES
    ids, pairs, counters = [], [], {}
    for problem_idx, answer, _ in candidates:
        _, problem, _, _ = PROBLEMS[problem_idx]
        ids.append(tokenizer.encode(evaluator_prompt(problem, f"The answer is $\\boxed{{{answer}}}$."),
                                    add_special_tokens=False))
    for i, (pi, _, ok) in enumerate(candidates):
        for j, (pj, _, ok_j) in enumerate(candidates):
            if pi == pj and ok and not ok_j:
                pairs.append((i, j))
    sample_idx = []
    for pi, _, _ in candidates:
        sample_idx.append(counters.get(pi, 0))
        counters[pi] = counters.get(pi, 0) + 1
    return {
        "input_ids": _pad(ids, tokenizer.pad_token_id),
        "attention_mask": _pad([[1] * len(r) for r in ids], 0),
        "labels": torch.tensor([float(ok) for _, _, ok in candidates]),
        "pair_index": torch.tensor(pairs, dtype=torch.long).reshape(-1, 2),
        "problem_id": [PROBLEMS[pi][0] for pi, _, _ in candidates],
        "sample_idx": sample_idx,
        "answer": [a for _, a, _ in candidates],
        "gold": [PROBLEMS[pi][3] for pi, _, _ in candidates],
    }


class _Fixed(torch.utils.data.Dataset):
    def __init__(self, batches: list[dict]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> dict:
        return self.batches[i]


def _loader(batches: list[dict]) -> DataLoader:
    return DataLoader(_Fixed(batches), batch_size=None, shuffle=False)


class ToyDataModule(pl.LightningDataModule):
    """Pre-built contract batches: ``kind`` is ``generator`` or ``evaluator``.

    Args:
        tokenizer_path: Directory of the tokenizer (linked from the model's backbone in the CLI).
        kind: Which contract to produce.
        train_batches: Number of (identical-shape) training batches per epoch.
    """

    def __init__(self, tokenizer_path: str = "", kind: str = "generator", train_batches: int = 2) -> None:
        super().__init__()
        self.tokenizer_path, self.kind, self.train_batches = tokenizer_path, kind, train_batches

    def setup(self, stage: str | None = None) -> None:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.tokenizer_path)
        if self.kind == "generator":
            self.train = [ssft_batch(tok, PROBLEMS[i % 4 : i % 4 + 2]) for i in range(self.train_batches)]
            self.val = [ssft_batch(tok, PROBLEMS[:2], decode=True), ssft_batch(tok, PROBLEMS[2:], decode=True)]
        else:
            self.train = [evaluator_batch(tok) for _ in range(self.train_batches)]
            self.val = [evaluator_batch(tok, CANDIDATES[:4]), evaluator_batch(tok, CANDIDATES[4:])]

    def _shard(self, batches: list[dict]) -> list[dict]:
        # With `use_distributed_sampler=False` each rank takes its own batches, in the same order every
        # epoch (a DistributedSampler would reshuffle per epoch, which resuming cannot replay exactly).
        trainer = self.trainer
        if trainer is None or trainer.world_size == 1 or trainer._accelerator_connector.use_distributed_sampler:
            return batches
        return batches[trainer.global_rank :: trainer.world_size]

    def train_dataloader(self) -> DataLoader:
        return _loader(self._shard(self.train))

    def val_dataloader(self) -> DataLoader:
        return _loader(self._shard(self.val))


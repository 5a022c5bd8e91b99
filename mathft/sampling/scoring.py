"""``score_store``: evaluator scores ``S = p(correct) / (p(correct) + p(incorrect))`` for a candidate store.

Scores go to ``<store>/scores/<name>/shard-{rank:05d}.jsonl`` (see :mod:`mathft.sampling.score_shards`),
a batch at a time, appended and fsynced, so a killed run resumes with the unscored candidates only.
Only the last position's verdict logits are computed (:func:`mathft.modules.verdict.score_verdicts`).

Over-long candidates: the solution is cut from the LEFT, keeping the problem, the template and the
solution's end, where its final answer is, so every candidate of a problem gets a score (re-ranking
refuses a partly scored problem) and the verdict is read after the part that decides it. Only a problem
whose prompt alone does not fit ``max_length`` is skipped, with all its candidates, and counted.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from mathft.data.fingerprint import ModelSource, claim_fingerprint
from mathft.data.store import CandidateStore, append_lines
from mathft.data.store_lock import StoreLock
from mathft.data.templates import EVALUATOR_TEMPLATE, check_template, evaluator_prompt, verdict_prompt
from mathft.modules.verdict import VerdictTokens, score_verdicts
from mathft.sampling.api import evaluation_mode
from mathft.sampling.score_shards import read_scores, score_key, score_line, score_shard
from mathft.sampling.sharding import owner_rank

__all__ = ["ScoreRunStats", "score_store", "PromptFitter"]

log = logging.getLogger(__name__)

# Fewer solution tokens than this left after the problem and template: the prompt is the problem alone.
_MIN_SOLUTION_TOKENS = 8


@dataclass
class ScoreRunStats:
    """What one ``score_store`` call did on its rank.

    Attributes:
        candidates: Candidates of this rank's problems in the store.
        scored: Scores written by this call.
        skipped: Candidates already scored by this scorer (resume).
        truncated: Scored candidates whose solution was cut from the left to fit ``max_length``.
        too_long: Candidates not scored because their problem and template alone exceed ``max_length``.
        no_text: Candidates not scored because the record has no ``text`` or no ``problem``.
        seconds: Wall time of the call.
    """

    candidates: int = 0
    scored: int = 0
    skipped: int = 0
    truncated: int = 0
    too_long: int = 0
    no_text: int = 0
    seconds: float = 0.0


class PromptFitter:
    """Tokenizes evaluator prompts as evaluator training does, cutting solutions from the left to fit.

    Args:
        tokenizer: The evaluator's tokenizer.
        template: Evaluator template with ``{problem}`` and ``{solution}``.
        max_length: Longest prompt in tokens.
    """

    def __init__(self, tokenizer: Any, template: str, max_length: int) -> None:
        from mathft.datamodules.ssft_encode import encode_prompts

        self._encode_many = encode_prompts
        self.tokenizer, self.template, self.max_length = tokenizer, template, max_length
        self.verdict = verdict_prompt(tokenizer, evaluator_prompt(template, "1 + 1", "2"))
        self.tokens = VerdictTokens(tuple(self.verdict.correct_ids), tuple(self.verdict.incorrect_ids))

    def text(self, problem: str, solution: str) -> str:
        """The prompt text: the template's trailing space goes where :func:`verdict_prompt` put it."""
        base = evaluator_prompt(self.template, problem, solution).rstrip(" ")
        return base if self.verdict.correct_word.startswith(" ") else base + " "

    def _encode(self, problem: str, solution: str) -> list[int]:
        return self._encode_many(self.tokenizer, [self.text(problem, solution)])[0]

    def fit(self, problem: str, solution: str) -> tuple[list[int] | None, bool]:
        """``(ids, truncated)``; ``ids`` is ``None`` when even a short solution tail cannot fit."""
        ids = self._encode(problem, solution)
        if len(ids) <= self.max_length:
            return ids, False
        if len(self._encode(problem, "")) > self.max_length - _MIN_SOLUTION_TOKENS:
            return None, False
        cut = 0
        while len(ids) > self.max_length and cut < len(solution):
            # Drop as many leading solution tokens as the prompt is over; re-encode, since the new boundary
            # can tokenize differently (usually one pass, rarely two).
            cut += self._chars_for_tokens(solution[cut:], len(ids) - self.max_length)
            ids = self._encode(problem, solution[cut:])
        return (ids, True) if len(ids) <= self.max_length else (None, False)

    def check_room(self) -> None:
        """Fail unless a prompt with an empty problem and a short solution tail fits ``max_length``.

        Otherwise nothing at all could be scored, and a run would finish "successfully" with no scores.

        Raises:
            ValueError: Naming ``max_length`` and the least value that leaves room.
        """
        need = len(self._encode("", "")) + _MIN_SOLUTION_TOKENS
        if need > self.max_length:
            raise ValueError(f"max_length={self.max_length} is too small: the evaluator template alone takes "
                             f"{need - _MIN_SOLUTION_TOKENS} tokens and a solution needs {_MIN_SOLUTION_TOKENS} more; "
                             f"use at least {need} (and room for the problems)")

    def _chars_for_tokens(self, text: str, count: int) -> int:
        """Characters at the start of ``text`` that make up its first ``count`` tokens (at least one)."""
        try:
            offsets = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        except (NotImplementedError, KeyError, ValueError):  # slow tokenizers have no offsets: estimate
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            return max(1, round(count * len(text) / max(1, len(ids))))
        if count >= len(offsets):
            return len(text)
        return max(1, offsets[count][0])


def score_store(
    model: Any,
    tokenizer: Any,
    store_dir: str | Path,
    *,
    name: str = "score",
    template: str = EVALUATOR_TEMPLATE,
    batch_size: int = 16,
    max_length: int = 1024,
    rank: int = 0,
    world_size: int = 1,
    progress: bool = True,
    source: ModelSource | None = None,
) -> ScoreRunStats:
    """Score every candidate of the store that scorer ``name`` has not scored yet (this rank's share).

    Args:
        model: The evaluator (a HF causal LM) on its device.
        tokenizer: Its tokenizer.
        store_dir: The candidate store; its shards are only read.
        name: Scorer name: scores go to ``<store>/scores/<name>/`` (one directory per evaluator).
        template: Evaluator prompt with ``{problem}`` and ``{solution}`` (the one the evaluator was trained on).
        batch_size: Candidates per forward pass (and per durable append).
        max_length: Longest prompt in tokens; see the module docstring for over-long candidates.
        rank: This process's rank; it scores the problems :func:`owner_rank` gives it.
        world_size: Number of ranks sharing the store.
        progress: Show a progress bar on stderr.
        source: The evaluator's directory: recorded on every score line and in the scores' fingerprint
            (``<store>/scores/<name>/fingerprint.json``), which a resume must match.

    Raises:
        ValueError: On a bad template, batch size, length or rank; a ``max_length`` too small for the
            template itself; another process scoring this shard
            (:class:`~mathft.data.store_lock.StoreBusyError`); or scores under ``name`` written by another
            evaluator, template or ``max_length`` (:class:`~mathft.data.fingerprint.FingerprintError`).
    """
    check_template(template, ("problem", "solution"), "template")
    if batch_size < 1 or max_length < 1:
        raise ValueError(f"batch_size and max_length must be >= 1, got {batch_size} and {max_length}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}")
    start, stats = time.perf_counter(), ScoreRunStats()
    fitter = PromptFitter(tokenizer, template, max_length)
    fitter.check_room()
    shard = score_shard(store_dir, name, rank)
    with StoreLock(shard.with_suffix(".lock"), f"scores {shard.parent} (rank {rank})"):
        claim_fingerprint(shard.parent, {"template": template, "max_length": max_length}, source, verb="scored")
        rows = _rows_to_score(store_dir, name, rank, world_size, stats)
        extra = {"model": str(source.path)} if source is not None else {}
        _score_rows(model, tokenizer, rows, fitter, shard, batch_size, stats, extra, progress)
    if stats.too_long:
        log.warning(
            "%d candidates not scored: their problem alone exceeds max_length=%d; raise it, or re-ranking "
            "will refuse those problems", stats.too_long, max_length,
        )
    stats.seconds = time.perf_counter() - start
    return stats


def _score_rows(model: Any, tokenizer: Any, rows: Sequence[_Row], fitter: PromptFitter, shard: Path, batch_size: int,
                stats: ScoreRunStats, extra: dict[str, Any], progress: bool) -> None:
    """Score ``rows`` a batch at a time, each batch appended durably to ``shard``."""
    bar = tqdm(total=len(rows), unit="candidate", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    with bar, evaluation_mode(model):
        device = next(model.parameters()).device
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        for batch in _batches(rows, batch_size):
            encoded = _encode_batch(batch, fitter, stats)
            if encoded:
                scores = _score_batch(model, [ids for _, ids, _ in encoded], fitter.tokens, int(pad or 0), device)
                append_lines(shard, [_line(key, score, cut, extra) for (key, _, cut), score in zip(encoded, scores)])
                stats.scored += len(encoded)
            bar.update(len(batch))


def _line(key: tuple[str, int, bool], score: float, truncated: bool, extra: dict[str, Any]) -> str:
    return score_line(key, score, truncated=True, **extra) if truncated else score_line(key, score, **extra)


@dataclass(frozen=True)
class _Row:
    """One candidate to score; tokenized only when its batch comes (token ids of a whole store are GBs)."""

    key: tuple[str, int, bool]
    problem: str
    text: str


def _rows_to_score(store_dir: str | Path, name: str, rank: int, world_size: int, stats: ScoreRunStats) -> list[_Row]:
    """This rank's unscored candidates, longest (in characters, a close proxy for tokens) first.

    Longest first groups similar lengths (little padding) and runs the most memory-hungry batch at once,
    so an out-of-memory error shows up in the first second, not at the end.
    """
    done = read_scores(store_dir, name)
    problems: dict[str, str] = {}  # one copy of each problem statement, not one per candidate
    rows = []
    for record in CandidateStore(store_dir).records():
        if owner_rank(record.problem_id, world_size) != rank:
            continue
        stats.candidates += 1
        if score_key(record) in done:
            stats.skipped += 1
        elif record.text is None or record.problem is None:
            stats.no_text += 1
        else:
            problem = problems.setdefault(record.problem_id, record.problem)
            rows.append(_Row(score_key(record), problem, record.text))
    rows.sort(key=lambda row: -(len(row.problem) + len(row.text)))
    return rows


def _encode_batch(
    batch: Sequence[_Row], fitter: PromptFitter, stats: ScoreRunStats
) -> list[tuple[tuple[str, int, bool], list[int], bool]]:
    """``(key, ids, truncated)`` of the batch's candidates that fit; the others are counted as too long."""
    out = []
    for row in batch:
        ids, truncated = fitter.fit(row.problem, row.text)
        if ids is None:
            stats.too_long += 1
            continue
        stats.truncated += truncated
        out.append((row.key, ids, truncated))
    return out


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for begin in range(0, len(rows), size):
        yield rows[begin : begin + size]


def _score_batch(model: Any, rows: Sequence[list[int]], tokens: VerdictTokens, pad: int, device: Any) -> list[float]:
    """Right-pad (the contract of ``score_verdicts``: the score is read at ``mask.sum(1) - 1``) and score."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return score_verdicts(model, ids.to(device), mask.to(device), tokens).score.float().cpu().tolist()



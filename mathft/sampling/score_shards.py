"""Evaluator scores kept beside a candidate store, and the store's records with those scores filled in.

Layout: ``<store>/scores/<name>/shard-{rank:05d}.jsonl``, one ``{"problem_id", "sample_idx", "greedy",
"score", "model"}`` object a line (``model``: the evaluator's directory), beside a ``fingerprint.json`` of
what scored them and one ``shard-{rank:05d}.lock`` per writer. The candidate shards are never rewritten: scoring a store with a second
evaluator only adds a directory, and re-ranking reads both. Score shards are append-only with the same
torn-line handling as the candidate shards (:func:`mathft.data.store.complete_lines`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from mathft.data.store import CandidateStore, complete_lines
from mathft.jsonl import loads_line
from mathft.records import CandidateRecord, RecordError

__all__ = ["ScoreKey", "score_key", "score_shard", "scorer_names", "read_scores", "score_line", "load_scored"]

log = logging.getLogger(__name__)

ScoreKey = tuple[str, int, bool]
"""``(problem_id, sample_idx, greedy)``: what identifies a candidate in a store."""

_SCORES = "scores"


def score_key(record: CandidateRecord) -> ScoreKey:
    """The key of a candidate record."""
    return (record.problem_id, record.sample_idx, record.greedy)


def _check_name(name: str) -> str:
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise ValueError(f"score name must be a plain directory name, got {name!r}")
    return name


def score_shard(store_dir: str | Path, name: str, rank: int) -> Path:
    """The score shard rank ``rank`` appends to."""
    return Path(store_dir) / _SCORES / _check_name(name) / f"shard-{rank:05d}.jsonl"


def scorer_names(store_dir: str | Path) -> list[str]:
    """Names of the scorers that wrote into the store (a score shard or more), sorted.

    A folder with no shard is a run that failed before its first score (its lock and fingerprint only).
    """
    root = Path(store_dir) / _SCORES
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("shard-*.jsonl")))


def score_line(key: ScoreKey, score: float, **extra: Any) -> str:
    """One newline-terminated score line."""
    problem_id, sample_idx, greedy = key
    obj = {"problem_id": problem_id, "sample_idx": sample_idx, "greedy": greedy, "score": score, **extra}
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _parse_line(raw: str, where: str) -> tuple[ScoreKey, float]:
    obj = loads_line(raw, where, RecordError)
    if not isinstance(obj, Mapping):
        raise RecordError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    pid, idx, greedy, score = (obj.get(k) for k in ("problem_id", "sample_idx", "greedy", "score"))
    if not isinstance(pid, (str, int)) or isinstance(pid, bool):
        raise RecordError(f"{where}: field 'problem_id' must be str, got {pid!r:.80}")
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise RecordError(f"{where}: field 'sample_idx' must be int, got {idx!r:.80}")
    if not isinstance(greedy, bool):
        raise RecordError(f"{where}: field 'greedy' must be bool, got {greedy!r:.80}")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        raise RecordError(f"{where}: field 'score' must be a finite number, got {score!r:.80}")
    return (str(pid), idx, greedy), float(score)


def read_scores(store_dir: str | Path, name: str) -> dict[ScoreKey, float]:
    """Every complete score line of scorer ``name`` (torn last lines dropped; a repeat keeps the first).

    Raises:
        mathft.records.RecordError: On a complete line that is malformed, naming file and line.
    """
    scores: dict[ScoreKey, float] = {}
    for shard in sorted(score_shard(store_dir, name, 0).parent.glob("shard-*.jsonl")):
        for number, raw in complete_lines(shard):
            key, score = _parse_line(raw, f"{shard}:{number}")
            if key in scores:
                log.warning("%s:%d: duplicate score for %s ignored", shard, number, key)
                continue
            scores[key] = score
    return scores


def load_scored(store_dir: str | Path, *, name: str | None = "score") -> list[CandidateRecord]:
    """The store's records with ``score`` from scorer ``name`` and ``scores`` from every scorer.

    Candidates the scorer has not reached keep ``score=None`` (re-ranking refuses partly scored problems).

    Args:
        store_dir: A candidate store directory.
        name: The scorer whose score becomes ``CandidateRecord.score``; ``None`` leaves ``score`` as stored.

    Raises:
        mathft.records.RecordError: When the store has no records, ``name`` has no scores, or a line is
            malformed.
    """
    names = scorer_names(store_dir)
    if name is not None and name not in names:
        found = ", ".join(names) or "none"
        raise RecordError(f"{store_dir}: no evaluator scores named {name!r} (scores found: {found})")
    by_name = {n: read_scores(store_dir, n) for n in names}
    out = []
    for record in CandidateStore(store_dir).records():
        key = score_key(record)
        scores = {**record.scores, **{n: s[key] for n, s in by_name.items() if key in s}}
        score = scores.get(name) if name is not None else record.score
        out.append(replace(record, score=score, scores=scores))
    if not out:
        raise RecordError(f"{store_dir}: no candidate records (expected shard-*.jsonl files)")
    return out

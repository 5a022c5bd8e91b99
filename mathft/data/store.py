"""Append-only, per-rank sharded, resumable store of candidate records (``mathft.records`` schema).

Layout: ``<dir>/shard-{rank:05d}.jsonl``. Each rank appends only to its own shard; readers merge all
shards, so a run resumed with a different number of ranks still knows every finished
``(problem_id, sample_idx)``. A writer killed mid-line leaves a last line without its newline: readers
drop it (with a warning) and the next writer truncates it away before appending, so a torn record is
never merged with the next one. A complete line that does not parse is corruption, and an error.

Writers hold ``shard-{rank:05d}.lock`` (:meth:`CandidateStore.locked`, one writer per shard) and record
what sampled the store in ``fingerprint.json`` (:meth:`CandidateStore.claim`): a resume with another
model, template or setting is refused instead of mixing two runs in one store.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mathft.data.fingerprint import FingerprintError, ModelSource, claim_fingerprint, read_fingerprint
from mathft.data.store_lock import StoreLock
from mathft.jsonl import loads_line
from mathft.records import CandidateRecord, RecordError, read_records, record_from_json, record_to_json

__all__ = ["CandidateStore", "read_shard", "load_candidates", "complete_lines", "append_lines", "meta_mismatch"]

log = logging.getLogger(__name__)
_SHARD = "shard-{rank:05d}.jsonl"


def _complete_size(data: bytes) -> int:
    """Bytes up to and including the last newline (everything after it is a torn write)."""
    return data.rfind(b"\n") + 1


def complete_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every complete, non-blank line of an append-only JSONL file.

    A last line without its newline is a torn write of a killed writer: it is dropped with a warning.
    """
    path = Path(path)
    data = path.read_bytes()
    size = _complete_size(data)
    if size < len(data):
        log.warning("%s: dropping a torn last line at byte %d (writer was interrupted)", path, size)
    for number, raw in enumerate(data[:size].split(b"\n"), start=1):
        if raw.strip():
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise RecordError(f"{path}:{number}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def append_lines(path: str | Path, lines: Sequence[str]) -> None:
    """Append newline-terminated ``lines`` durably (one write, flush, fsync), first cutting a torn tail.

    Without the cut, the first new line would be glued onto a killed writer's partial line.
    """
    if not lines:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _repair(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines))
        handle.flush()
        os.fsync(handle.fileno())


def read_shard(path: str | Path) -> Iterator[CandidateRecord]:
    """Records of one shard, skipping a torn last line.

    Raises:
        mathft.records.RecordError: On a complete line that is malformed, naming file and line.
    """
    counts: dict[str, int] = {}
    for number, raw in complete_lines(path):
        obj = loads_line(raw, f"{path}:{number}", RecordError)
        pid = str(obj.get("problem_id")) if isinstance(obj, dict) else ""
        record = record_from_json(obj, source=str(path), line=number, default_sample_idx=counts.get(pid, 0))
        counts[record.problem_id] = counts.get(record.problem_id, 0) + 1
        yield record


class CandidateStore:
    """A directory of per-rank JSONL shards of candidate records.

    Args:
        directory: Store directory (created on first append).
        rank: This process's global rank; it writes ``shard-{rank:05d}.jsonl`` only.
    """

    def __init__(self, directory: str | Path, rank: int = 0) -> None:
        self.directory = Path(directory)
        self.rank = rank
        self._lock = StoreLock(self.path.with_suffix(".lock"), f"candidate store {self.directory} (rank {rank})")

    @property
    def path(self) -> Path:
        """This rank's shard."""
        return self.directory / _SHARD.format(rank=self.rank)

    def locked(self) -> StoreLock:
        """This rank's writer lock, to hold while reading what is stored and appending (re-entrant within
        a process).

        Raises:
            mathft.data.store_lock.StoreBusyError: On entering, when another process holds it.
        """
        return self._lock

    def claim(self, fields: Mapping[str, Any], source: ModelSource | None = None) -> dict[str, Any]:
        """Record what samples this store, or check that it is what sampled it so far.

        Raises:
            mathft.data.fingerprint.FingerprintError: Naming the setting that differs from the store's.
        """
        if read_fingerprint(self.directory) is None:
            # A store sampled before fingerprints existed gets one now: check its records first, or the new
            # fingerprint would bind the store to whatever this run uses (and refuse the right model later).
            first = next((r for r in self.records() if not r.greedy), None)
            problem = meta_mismatch(first.meta, fields, source) if first else None
            if problem:
                raise FingerprintError(f"{self.directory}: {problem}; resume with the same model and settings "
                                       "or write to a new store")
        return claim_fingerprint(self.directory, fields, source, verb="sampled")

    def shards(self) -> list[Path]:
        """All shards present, in rank order."""
        return sorted(self.directory.glob("shard-*.jsonl"))

    def records(self) -> Iterator[CandidateRecord]:
        """Every complete record of every shard; a repeated (problem, sample, greedy) keeps the first."""
        seen: set[tuple[str, int, bool]] = set()
        for shard in self.shards():
            for record in read_shard(shard):
                key = (record.problem_id, record.sample_idx, record.greedy)
                if key in seen:
                    log.warning("%s: duplicate candidate %s ignored", shard, key)
                    continue
                seen.add(key)
                yield record

    def done(self, greedy: bool = False) -> set[tuple[str, int]]:
        """The ``(problem_id, sample_idx)`` pairs already stored (sampled ones, or greedy ones)."""
        return {(r.problem_id, r.sample_idx) for r in self.records() if r.greedy == greedy}

    def append(
        self, records: Iterable[CandidateRecord | Mapping[str, Any]], extra: Mapping[str, Any] | None = None
    ) -> int:
        """Append one batch of records durably (one write, flush, fsync).

        Args:
            records: Records, or JSON objects in the record schema (validated before anything is written).
            extra: Keys added to every line, e.g. ``{"model": ..., "checkpoint": ..., "temperature": 0.7}``.

        Returns:
            The number of records written.
        """
        lines = []
        for item in records:
            record = item if isinstance(item, CandidateRecord) else record_from_json(item, source="append")
            # allow_nan=False: Infinity/NaN are not JSON, and other readers would reject the store.
            obj = {**(extra or {}), **record_to_json(record)}
            lines.append(json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n")
        append_lines(self.path, lines)
        return len(lines)


def _repair(path: Path) -> None:
    # Only the end of the file is read: a shard that ends in a newline (the usual case) costs one byte.
    if not path.exists():
        return
    with path.open("rb+") as handle:
        end = handle.seek(0, os.SEEK_END)
        size = _last_newline_end(handle, end)
        if size < end:
            log.warning("%s: truncating a torn last line at byte %d before appending", path, size)
            handle.truncate(size)


def _last_newline_end(handle: Any, end: int, block: int = 1 << 16) -> int:
    """Offset just past the last newline of an open binary file of ``end`` bytes (0 if none)."""
    pos = end
    while pos > 0:
        step = min(1 if pos == end else block, pos)  # the last byte alone first: usually it is the newline
        handle.seek(pos - step)
        index = handle.read(step).rfind(b"\n")
        if index >= 0:
            return pos - step + index + 1
        pos -= step
    return 0


def load_candidates(spec: str | Path) -> list[CandidateRecord]:
    """Records from a store directory or from one candidate JSONL file."""
    path = Path(spec)
    if path.is_dir():
        return list(CandidateStore(path).records())
    return list(read_records(path))


def meta_mismatch(meta: Mapping[str, Any], fields: Mapping[str, Any], source: ModelSource | None) -> str | None:
    """How a stored record's ``meta`` differs from this run's model and settings, or ``None``.

    Records carry the model they were sampled with (``checkpoint``, a resolved path) and the sampling
    settings; this is what identifies a store written before fingerprints.
    """
    if source is not None and "checkpoint" in meta and meta["checkpoint"] != str(source.path):
        return f"the store was sampled with model {meta['checkpoint']!r}, this run uses {str(source.path)!r}"
    for key, value in fields.items():
        if key in meta and meta[key] != value:
            return f"the store was sampled with {key}={meta[key]!r}, this run uses {value!r}"
    return None

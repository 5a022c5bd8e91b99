"""What produced a store, written once beside it and compared on every resume.

A store resumed with another model, template or sampling setting would mix two distributions under one
name and nothing downstream could tell. So the first writer records a fingerprint in
``<store>/fingerprint.json`` (``<store>/scores/<name>/fingerprint.json`` for evaluator scores) and every
later writer compares its own: any difference is an error naming the field, before anything is written.
The fingerprint binds once the store holds a record; until then each run rewrites it.

The model is identified by a digest of its files; its resolved path is recorded too, and a resume from
another path is accepted when the digest matches (a run folder moved or copied mid-sampling), so that only
other weights are refused, never the same weights elsewhere. The digest is a streamed SHA-256
of the weights, config and tokenizer files directly in the model directory, computed once when the store
is created: it reads the weights once, which loading the model does anyway (and then finds them in the
page cache). Each file's size and modification time are recorded with it, so a resume whose files still
have them trusts the digest without reading a byte; only when they differ (the same files copied in
again, a re-export) are the files hashed again, so identical bytes are still accepted and a changed
model never is. A cheaper digest of sizes and times alone would refuse a re-copy of the same model and
could miss a re-export of the same size within the file system's time resolution.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathft.atomic import atomic_write, link_new

__all__ = ["FINGERPRINT", "FingerprintError", "ModelSource", "claim_fingerprint", "read_fingerprint", "same_weights"]

FINGERPRINT = "fingerprint.json"
_FILE_STATS = "files"  # the digest's cache key (sizes and mtimes), never compared itself: see _compare
_CHUNK = 1 << 22
# What makes a model directory's outputs: weights, configs, tokenizer files (not a README or a log).
_MODEL_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".json", ".model", ".txt", ".tiktoken"})


class FingerprintError(ValueError):
    """A store was written by something else than this run; the message names the differing field."""


@dataclass
class ModelSource:
    """A model directory as a store's fingerprint sees it.

    Args:
        path: The ``save_pretrained`` directory.
        dtype: The dtype it is loaded in, as requested (``auto`` resolves from the same files identically).
    """

    path: Path
    dtype: str = "auto"
    _digest: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path).resolve()

    def files(self) -> list[Path]:
        """The files the digest covers: weights, config and tokenizer files directly in the directory."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.suffix in _MODEL_SUFFIXES)

    def stats(self) -> dict[str, list[int]]:
        """``{name: [size, mtime_ns]}`` of :meth:`files`: cheap, and what a copy changes first."""
        return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in self.files()}

    def digest(self) -> str:
        """``sha256:<hex>`` over the names and bytes of :meth:`files` (computed once per object)."""
        if self._digest is None:
            hasher = hashlib.sha256()
            for path in self.files():
                hasher.update(path.name.encode() + b"\0")
                with path.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        hasher.update(chunk)
            self._digest = f"sha256:{hasher.hexdigest()}"
        return self._digest

    def fields(self) -> dict[str, Any]:
        """The fingerprint fields of the model (the digest is filled in by :func:`claim_fingerprint`)."""
        return {"model": str(self.path), "dtype": self.dtype}


def read_fingerprint(directory: str | Path) -> dict[str, Any] | None:
    """The fingerprint of a store, or ``None`` when it has none (a new store, or one older than fingerprints).

    Raises:
        FingerprintError: When the file exists but is not a JSON object.
    """
    path = Path(directory) / FINGERPRINT
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FingerprintError(f"{path}: unreadable fingerprint ({err}); restore it or start a new store") from None
    if not isinstance(data, dict):
        raise FingerprintError(f"{path}: not a fingerprint (expected a JSON object)")
    return data


def claim_fingerprint(directory: str | Path, fields: Mapping[str, Any], source: ModelSource | None = None,
                      *, verb: str = "written") -> dict[str, Any]:
    """Write the store's fingerprint if it has none, else check that this run's equals it.

    Safe against concurrent first writers (ranks of one run): the file is created with a hard link, which
    fails if another process created it first, and then that one's fingerprint is compared.

    Args:
        directory: The store directory (created if missing).
        fields: This run's settings (JSON values), e.g. template and sampling settings.
        source: The model that writes the store, or ``None`` for an in-memory model without a directory.
        verb: How the message describes the store's writing ("sampled", "scored").

    Returns:
        The store's fingerprint.

    Raises:
        FingerprintError: Naming the first field whose stored value differs from this run's.
    """
    directory = Path(directory)
    # Through JSON once, so that this run's values compare like the stored ones (tuples become lists).
    mine = json.loads(json.dumps({**(source.fields() if source else {"model": None}), **fields}))
    stored = read_fingerprint(directory)
    if stored is None or not _has_records(directory):
        # A fingerprint binds from the first stored record on: a run that failed before writing one (a bad
        # model directory, say) must not lock its empty store to its settings.
        record = {**mine, "weights": source.digest() if source else None,
                  _FILE_STATS: source.stats() if source else {}}
        if _write(directory / FINGERPRINT, record, replace=stored is not None):
            return record
        stored = read_fingerprint(directory) or {}
    _compare(directory, stored, mine, source, verb)
    return stored


def _has_records(directory: Path) -> bool:
    return any(shard.stat().st_size > 0 for shard in directory.glob("shard-*.jsonl"))


def _write(path: Path, record: Mapping[str, Any], *, replace: bool) -> bool:
    """Write ``record`` to ``path`` whole; ``False`` if another process created ``path`` first (unless
    ``replace``)."""
    def write(handle: Any) -> None:
        json.dump(record, handle, indent=2, allow_nan=False)
        handle.write("\n")

    if replace:
        with atomic_write(path) as handle:
            write(handle)
        return True
    return link_new(path, write)  # creates the folder if missing, as atomic_write does


def same_weights(stored: Mapping[str, Any], source: ModelSource) -> bool:
    """Whether ``source`` holds the weights a fingerprint recorded, wherever its folder is now.

    The digest is read only when the files' sizes or times changed (see the module docstring): a folder
    moved, or copied with its times, is trusted from its stats; one copied without them is hashed again.
    """
    if stored.get("weights") is None:
        return False
    return stored.get(_FILE_STATS) == source.stats() or stored.get("weights") == source.digest()


def _compare(directory: Path, stored: Mapping[str, Any], mine: Mapping[str, Any], source: ModelSource | None,
             verb: str) -> None:
    keys = sorted((set(stored) | set(mine)) - {"weights", _FILE_STATS})
    differ = [(key, stored.get(key), mine.get(key)) for key in keys if stored.get(key) != mine.get(key)]
    if source is not None and same_weights(stored, source):
        # The same weights in another folder (a run folder moved mid-sampling): the weights say what wrote
        # the store, the path only where they were.
        differ = [item for item in differ if item[0] != "model"]
    elif source is not None:
        differ.append(("weights", stored.get("weights"), source.digest()))
    if differ:
        parts = "; ".join(f"{key}={_short(old)}, this run uses {_short(new)}" for key, old, new in differ)
        names = ", ".join(key for key, _, _ in differ)
        raise FingerprintError(
            f"{directory}: the store was {verb} with {parts}. Resume with the same {names}, or write to a new "
            f"store (what wrote this one: {directory / FINGERPRINT})"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."

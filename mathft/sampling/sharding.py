"""Which rank owns a problem: a stable hash of its id, so ownership never depends on file order."""

from __future__ import annotations

import hashlib

__all__ = ["owner_rank"]


def owner_rank(problem_id: str, world_size: int) -> int:
    """The rank in ``[0, world_size)`` that samples and scores ``problem_id``.

    ``hash()`` is salted per process, so ranks would disagree; a digest of the id is the same everywhere.
    """
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    digest = hashlib.blake2b(problem_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % world_size

"""The pipeline's view of ``torchrun``: one process group for every stage, rank 0 decides and writes.

Under ``torchrun --nproc_per_node=N mathft pipeline ...`` every rank runs the same stage list. The
runner (:mod:`mathft.pipeline.stages`) asks rank 0 whether a stage is finished and broadcasts the answer,
lets rank 0 alone write folders, markers and reports, and puts a barrier after each stage so that no rank
reads a stage's outputs before they are complete. One process (no ``WORLD_SIZE`` or ``WORLD_SIZE=1``)
never touches ``torch.distributed``: every helper here is then a no-op.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, TypeVar

__all__ = ["DEFAULT_TIMEOUT_MINUTES", "init", "shutdown", "rank", "world_size", "local_world_size", "is_main",
           "barrier", "broadcast", "total"]

T = TypeVar("T")

# Ranks wait for each other at barriers: after sampling a rank may wait for the slowest shard, and while
# rank 0 runs a rank-0-only stage (data, rerank, report) the others wait. The timeout bounds how long a
# rank waits for a dead or stuck peer before failing, instead of hanging forever.
DEFAULT_TIMEOUT_MINUTES = 60.0


def world_size() -> int:
    """torchrun's ``WORLD_SIZE`` (1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", 1))


def rank() -> int:
    """torchrun's ``RANK`` (0 without torchrun)."""
    return int(os.environ.get("RANK", 0))


def local_world_size() -> int:
    """Processes on this node (torchrun's ``LOCAL_WORLD_SIZE``; the world size when unset)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", world_size()))


def is_main() -> bool:
    """Whether this process writes markers, reports and single-writer outputs."""
    return rank() == 0


def _active() -> bool:
    import torch.distributed as td

    return world_size() > 1 and td.is_available() and td.is_initialized()


def init(timeout_minutes: float = DEFAULT_TIMEOUT_MINUTES) -> bool:
    """Join torchrun's process group (gloo on CPU, nccl with CUDA) when ``WORLD_SIZE > 1``.

    Lightning's strategies reuse an initialised group instead of creating their own, so the training
    stages and the runner's barriers share this one.

    Returns:
        Whether a group is in use (``False`` for a single process).
    """
    if world_size() <= 1:
        return False
    import torch
    import torch.distributed as td

    if not td.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        td.init_process_group(backend, timeout=timedelta(minutes=timeout_minutes))
    return True


def shutdown(sync: bool = True) -> None:
    """Leave the process group (if one is in use).

    Args:
        sync: Wait for every rank first (after a successful run). A rank that tears down its gloo
            connections while a peer still reads from them makes that peer abort (SIGABRT); after a
            failure there is no waiting, since the failed peers will never arrive.
    """
    if _active():
        import torch.distributed as td

        if sync:
            td.barrier()
        td.destroy_process_group()


def barrier() -> None:
    """Wait until every rank gets here (no-op for one process)."""
    if _active():
        import torch.distributed as td

        td.barrier()


def broadcast(value: T) -> T:
    """Rank 0's ``value`` on every rank (any picklable object; returned as is for one process)."""
    if not _active():
        return value
    import torch.distributed as td

    box: list[Any] = [value if is_main() else None]
    td.broadcast_object_list(box, src=0)
    return box[0]


def total(counts: dict[str, float]) -> dict[str, float]:
    """Each count summed over the ranks (every rank must call it; ``counts`` as is for one process)."""
    if not _active():
        return counts
    import torch.distributed as td

    every: list[Any] = [None] * td.get_world_size()
    td.all_gather_object(every, counts)
    return {key: sum(c[key] for c in every) for key in counts}

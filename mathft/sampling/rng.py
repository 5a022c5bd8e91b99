"""Per-sample random streams keyed by ``(seed, problem key, sample index)``.

Resumable and sharded sampling needs a problem's samples to be a function of the problem alone: a
problem re-run on another rank, in another batch or after a crash must get the same solutions, and
asking for samples 64..127 later must not change samples 0..63. So every sample owns a private stream
of uniform numbers, one per decoding step, drawn from a ``torch.Generator`` seeded by a hash of its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch

__all__ = ["sample_seed", "uniform_streams", "draw_root_seed"]


def sample_seed(seed: int, problem_key: str, sample_idx: int) -> int:
    """A 63-bit generator seed for one sample, stable across processes, platforms and Python versions.

    ``hash()`` is salted per process, so a cryptographic digest of the three parts is used instead.
    """
    message = f"{seed}\x1f{problem_key}\x1f{sample_idx}".encode()
    digest = hashlib.blake2b(message, digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def uniform_streams(seed: int, rows: Sequence[tuple[str, int]], length: int) -> torch.Tensor:
    """Uniform numbers in ``[0, 1)`` for each ``(problem_key, sample_idx)`` row, ``DoubleTensor[R, length]``.

    Drawn on the CPU so that a given seed gives the same samples on any device; one small generator call
    per sample (not per step) keeps this cheap next to the model.
    """
    out = torch.empty(len(rows), length, dtype=torch.float64)
    generator = torch.Generator(device="cpu")
    for i, (key, index) in enumerate(rows):
        generator.manual_seed(sample_seed(seed, key, index))
        torch.rand(length, generator=generator, dtype=torch.float64, out=out[i])
    return out


def draw_root_seed() -> int:
    """A root seed from torch's global RNG, so ``torch.manual_seed`` still makes ``seed=None`` reproducible."""
    return int(torch.randint(0, 2**62, (1,)).item())

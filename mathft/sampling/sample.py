"""The result type of the sampler: one decoded solution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FinishReason", "Sample"]

FinishReason = Literal["eos", "stop", "length"]
"""Why a solution ended: an EOS token, a stop string, or ``max_new_tokens``."""


@dataclass(frozen=True)
class Sample:
    """One generated solution of one problem.

    Attributes:
        text: The decoded solution (special tokens, including the final EOS, removed; a matched stop string
            is kept, as in HF ``generate``).
        token_ids: The generated token ids, without the EOS that ended the solution.
        finish_reason: ``"eos"``, ``"stop"`` (a stop string was generated) or ``"length"``.
        sample_idx: Index of the sample within its problem; with the problem key and the seed it fixes the
            sample's randomness.
    """

    text: str
    token_ids: tuple[int, ...]
    finish_reason: FinishReason
    sample_idx: int

    @property
    def num_tokens(self) -> int:
        """Number of generated tokens, not counting the EOS."""
        return len(self.token_ids)

"""The settings of one sampling run, as a typed dataclass (its field docstrings become ``--help``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SamplingConfig"]


@dataclass(frozen=True)
class SamplingConfig:
    """How to decode solutions; the defaults are the paper's re-ranking setting (Liu et al. 2023, Sec. 4).

    Attributes:
        num_samples: Solutions drawn per problem (the paper's N = 64). Must be 1 when ``greedy``.
        max_new_tokens: Longest solution, in tokens; a row that reaches it ends with reason ``"length"``.
        temperature: Softmax temperature applied to the logits before top-k/top-p (HF's processor order).
        top_p: Nucleus mass: keep the smallest set of most likely tokens whose probability reaches ``top_p``.
        top_k: Keep only the ``top_k`` most likely tokens before top-p; ``None`` or 0 disables it. Note that
            HF ``generate`` defaults to ``top_k=50``: pass ``top_k=0`` there to compare with this default.
        greedy: Decode the most likely token at each step (pass@1 / maj1 baselines) instead of sampling.
        stop_strings: Strings that end a solution once generated (kept in the text, like HF's
            ``stop_strings``); EOS always ends a solution.
        eos_token_ids: Token ids that end a solution; ``None`` reads them from the model's generation config
            (falling back to the tokenizer's EOS). ``()`` never stops at EOS (fixed-length benchmarks).
        seed: Root seed. A sample's randomness depends only on ``(seed, problem key, sample index)``, never
            on the batch, shard or rank it runs in. ``None`` draws a root seed from torch's global RNG.
        batch_size: Most sequences (problems x samples) decoded together; one problem's prompt is prefilled
            once however its samples are split across batches. The KV cache of a batch is reserved up front
            for ``batch_size x (longest prompt + max_new_tokens)`` positions: size it to the device memory.
    """

    num_samples: int = 64
    max_new_tokens: int = 512
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int | None = None
    greedy: bool = False
    stop_strings: tuple[str, ...] = ()
    eos_token_ids: tuple[int, ...] | None = None
    seed: int | None = 0
    batch_size: int = 256

    def __post_init__(self) -> None:
        # Normalise lists given from YAML/CLI so the config stays hashable and immutable.
        object.__setattr__(self, "stop_strings", tuple(self.stop_strings))
        if self.eos_token_ids is not None:
            object.__setattr__(self, "eos_token_ids", tuple(int(t) for t in self.eos_token_ids))
        self._validate()

    def _validate(self) -> None:
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {self.num_samples}")
        if self.greedy and self.num_samples != 1:
            raise ValueError(
                f"greedy decoding yields one solution per problem: set num_samples=1 (got {self.num_samples})"
            )
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if not self.greedy and not self.temperature > 0:
            raise ValueError(f"temperature must be > 0 when sampling, got {self.temperature} (use greedy=True)")
        if not math.isfinite(self.temperature):  # stored with every record; Infinity is not JSON
            raise ValueError(f"temperature must be finite, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k is not None and self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 or None, got {self.top_k}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if any(not s for s in self.stop_strings):
            raise ValueError("stop_strings must not contain the empty string")

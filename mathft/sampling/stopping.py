"""When a solution ends: EOS tokens and stop strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["resolve_eos_ids", "StopStringMatcher"]


def resolve_eos_ids(model: Any, tokenizer: Any, override: Sequence[int] | None) -> tuple[int, ...]:
    """The token ids that end a solution.

    Args:
        model: The causal LM; its ``generation_config.eos_token_id`` (an int or a list) is what HF
            ``generate`` stops on, so it wins over the tokenizer's.
        tokenizer: Fallback source, ``tokenizer.eos_token_id``.
        override: Explicit ids; ``()`` disables EOS stopping.
    """
    if override is not None:
        return tuple(override)
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    if eos is None:
        eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return ()
    return tuple(eos) if isinstance(eos, (list, tuple)) else (int(eos),)


class StopStringMatcher:
    """Finds rows whose newly generated text completes one of the stop strings.

    Only the last few tokens of each row are decoded per step: a stop string of ``c`` characters that the
    newest token completes lies within the last ``c`` tokens (each token decodes to at least one character),
    so a window a little wider than the longest stop string sees every match the step it happens.
    """

    def __init__(self, tokenizer: Any, stop_strings: Sequence[str]) -> None:
        self._tokenizer = tokenizer
        self._stop_strings = tuple(stop_strings)
        # +4 tokens of slack for tokens that decode to nothing (special tokens) or to a partial character.
        self._window = max((len(s) for s in self._stop_strings), default=0) + 4

    @property
    def active(self) -> bool:
        """Whether there is anything to match (skips all decoding work when not)."""
        return bool(self._stop_strings)

    @property
    def window(self) -> int:
        """How many trailing tokens :meth:`matches` needs to see."""
        return self._window

    def matches(self, tails: torch.Tensor) -> torch.Tensor:
        """``BoolTensor[R]``: rows whose trailing tokens contain a stop string.

        Args:
            tails: ``LongTensor[R, W]``, the last ``W <= window`` generated tokens of each running row (all
                running rows have generated the same number of tokens, so no per-row length is needed).
        """
        if not self.active or tails.shape[0] == 0:
            return torch.zeros(tails.shape[0], dtype=torch.bool)
        texts = self._tokenizer.batch_decode(tails.tolist(), skip_special_tokens=True)
        return torch.tensor([any(s in text for s in self._stop_strings) for text in texts], dtype=torch.bool)

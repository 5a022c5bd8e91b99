"""Loading the tokenizer a datamodule uses, and the ids it needs from it."""

from __future__ import annotations

from typing import Any

__all__ = ["load_tokenizer", "pad_id", "eos_id"]


def load_tokenizer(name_or_path: str) -> Any:
    """``AutoTokenizer.from_pretrained(name_or_path)``, with an error that names the setting.

    Raises:
        ValueError: If the tokenizer cannot be loaded.
    """
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as err:
        raise ValueError(f"data.tokenizer: cannot load tokenizer {name_or_path!r}: {err}") from err


def eos_id(tokenizer: Any) -> int:
    """The EOS id that ends every training target.

    Raises:
        ValueError: If the tokenizer has no EOS token (the generator could never learn to stop).
    """
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no eos_token; set one")
    return int(tokenizer.eos_token_id)


def pad_id(tokenizer: Any) -> int:
    """The pad id, falling back to EOS (Llama tokenizers have none); labels mask padding anyway."""
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else eos_id(tokenizer)

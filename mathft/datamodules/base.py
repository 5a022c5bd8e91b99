"""What the SSFT and evaluator datamodules share: a tokenizer that is named or connected by the module."""

from __future__ import annotations

from typing import Any

import lightning as L

from mathft.datamodules.tokenizer import load_tokenizer

__all__ = ["TokenizedDataModule"]


class TokenizedDataModule(L.LightningDataModule):
    """A datamodule whose tokenizer, batch size and max length another component may own.

    Subclasses set ``tokenizer_name``, ``tokenizer``, ``batch_size`` and ``max_length`` in ``__init__``.
    """

    tokenizer_name: str | None
    tokenizer: Any
    batch_size: int
    max_length: int

    def connect(
        self, tokenizer: Any | None = None, batch_size: int | None = None, max_length: int | None = None
    ) -> None:
        """Take values another component owns (the module's tokenizer, a linked batch size or length)."""
        self.tokenizer = tokenizer if tokenizer is not None else self.tokenizer
        self.batch_size = batch_size or self.batch_size
        self.max_length = max_length or self.max_length

    def _tokenizer(self) -> Any:
        if self.tokenizer is None:
            if self.tokenizer_name is None:
                raise ValueError("data.tokenizer: no tokenizer given and none connected by the module")
            self.tokenizer = load_tokenizer(self.tokenizer_name)
        return self.tokenizer

"""The one error type of the data layer."""

from __future__ import annotations

__all__ = ["DataError", "where"]


class DataError(ValueError):
    """A data file, line or field is malformed; the message names the file, the line and the field."""


def where(source: str, line: int | None = None) -> str:
    """``file:line`` (or just ``file``) for error messages."""
    return f"{source}:{line}" if line is not None else source

"""The one error type of the data layer."""

from __future__ import annotations

__all__ = ["DataError", "NoGoldError", "where"]


class DataError(ValueError):
    """A data file, line or field is malformed; the message names the file, the line and the field."""


class NoGoldError(DataError):
    """A problem has no ``answer`` field and its solution no final answer to take as the gold.

    Its own type so that ``mathft data check`` can count such problems and go on, where a reader stops.
    """


def where(source: str, line: int | None = None) -> str:
    """``file:line`` (or just ``file``) for error messages."""
    return f"{source}:{line}" if line is not None else source

"""Line-numbered JSONL reading and typed field access that name file, line and field in errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mathft.data.errors import DataError
from mathft.jsonl import iter_jsonl as _iter_jsonl

__all__ = ["iter_jsonl", "get_field"]


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for every non-blank line of a JSONL file.

    Raises:
        DataError: On a line that is not valid JSON or not a JSON object, naming file and line.
    """
    return _iter_jsonl(path, error=DataError)


def get_field(
    obj: Mapping[str, Any], key: str, types: tuple[type, ...], where: str, *, required: bool = True
) -> Any:
    """Return ``obj[key]`` checked against ``types`` (``None`` if absent and not required).

    Args:
        obj: The JSON object.
        key: Field name; dotted prefixes in ``where`` locate nested objects.
        types: Accepted Python types.
        where: ``file:line`` (and nesting) for the error message.
        required: Whether a missing or null field is an error.

    Raises:
        DataError: Naming ``where`` and ``key`` when the field is missing or of the wrong type.
    """
    value = obj.get(key)
    if value is None:
        if required:
            raise DataError(f"{where}: missing required field {key!r}")
        return None
    # bool is an int subclass; a level given as true is a writer bug, not a number.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = "/".join(t.__name__ for t in types)
        raise DataError(f"{where}: field {key!r} must be {expected}, got {type(value).__name__}: {value!r:.80}")
    return value

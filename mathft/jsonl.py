"""Line-numbered JSONL reading whose errors name the file and the line.

Shared by the dataset readers (``mathft.data``), the candidate-record reader (``mathft.records``) and the
store readers; each passes its own error type so callers can catch what they expect. Every way a line can
fail to decode becomes that error, naming the file and line: malformed JSON, an integer too long for
Python to convert (over 4,300 digits), nesting deeper than the parser's recursion limit, invalid UTF-8,
or a path that is not a regular file (a FIFO would block the reader forever).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["iter_jsonl", "loads_line", "check_regular_file", "json_number"]


def json_number(value: Any) -> float | None:
    """``float(value)``, or ``None`` when ``value`` is ``None``, NaN or infinite.

    For metrics written to JSON: an undefined metric (an AUROC over one class is NaN) must stay undefined,
    never read as a number, and JSON has no NaN.
    """
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def loads_line(raw: str | bytes, where: str, error: type[Exception] = ValueError) -> Any:
    """Decode one JSON value, turning every decoding failure into ``error`` naming ``where``.

    Raises:
        error: On invalid JSON, an over-long integer, too deep nesting or invalid UTF-8.
    """
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        # A multi-line document (a MATH problem file) also needs the line within it.
        at = where if err.lineno == 1 else f"{where}:{err.lineno}"
        raise error(f"{at}: invalid JSON ({err.msg} at column {err.colno})") from None
    except UnicodeDecodeError as err:
        raise error(f"{where}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except RecursionError:
        raise error(f"{where}: JSON nested too deeply to read") from None
    except ValueError as err:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise error(f"{where}: unreadable JSON value ({str(err).split(';')[0]})") from None


def check_regular_file(path: str | Path, error: type[Exception] = ValueError) -> Path:
    """``path`` if it is a regular file (or a link to one).

    Raises:
        error: When it does not exist, or is a directory, FIFO, socket or device (reading a FIFO blocks
            until some other process writes to it, possibly forever).
    """
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file")
    if not path.is_file():
        raise error(f"{path}: not a regular file (a directory, FIFO, socket or device)")
    return path


def iter_jsonl(path: str | Path, *, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for every non-blank line of a JSONL file.

    Args:
        path: The JSONL file.
        error: Exception type raised for a malformed line.

    Raises:
        error: On a line that is not valid JSON or not a JSON object, naming file and line, and on a path
            that is not a regular file.
    """
    path = check_regular_file(path, error)
    with path.open("rb") as handle:
        # Bytes, decoded line by line, so that invalid UTF-8 is reported with its line number.
        for number, raw in enumerate(handle, start=1):
            raw = raw.strip()  # the newline too: an error at the line's end is still on this line
            if not raw:
                continue
            obj = loads_line(raw, f"{path}:{number}", error)
            if not isinstance(obj, dict):
                raise error(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj

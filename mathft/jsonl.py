"""Line-numbered JSONL reading whose errors name the file and the line.

Shared by the dataset readers (``mathft.data``) and the candidate-record reader (``mathft.records``);
each passes its own error type so callers can catch what they expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["iter_jsonl"]


def iter_jsonl(path: str | Path, *, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for every non-blank line of a JSONL file.

    Args:
        path: The JSONL file.
        error: Exception type raised for a malformed line.

    Raises:
        error: On a line that is not valid JSON or not a JSON object, naming file and line.
    """
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as err:
                raise error(f"{path}:{number}: invalid JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(obj, dict):
                raise error(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj

"""Checks every command runs on its inputs before any work starts, so a bad value fails in a second
with a message naming the option and the allowed range, not minutes later as a traceback.

The ``argparse`` types (:func:`int_range`, :func:`float_range`) reject a value while the command line is
parsed, with the range checks (:func:`int_problem`, :func:`float_problem`) that the pipeline config's keys
also use (:mod:`mathft.pipeline.config_ranges`), so both say a range the same way; the other checks
look at what the options point to: an output folder that can be written, a model directory that exists,
the ``RANK``-style variables, config files.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mathft.model_paths import hub_problem, missing_local_model, weights_problem

__all__ = ["InputError", "int_problem", "float_problem", "int_range", "float_range", "check_output_dir",
           "check_rank_env", "check_local_model", "config_files", "check_config_files"]

# torchrun's variables; Lightning reads RANK with a bare int() when it is imported, so a bad value must be
# caught before anything imports it.
_RANK_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK")


class InputError(ValueError):
    """An option, variable or path is unusable; the message names it and what is allowed."""


def _span(low: float | None = None, high: float | None = None, *, low_open: bool = False,
         high_open: bool = False) -> str:
    """`` in [low, high]`` (a bracket round where open), `` >= low``, `` > low``, `` <= high``, `` < high`` or
    nothing: a range as every message of the command line and the pipeline config says it."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low}"
    return f" {'<' if high_open else '<='} {high}" if high is not None else ""


def int_problem(value: object, low: int | None = None, high: int | None = None) -> str | None:
    """``must be an integer`` and its range when ``value`` is no integer (a bool is none) in ``[low, high]``;
    ``None`` when it is one."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    ok = ok and (low is None or value >= low) and (high is None or value <= high)  # type: ignore[operator]
    return None if ok else f"must be an integer{_span(low, high)}"


def float_problem(value: object, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                  high_open: bool = False) -> str | None:
    """``must be a finite number`` and its range when ``value`` is no finite number (a bool is none) in the
    range (ends open where asked); ``None`` when it is one."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low is None or (value > low if low_open else value >= low))  # type: ignore[operator]
    ok = ok and (high is None or (value < high if high_open else value <= high))  # type: ignore[operator]
    return None if ok else f"must be a finite number{_span(low, high, low_open=low_open, high_open=high_open)}"


def int_range(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: an integer in ``[low, high]`` (either end may be open)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer{_span(low, high)}, got {text[:40]!r}") from None
        problem = int_problem(value, low, high)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {value}")
        return value

    return parse


def float_range(low: float | None = None, high: float | None = None, *,
                low_open: bool = False) -> Callable[[str], float]:
    """An ``argparse`` type: a finite number in ``[low, high]`` (``(low, high]`` when ``low_open``).

    ``inf`` and ``nan`` are refused: they would be written into stores as non-standard JSON.
    """
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        problem = float_problem(value, low, high, low_open=low_open)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text[:40]!r}")
        return value

    return parse


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """Create ``path`` (and its parents) if needed and make sure files can be written in it.

    Raises:
        InputError: When it is a file, lies under a file, or cannot be created or written.
    """
    path = Path(path)
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.is_dir():
            raise InputError(f"{option} {path}: {parent} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{option} {path}: cannot create the folder ({err.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: the folder is not writable")
    return path


def check_rank_env(env: Mapping[str, str] | None = None) -> None:
    """Fail, naming the variable, when one of torchrun's rank variables is set but is not an integer >= 0.

    Raises:
        InputError: Naming the variable and its value.
    """
    env = os.environ if env is None else env
    for name in _RANK_VARIABLES:
        raw = env.get(name)
        if raw is None or not raw.strip():
            continue
        if not raw.strip().isdigit():
            raise InputError(f"environment variable {name} must be an integer >= 0 (as torchrun sets it), got {raw!r}")


def check_local_model(name: str | None, key: str) -> None:
    """Fail at once when ``name`` is a local path that does not exist, or a name neither here nor on the Hub
    (instead of transformers' slow retries and a traceback).

    Raises:
        InputError: Naming ``key`` and the missing path.
    """
    message = missing_local_model(name)
    if message is None and name and not Path(name).expanduser().exists():
        message = hub_problem(name)  # a possible Hub id: ask the Hub once, briefly, instead of retrying
    elif message is None and name:
        message = weights_problem(Path(name).expanduser())
    if message:
        raise InputError(f"{key}: {message}")


def config_files(argv: Sequence[str]) -> list[Path]:
    """The files given to ``--config`` (as ``--config F`` or ``--config=F``), in order."""
    files = []
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            files.append(Path(argv[index + 1]))
        elif arg.startswith("--config="):
            files.append(Path(arg.split("=", 1)[1]))
    return files


def check_config_files(argv: Sequence[str]) -> None:
    """Read every ``--config`` YAML once, so that a bad one is named (jsonargparse says ``<unicode string>``).

    Raises:
        InputError: Naming the file, and the line for a YAML syntax error, or a top level that is not a
            mapping of keys.
    """
    import yaml

    for path in config_files(argv):
        if not path.is_file():
            raise InputError(f"--config {path}: no such file" if not path.exists() else f"--config {path}: not a file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            where = getattr(err, "problem_mark", None)
            at = f":{where.line + 1}" if where is not None else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise InputError(f"--config {path}{at}: not valid YAML ({problem})") from None
        except UnicodeDecodeError as err:
            raise InputError(f"--config {path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        if data is not None and not isinstance(data, dict):
            raise InputError(f"--config {path}: the top level must be a mapping of keys (trainer:, model:, ...), "
                             f"got a {type(data).__name__}")

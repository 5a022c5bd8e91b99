"""The stage runner: ordered stages with dependencies, ``done.json`` markers, resume and invalidation.

A stage is finished when ``<out>/<stage>/done.json`` exists and records the same config hash and the
same ``run_id`` of every stage it depends on. So a rerun skips finished stages, and a stage that reruns
(marker deleted, or its config changed) gets a new ``run_id`` that makes every stage downstream of it
rerun as well, and nothing else. A stage marked ``resumable`` (sampling) keeps its half-written
outputs when it restarts with the same inputs; any other stage starts from an empty folder. A marker
records the run folder it was written in and its outputs as absolute paths; read back from a folder that
was moved or copied since, outputs under the old folder are read under the new one.

Under ``torchrun`` (see :mod:`mathft.pipeline.dist`) rank 0 decides whether a stage is finished and
broadcasts its decision and marker, so every rank skips or runs the same stages with the same ``run_id``s.
Rank 0 alone prepares folders and writes markers; a ``collective`` stage (training, sampling, scoring)
runs on every rank, any other on rank 0 while the rest wait; a barrier closes every stage.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathft.pipeline import dist
from mathft.pipeline.config import config_hash

__all__ = ["Stage", "StageContext", "StageError", "run_stages", "read_marker"]

DONE = "done.json"
STARTED = "started.json"


class StageError(RuntimeError):
    """A stage failed; the message names the stage and what to do."""


@dataclass
class StageContext:
    """What a stage's function gets.

    Attributes:
        name: The stage's name.
        dir: Its output folder ``<out>/<name>/`` (exists).
        out: The pipeline's output folder.
        inputs: For each dependency, the ``outputs`` it recorded in its marker.
        markers: Every finished stage's marker so far (the report reads metrics and timings from them).
    """

    name: str
    dir: Path
    out: Path
    inputs: dict[str, dict[str, Any]]
    markers: dict[str, dict[str, Any]]


@dataclass
class Stage:
    """One step of the recipe.

    Attributes:
        name: Folder name and key (``generator_math``, ``evaluator_margin``...).
        run: ``run(ctx) -> {"outputs": {...}, "metrics": {...}}``; outputs are what dependants read.
        deps: Stages whose outputs this one reads.
        config: The config section(s) the stage depends on (hashed into its marker).
        resumable: Keep partial outputs when restarting with the same inputs (sampling stores).
        always: Run even when finished (the report: cheap, and it must show the latest state).
        hint: What to check when the stage fails (appended to the error).
        collective: Every rank runs it (training, sampling and scoring shard the work over ranks);
            otherwise rank 0 runs it alone and the other ranks wait for its marker.
    """

    name: str
    run: Callable[[StageContext], dict[str, Any]]
    deps: tuple[str, ...] = ()
    config: Any = None
    resumable: bool = False
    always: bool = False
    hint: str = ""
    collective: bool = False


def read_marker(path: Path) -> dict[str, Any] | None:
    """A marker's contents, or ``None`` when it is missing or unreadable (a torn write is not finished)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Write then rename: a marker is either whole or absent, never half-written.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def _banner(text: str) -> None:
    print(f"\n==== {text} " + "=" * max(4, 76 - len(text)), file=sys.stderr, flush=True)


def _stage_key(stage: Stage, markers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"config_hash": config_hash(stage.config), "inputs": {d: markers[d]["run_id"] for d in stage.deps}}


def _is_current(marker: dict[str, Any] | None, key: dict[str, Any]) -> bool:
    return marker is not None and all(marker.get(k) == v for k, v in key.items())


def _prepare_dir(stage: Stage, directory: Path, key: dict[str, Any]) -> None:
    started = read_marker(directory / STARTED)
    keep = stage.resumable and _is_current(started, key)
    if directory.exists() and not keep:
        shutil.rmtree(directory)  # stale outputs of another config or of a changed upstream stage
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DONE).unlink(missing_ok=True)
    _write_json(directory / STARTED, {**key, "started": time.time()})
    if keep:
        print(f"resuming {stage.name} from its partial outputs", file=sys.stderr, flush=True)


def _finished(stage: Stage, directory: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    marker = read_marker(directory / DONE)
    if not _is_current(marker, key) or stage.always:
        return None
    outputs = _rebased(marker.get("outputs", {}), marker.get("root"), directory.parent.resolve())
    return {**marker, "outputs": outputs}


def _rebased(value: Any, old_root: str | None, new_root: Path) -> Any:
    """``value`` with every path under ``old_root`` moved under ``new_root``.

    A marker records its outputs as absolute paths and the run folder they were written in, so a run
    folder that was moved or copied reads its own outputs, not the old folder's (which may be gone, or
    hold another run's models).
    """
    def move(text: str) -> str:
        if old_root and (text == old_root or text.startswith(old_root + os.sep)):
            return str(new_root) + text[len(old_root):]
        return text

    return _map_strings(value, move)


def _absolute(value: Any, root: Path) -> Any:
    """``value`` with every path under the run folder ``root`` made absolute (see :func:`_rebased`)."""
    def resolve(text: str) -> str:
        if text and not text.startswith(str(root)):
            path = Path(text)
            if path.exists() and path.resolve().is_relative_to(root):
                return str(path.resolve())
        return text

    return _map_strings(value, resolve)


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` (outputs: nested dicts and lists) with ``change`` applied to every string in it."""
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    return change(value) if isinstance(value, str) else value


def _call(stage: Stage, ctx: StageContext) -> dict[str, Any]:
    try:
        return stage.run(ctx) or {}
    except KeyboardInterrupt:
        raise
    except Exception as err:
        hint = f" ({stage.hint})" if stage.hint else ""
        raise StageError(
            f"stage {stage.name!r} failed: {type(err).__name__}: {err}{hint}. Outputs so far are in {ctx.dir}; "
            "rerun the same command to resume from this stage."
        ) from err


def _execute(stage: Stage, ctx: StageContext) -> dict[str, Any] | None:
    """The stage's result on the ranks that run it (``None`` on ranks that wait)."""
    if stage.collective:
        return _call(stage, ctx)
    if not dist.is_main():
        return None
    try:
        return _call(stage, ctx)
    except StageError as err:
        dist.broadcast({"error": str(err)})  # the waiting ranks fail with rank 0's message, not a timeout
        raise


def _run_one(stage: Stage, out: Path, markers: dict[str, dict[str, Any]], index: str) -> dict[str, Any]:
    directory = out / stage.name
    key = _stage_key(stage, markers)
    finished = dist.broadcast(_finished(stage, directory, key) if dist.is_main() else None)
    if finished is not None:
        if dist.is_main():
            print(f"[{index}] {stage.name}: finished earlier ({finished['seconds']:.1f}s), skipped", file=sys.stderr)
        return {**finished, "skipped": True}
    if dist.is_main():
        _banner(f"[{index}] {stage.name}")
        _prepare_dir(stage, directory, key)
    dist.barrier()  # the folder is prepared (emptied or kept) before any rank writes into it
    ctx = StageContext(stage.name, directory, out, {d: markers[d].get("outputs", {}) for d in stage.deps}, markers)
    start = time.perf_counter()
    result = _execute(stage, ctx)
    if stage.collective:
        dist.barrier()  # every rank's outputs are complete before rank 0 declares the stage done
    marker = None
    if dist.is_main():
        seconds = time.perf_counter() - start
        root = out.resolve()
        marker = {"stage": stage.name, **key, "run_id": uuid.uuid4().hex, "finished": time.time(),
                  "seconds": seconds, "root": str(root), "outputs": _absolute(result.get("outputs", {}), root),
                  "metrics": result.get("metrics", {})}
        _write_json(directory / DONE, marker)
        print(f"[{index}] {stage.name}: done in {seconds:.1f}s", file=sys.stderr, flush=True)
    marker = dist.broadcast(marker)
    if "error" in marker:
        raise StageError(marker["error"])
    return {**marker, "skipped": False}


def run_stages(stages: Sequence[Stage], out: str | Path) -> dict[str, dict[str, Any]]:
    """Run (or skip) every stage in order; dependencies must come before their dependants.

    Returns:
        Each stage's marker (with ``skipped`` set when it was finished already).

    Raises:
        StageError: When a stage fails (naming it), or when a stage depends on an unknown or later stage.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    markers: dict[str, dict[str, Any]] = {}
    for number, stage in enumerate(stages, start=1):
        missing = [d for d in stage.deps if d not in markers]
        if missing:
            raise StageError(f"stage {stage.name!r} depends on {missing}, which do not run before it")
        markers[stage.name] = _run_one(stage, out, markers, f"{number}/{len(stages)}")
    return markers

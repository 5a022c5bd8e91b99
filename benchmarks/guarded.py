"""Run grader calls in a child process that can be killed when a call hangs.

Used by ``bench_grader.py`` for hostile inputs: a call that runs past ``hang_s`` is reported as hung,
the child is killed and a fresh one is started for the next call. The child runs each call in its
main thread, so Math-Verify's ``signal.alarm`` timeouts work there as they would in a plain script.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Callable


@dataclass
class CallResult:
    """Outcome of one guarded call: wall seconds (``hang_s`` when hung), a short result or error."""

    seconds: float
    hung: bool
    result: str


def _child_loop(conn: Connection, factory: Callable[[], Callable[..., Any]]) -> None:
    """Child process body: build the tool once, then time each call sent through ``conn``."""
    tool = factory()
    conn.send("ready")
    while True:
        args = conn.recv()
        if args is None:
            return
        start = time.perf_counter()
        try:
            out = repr(tool(*args))[:80]
        except BaseException as exc:  # noqa: BLE001 - hostile input may raise anything; we report it
            out = f"{type(exc).__name__}: {str(exc)[:60]}"
        conn.send((time.perf_counter() - start, out))


class GuardedTool:
    """A tool callable living in a killable child process (``spawn`` start method, non-daemonic).

    Args:
        factory: picklable zero-argument callable run in the child; returns the function to time.
        hang_s: seconds after which a call counts as hung and the child is killed.
        start_s: seconds allowed for the child to import and build the tool.
    """

    def __init__(self, factory: Callable[[], Callable[..., Any]], hang_s: float, start_s: float = 120.0):
        self._factory = factory
        self.hang_s = hang_s
        self._start_s = start_s
        self._ctx = mp.get_context("spawn")
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None

    def _start(self) -> None:
        """Start the child and wait until it has built the tool."""
        parent, child = self._ctx.Pipe()
        # Not daemonic: a grader may itself start worker processes, which daemons may not do.
        self._proc = self._ctx.Process(target=_child_loop, args=(child, self._factory), daemon=False)
        self._proc.start()
        self._conn = parent
        try:
            ready = parent.poll(self._start_s) and parent.recv() == "ready"
        except EOFError:  # the child died while importing or building the tool
            ready = False
        if not ready:
            code = self._proc.exitcode
            self.close()
            why = f"exited with code {code}" if code is not None else f"not ready within {self._start_s}s"
            raise RuntimeError(f"guarded child {why} (see its traceback above)")

    def call(self, *args: Any) -> CallResult:
        """Run ``tool(*args)`` in the child; kill and restart it if the call exceeds ``hang_s``."""
        if self._proc is None or not self._proc.is_alive():
            self._start()
        assert self._conn is not None
        self._conn.send(args)
        if self._conn.poll(self.hang_s):
            try:
                seconds, out = self._conn.recv()
                return CallResult(seconds, False, out)
            except EOFError:
                self._kill()
                return CallResult(self.hang_s, False, "child died")
        self._kill()
        return CallResult(self.hang_s, True, f"hung (>{self.hang_s:g}s)")

    def _kill(self) -> None:
        """Kill the child we started (and only it)."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
        if self._proc is not None:
            self._proc.join(5)
        self._proc, self._conn = None, None

    def close(self) -> None:
        """Stop the child politely, then forcibly."""
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            try:
                self._conn.send(None)
                self._proc.join(5)
            except (BrokenPipeError, OSError):
                pass
        self._kill()

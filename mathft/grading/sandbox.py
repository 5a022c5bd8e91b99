"""Client side of the symbolic worker: a small pool of persistent subprocesses with hard deadlines.

Each worker is ``python -I .../_worker.py`` started with :class:`subprocess.Popen` (not
``multiprocessing``, whose processes cannot have children inside daemonic DataLoader workers). Isolated
mode (``-I``) keeps the current directory, the script's directory, the user site and ``PYTHON*``
variables off the worker's ``sys.path``: a ``sympy.py`` next to the user's script is never imported
there. Absolute ``PYTHONPATH`` entries other than the current directory are passed on explicitly, so
a sympy installed that way is still found. The worker exits when its parent dies (see
:mod:`mathft.grading._worker`).

The parent writes one request line and waits on the pipe with ``poll`` until the deadline; a late worker is
killed with SIGKILL and replaced lazily on the next request. The deadline also covers the time spent
waiting for a free worker (:class:`QueueTimeout`), so a call made while every worker is busy still
returns within its limit; only starting a worker (importing sympy) is not counted. No signals are used,
so the deadline holds in any thread, DataLoader worker or DDP rank. After ``fork`` the child never
touches the parent's workers: the pool notices the new process id and starts its own.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

__all__ = ["QueueTimeout", "WorkerPool", "WorkerError", "worker_command"]

# Run by file path, not with -m: the worker imports nothing from mathft, so no package path is needed.
_WORKER_FILE = str(Path(__file__).resolve().with_name("_worker.py"))


class WorkerError(RuntimeError):
    """The worker could not be started or died."""


class QueueTimeout(TimeoutError):
    """Every worker stayed busy until the request's deadline (the request never reached a worker)."""


def _trusted_paths() -> list[str]:
    """Absolute ``PYTHONPATH`` entries other than the current directory (``-I`` ignores the variable)."""
    cwd = os.path.realpath(os.getcwd())
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return [p for p in entries if os.path.isabs(p) and os.path.realpath(p) != cwd]


def worker_command(memory_limit_mb: int) -> list[str]:
    """The worker's command line: isolated interpreter, memory limit, this process's id, extra paths."""
    return [sys.executable, "-I", _WORKER_FILE, str(memory_limit_mb), str(os.getpid()), *_trusted_paths()]


class _Worker:
    """One worker process and its pipes; used by one thread at a time (the pool guarantees it)."""

    def __init__(self, memory_limit_mb: int, startup_timeout_s: float) -> None:
        self.owner_pid = os.getpid()
        self.proc = subprocess.Popen(
            worker_command(memory_limit_mb),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            close_fds=True,
            cwd="/" if os.name == "posix" else None,  # nothing to find in the caller's directory either
        )
        self._buffer = b""
        if self._read_line(time.monotonic() + startup_timeout_s) != b"ready":
            self.kill()
            raise WorkerError("the symbolic worker did not start")

    def request(self, payload: bytes, timeout_s: float) -> dict[str, Any] | None:
        """Send one request; the reply, or None when the worker was late or died (it is then killed)."""
        try:
            self.proc.stdin.write(payload + b"\n")  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            self.kill()
            return None
        line = self._read_line(time.monotonic() + timeout_s)
        if line is None:
            self.kill()
            return None
        return json.loads(line)

    def _read_line(self, deadline: float) -> bytes | None:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(max(1, int(remaining * 1000))):
                if time.monotonic() >= deadline:
                    return None
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # EOF: the worker died (memory limit, crash)
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.strip()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.owner_pid != os.getpid():
            return  # a forked child must never kill its parent's worker
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class WorkerPool:
    """Up to ``size`` workers shared by any number of threads.

    Args:
        size: Number of worker processes (started lazily, on the first request that needs one).
        memory_limit_mb: Address space each worker may map beyond what it holds after importing sympy.
        startup_timeout_s: How long a worker may take to import sympy (not counted in a request's limit).
    """

    def __init__(self, size: int = 1, memory_limit_mb: int = 2048, startup_timeout_s: float = 60.0) -> None:
        if size < 1:
            raise ValueError(f"WorkerPool size must be >= 1, got {size}")
        self.size, self.memory_limit_mb, self.startup_timeout_s = size, memory_limit_mb, startup_timeout_s
        self._reset()
        _POOLS.add(self)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._started = 0

    def request(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        """Send ``message`` to a worker; its reply, or None on timeout, crash or failed start.

        Args:
            message: The request (plain JSON data).
            timeout_s: Limit from now, waiting for a free worker included; starting a new worker is not
                counted (the limit is extended by the time the start took).

        Raises:
            QueueTimeout: When no worker became free before the limit (nothing was sent).
        """
        if os.getpid() != self._pid:
            self._reset()  # forked: the parent's workers (and lock state) are not ours to use
        deadline = time.monotonic() + timeout_s
        worker = self._acquire(deadline)
        reply, late = None, False
        try:
            if worker is None:
                started = time.monotonic()
                worker = _Worker(self.memory_limit_mb, self.startup_timeout_s)
                deadline += time.monotonic() - started
            remaining = deadline - time.monotonic()
            late = remaining <= 0  # woken at the deadline: the healthy worker goes back unused
            reply = None if late else worker.request(json.dumps(message).encode(), remaining)
        except (WorkerError, OSError, ValueError):  # could not start, or an unreadable reply
            if worker is not None:
                worker.kill()
            worker, reply = None, None
        finally:
            self._release(worker)
        if late:
            raise QueueTimeout("no symbolic worker was free before the deadline")
        return reply

    def _acquire(self, deadline: float) -> _Worker | None:
        """An idle worker, or None after reserving a slot for a new one (the caller starts it).

        Raises:
            QueueTimeout: When every slot is still busy at ``deadline``.
        """
        with self._cond:
            while True:
                while not self._idle and self._started >= self.size:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise QueueTimeout("every symbolic worker stayed busy until the deadline")
                    self._cond.wait(remaining)
                if not self._idle:
                    self._started += 1
                    return None
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                self._started -= 1  # died while idle (killed, out of memory): replace it
                worker.kill()

    def _release(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is not None and worker.alive:
                self._idle.append(worker)
            else:
                self._started -= 1
                if worker is not None:
                    worker.kill()
            self._cond.notify()

    def start(self) -> None:
        """Start workers until the pool is full (otherwise they start on first need)."""
        if os.getpid() != self._pid:
            self._reset()
        while True:
            with self._cond:
                if self._started >= self.size:
                    return
                self._started += 1
            worker = None
            try:
                worker = _Worker(self.memory_limit_mb, self.startup_timeout_s)
            finally:
                self._release(worker)

    def close(self) -> None:
        """Stop the idle workers; the pool starts new ones if used again."""
        if os.getpid() != self._pid:
            return
        with self._cond:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for worker in idle:
            worker.kill()


_POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS):
        pool.close()

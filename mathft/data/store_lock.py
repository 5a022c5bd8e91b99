"""One writer per shard: an exclusive, non-blocking ``flock`` on a lock file beside the shard.

Two processes appending to one shard double its records, and two runs with different settings hide one
run's records from readers (a repeated key keeps the first); both exit 0. So a writer takes
``<shard>.lock`` before it reads what is stored, and a second writer fails at once with a message that
names the holder's pid and host, read from the lock file. The kernel drops a ``flock`` when its holder
exits, however it exits (SIGKILL included), so a killed run never leaves a stale lock behind; the file
itself stays, holding the last holder's details, and is harmless.

Ranks of one run write different shards and so take different locks. ``flock`` is advisory and works on
local file systems; on NFS it depends on the server (Linux clients emulate it with byte-range locks).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["StoreBusyError", "StoreLock"]


class StoreBusyError(ValueError):
    """Another process holds the lock; the message names it (pid, host, command) and the lock file."""


# Locks this process holds: resolved lock path -> [descriptor, depth]. A process never conflicts with
# itself: a command takes the lock before it loads its model (so that a second writer fails at once, not
# minutes later) and the library function it then calls takes the same lock again.
_HELD: dict[str, list[int]] = {}


class StoreLock:
    """An exclusive lock on ``path``, held from ``__enter__`` to ``__exit__``; re-entrant within a process.

    Args:
        path: The lock file (created if missing, never deleted).
        what: What the lock protects, for the error message (e.g. the store directory).
    """

    def __init__(self, path: str | Path, what: str) -> None:
        self.path = Path(path)
        self.what = what

    def __enter__(self) -> StoreLock:
        key = os.path.realpath(self.path)
        if key not in _HELD:
            _HELD[key] = [self._acquire(), 0]
        _HELD[key][1] += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        key = os.path.realpath(self.path)
        entry = _HELD[key]
        entry[1] -= 1
        if entry[1] == 0:
            del _HELD[key]
            os.close(entry[0])  # closing the descriptor releases the flock

    @property
    def held(self) -> bool:
        """Whether this process holds the lock now."""
        return os.path.realpath(self.path) in _HELD

    def _acquire(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StoreBusyError(self._busy_message()) from None
            raise
        _write_holder(fd)
        return fd

    def _busy_message(self) -> str:
        holder = _read_holder(self.path)
        who = "a process that has not written its name yet"
        if holder:
            who = (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}"
                   f"{', running ' + holder['command'] if holder.get('command') else ''}"
                   f"{', since ' + holder['since'] if holder.get('since') else ''}")
        return (f"{self.what}: another writer is using it ({who}; lock file {self.path}). "
                "Wait for that run to finish, or write somewhere else")


def _write_holder(fd: int) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv)[:500],
            "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)


def _read_holder(path: Path) -> dict[str, str]:
    """The holder's details; empty when it has not written them yet (it locks first, then writes)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}

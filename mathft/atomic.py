"""Whole-or-absent file writes: a temporary name in the target's folder, fsync, then one rename.

A process killed while writing leaves only a temporary file (``.<name>.*.tmp``) that no reader looks at;
the target is either the old file, or the complete new one. Temporary files come from ``mkstemp``, which
creates them with mode 0600: the finished file gets the mode an ordinary ``open`` would give it
(0666 less the umask), so reports and copies stay as readable as everything else the user writes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["umask", "atomic_write", "atomic_copy", "link_new"]

_CHUNK = 1 << 22


def umask() -> int:
    """The process umask, read without changing it where the platform allows (other threads create files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    # The rename itself must reach the disk, or a power loss could bring back the old name.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename is still atomic
    finally:
        os.close(fd)


@contextmanager
def _temporary(path: Path, mode: str) -> Iterator[tuple[IO[Any], Path]]:
    """An open temporary file next to ``path``, flushed, fsynced and given the umask's mode on success;
    deleted on any failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~umask())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file renamed into place only when the block succeeds."""
    path = Path(path)
    with _temporary(path, mode) as (handle, tmp):
        yield handle
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_copy(source: str | Path, target: str | Path) -> None:
    """Copy ``source`` to ``target`` so that ``target`` is never seen partly written."""
    with atomic_write(target, "wb") as out, Path(source).open("rb") as handle:
        shutil.copyfileobj(handle, out, _CHUNK)


def link_new(path: str | Path, write: Any) -> bool:
    """Create ``path`` whole with ``write(handle)`` unless it exists; ``False`` when another process won.

    The file is written under a temporary name and hard-linked into place: unlike a rename, a link fails
    when the name exists, so of several concurrent creators exactly one succeeds.
    """
    path = Path(path)
    with _temporary(path, "w") as (handle, tmp):
        write(handle)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return True

"""Safe file writes: atomic replacement (a reader sees the old file or the new one, never a
half-written one) and one writer at a time (an advisory lock)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``path`` (same suffix), then rename it over
    ``path``; the temporary file is removed if ``write`` fails."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix
    )
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))


class FileBusyError(RuntimeError):
    """Another process holds the write lock of a file."""


@contextmanager
def exclusive_lock(path: str | os.PathLike, *, wait: bool = False) -> Iterator[Path]:
    """Hold an advisory exclusive lock on ``path`` for the life of the ``with`` block.

    The lock lives on a hidden sidecar ``.NAME.lock`` beside ``path`` (the data file itself is
    replaced by atomic renames, so it cannot carry the lock). With ``wait=False`` a second writer
    gets ``FileBusyError`` at once; with ``wait=True`` it blocks until the first one is done.
    """
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FileBusyError(
                f"{path} is being written by another process; wait for it to finish or choose "
                "another output file"
            ) from None
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

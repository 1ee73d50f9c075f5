"""Safe file writes: atomic replacement (a reader sees the old file or the new one, never a
half-written one) and one writer at a time (an advisory lock)."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def check_writable(path: object, name: str = "output") -> Path:
    """Return ``path`` as a Path if a file can be written there, else raise ValueError naming it.

    Refused: a path that is a folder, a folder that does not exist, a folder or an existing file
    this process may not write. Called before any computing, so a bad path costs nothing.
    """
    path = _path(path, name)
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a folder, not a file")
    if not folder.is_dir():
        raise ValueError(f"{name} {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {str(path)!r}: folder {str(folder)!r} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{name} {str(path)!r} is not writable")
    return path


def _path(path: object, name: str) -> Path:
    if isinstance(path, bytes) or not isinstance(path, str | os.PathLike) or str(path) == "":
        raise TypeError(f"{name} must be a file path (text), got {path!r}")
    if "\0" in str(path):
        raise ValueError(f"{name} must be a file path without NUL characters, got {path!r}")
    return Path(path)


def _plain_write_mode(path: Path) -> int:
    """The permission bits a plain ``open(path, "w")`` would leave: an existing file keeps its
    mode, a new one gets 0o666 minus the process umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``path`` (same suffix), then rename it over
    ``path``; the temporary file is removed if ``write`` fails. The file ends with the mode a
    plain write would give (an existing file's mode, or 0o666 minus the umask), not the
    temporary file's 0o600.
    """
    path = check_writable(path, "file")
    if not callable(write):
        raise TypeError(f"write must be a function of the temporary path, got {write!r}")
    mode = _plain_write_mode(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix
    )
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
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
    path = _path(path, "path")
    if not isinstance(wait, bool):
        raise TypeError(f"wait must be True or False, got {wait!r}")
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

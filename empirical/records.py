"""Records as JSON lines: one JSON object per generation of a run, each carrying its run's spec.

Public API: ``write_jsonl(path, records)``, ``read_jsonl(path) -> list[dict]``,
``read_records(path) -> list[dict]`` (a records file, checked line by line),
``append_records(path, records)``, ``check_records(value)`` (a list of mappings, or a refusal
naming it) and ``RecordsFileError``. Paths are text or ``os.PathLike`` (``bounds.validate.path``).

A records file is ours when every non-blank line is a JSON object with a ``key`` and a ``spec``
(what ``empirical.loop`` writes); anything else is a foreign file, never rewritten: writing to it
raises ``RecordsFileError`` naming the file and the first line that is not a record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from bounds import validate
from bounds.io import write_text_atomic

__all__ = [
    "RecordsFileError",
    "append_records",
    "check_records",
    "is_record",
    "read_jsonl",
    "read_records",
    "write_jsonl",
]


class RecordsFileError(ValueError):
    """A file that is not (or no longer) a records file, with the line where it stops being one."""


def check_records(value: object, name: str = "records") -> list[Mapping]:
    """``value`` (an iterable of mappings, e.g. the records of runs) as a list, else raise."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of records (mappings), got {validate.shown(value)}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise TypeError(f"{name} must be a list of records (mappings), got {validate.shown(value)}")
    rows = list(value)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name} must hold mappings; item {number} is {validate.shown(row)}")
    return rows


def is_record(obj: object) -> bool:
    """Whether ``obj`` looks like a record this package wrote (a mapping with key and spec)."""
    return isinstance(obj, Mapping) and isinstance(obj.get("key"), str) and "spec" in obj


def _lines(records: Iterable[Mapping]) -> str:
    records = check_records(records)
    return "".join(json.dumps(dict(r), sort_keys=True, allow_nan=False) + "\n" for r in records)


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping]) -> Path:
    """Write one JSON object per line atomically (a reader never sees a half-written file).

    An existing file is replaced only if it is a records file; non-finite floats are refused.
    """
    path = validate.path("path", path)
    text = _lines(records)
    if path.exists():
        read_records(path)  # refuses a foreign file before anything is replaced
    return write_text_atomic(path, text)


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The JSON values of a JSON-lines file, in order (blank lines skipped); a line that is not
    JSON raises ``RecordsFileError`` with its line number."""
    path = validate.path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file")
    values = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                values.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise RecordsFileError(
                    f"{path}: line {number} is not JSON ({error.msg} at column {error.colno})"
                ) from None
    return values


def read_records(path: str | os.PathLike) -> list[dict]:
    """The records of a records file; ``RecordsFileError`` names the first line that is not one
    (a foreign file, a cut line, a JSON value that is not a record)."""
    path = validate.path("path", path)
    records = read_jsonl(path)
    with open(path, encoding="utf-8") as handle:
        numbers = [n for n, line in enumerate(handle, start=1) if line.strip()]
    for number, record in zip(numbers, records, strict=True):
        if not is_record(record):
            raise RecordsFileError(
                f"{path} is not a records file: line {number} is not a record of a run "
                f"(a JSON object with 'key' and 'spec'), so it is left untouched"
            )
    return records


def append_records(path: str | os.PathLike, records: Iterable[Mapping]) -> None:
    """Append records as whole lines, flushed and synced to disk (the caller holds the lock)."""
    path = validate.path("path", path)
    text = _lines(records)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())

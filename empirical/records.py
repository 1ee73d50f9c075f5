"""Records as JSON lines: one JSON object per line, written atomically.

Public API: ``write_jsonl(path, records)``, ``read_jsonl(path) -> list[dict]``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from bounds.io import write_text_atomic

__all__ = ["read_jsonl", "write_jsonl"]


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping]) -> Path:
    """Write one JSON object per line to a temporary file beside ``path``, then rename it over
    ``path`` (so a reader never sees a half-written file). Non-finite floats are refused."""
    text = "".join(json.dumps(dict(r), sort_keys=True, allow_nan=False) + "\n" for r in records)
    return write_text_atomic(path, text)


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The records of a JSON-lines file, in order (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]

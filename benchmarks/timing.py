"""The one timer of the benchmarks: wall time of a call, best of repeats, and interleaved pairs.

``interleaved(ours, theirs, repeats)`` times the two calls alternately (ours then theirs, then
theirs then ours, ...) so that a change in the machine's load between runs hits both sides of
a pair alike; each pair gives one ratio ours / theirs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds of one call of ``fn``, its result)."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls of ``fn``, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        seconds, out = timed(fn)
        best = min(best, seconds)
    return best, out


def interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float], Any]:
    """Per-run seconds of ``ours`` and of ``theirs``, run alternately ``repeats`` times each, and
    the result of a first, untimed call of ``theirs`` (its imports and caches, as ours gets)."""
    first = theirs()
    mine, peer = [], []
    for run in range(repeats):
        if run % 2 == 0:
            mine.append(timed(ours)[0])
            peer.append(timed(theirs)[0])
        else:
            peer.append(timed(theirs)[0])
            mine.append(timed(ours)[0])
    return mine, peer, first

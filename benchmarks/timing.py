"""Shared by the benchmarks: the smallest wall time of repeated calls."""

import time


def best_of(fn, repeat=3):
    """Smallest wall time of ``repeat`` calls of ``fn``, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out

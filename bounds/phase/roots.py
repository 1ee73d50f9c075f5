"""Where the solvers of ``bounds.phase`` look for a root, and the bracketing search (in mpmath)
that closes in on it."""

from __future__ import annotations

import mpmath as mp

SCAN_RANGE = (1e-9, 1e12)
"""m/n range searched for a sign change of dB/dm when the error model is not a power law."""
_SCAN_POINTS = 800


def _bracketed_root(f, low, high):
    """The root of f between low and high, where f changes sign, to the working precision.

    Illinois (modified regula falsi) with a bisection step whenever the bracket fails to halve
    over two steps, stopped when the bracket is a few ulps wide: the root is always enclosed.
    """
    f_low, f_high = f(low), f(high)
    if f_low == 0 or f_high == 0:
        return low if f_low == 0 else high
    if (f_low > 0) == (f_high > 0):
        raise RuntimeError("no sign change in the bracket; please report the inputs")
    tolerance = 8 * mp.eps * (1 + abs(low) + abs(high))
    side, width = 0, abs(high - low)
    for step in range(100_000):
        if abs(high - low) <= tolerance:
            break
        if step % 2 == 0:
            if abs(high - low) > width / 2:
                middle = (low + high) / 2
            else:
                middle = (low * f_high - high * f_low) / (f_high - f_low)
            width = abs(high - low)
        else:
            middle = (low * f_high - high * f_low) / (f_high - f_low)
        if not min(low, high) < middle < max(low, high):
            middle = (low + high) / 2
        f_middle = f(middle)
        if f_middle == 0:
            return middle
        if (f_middle > 0) == (f_high > 0):
            high, f_high = middle, f_middle
            if side == -1:
                f_low /= 2
            side = -1
        else:
            low, f_low = middle, f_middle
            if side == 1:
                f_high /= 2
            side = 1
    return (low + high) / 2

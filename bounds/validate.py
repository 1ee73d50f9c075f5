"""Checks at the boundary, shared by ``bounds`` and ``empirical``.

Each validator returns the value in its checked form or raises with one message format:
``"<name> must be <what is allowed>, got <value>"``: TypeError for the wrong kind of thing,
ValueError for the right kind with a bad value. The allowed set is written the same way whatever
the bad value was (NaN and 0 both hear "a finite number > 0"), and values are shown as a user
would type them (``0.0``, never ``array(0.)``). Text is never a number here: strings are refused
with TypeError (command lines parse text first, with ``parse_real``).
"""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

MAX_SIZE = 10**8  # default upper limit of ``size``: a sample of 1e8 float64 points is 0.8 GB
MAX_DIGITS = 10_000  # default upper limit of ``digits`` (mpmath precision)


def shown(value: object) -> str:
    """``value`` as a message shows it: scalars as numbers, arrays by shape, long text cut."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**20:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bounds_text(low: float, high: float, low_open: bool, high_open: bool) -> str:
    lo = f"{'>' if low_open else '>='} {low:g}"
    hi = f"{'<' if high_open else '<='} {high:g}"
    if low == -math.inf and high == math.inf:
        return ""
    if high == math.inf:
        return f" {lo}"
    if low == -math.inf:
        return f" {hi}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _inside(x: float, low: float, high: float, low_open: bool, high_open: bool) -> bool:
    above = x > low if low_open else x >= low
    below = x < high if high_open else x <= high
    return math.isfinite(x) and above and below


def real(
    name: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in [low, high] (an end excluded with ``*_open``).

    Accepts Python and numpy reals (0-d arrays too); refuses bools, text, None, complex and
    integers too large for a float.
    """
    allowed = "a finite number" + _bounds_text(low, high, low_open, high_open)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}, got {shown(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}") from None
    if not _inside(result, low, high, low_open, high_open):
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}")
    return result


def positive(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0."""
    return real(name, value, 0.0, low_open=True)


def whole(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum]; a float only if it is integral."""
    allowed = (
        f"a whole number >= {minimum}"
        if maximum is None
        else (f"a whole number in [{minimum}, {maximum}]")
    )
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}, got {shown(value)}")
    if isinstance(value, numbers.Integral):
        result = operator.index(value)
    elif math.isfinite(value) and float(value).is_integer():
        result = int(value)
    else:
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}")
    if result < minimum or (maximum is not None and result > maximum):
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}")
    return result


def generation(value: object) -> int:
    """Return a generation index i >= 1 (generation 0 is the real distribution, no model)."""
    return whole("generation i", value, minimum=1)

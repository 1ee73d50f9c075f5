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
import os
from pathlib import Path

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


# --------------------------------------------------------------------------- arrays, rng, sizes


def array(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    ndim: int | None = None,
    min_size: int = 1,
    copy: bool = True,
) -> np.ndarray:
    """Return ``value`` as a float array of finite numbers in [low, high] (ends as in ``real``).

    Accepts numbers, sequences and arrays of reals; refuses bools, text, None, complex, ragged
    lists, fewer than ``min_size`` entries and (when given) another number of dimensions.
    The message shows the first bad entry. ``copy=False`` returns a float64 array given as such
    itself (for callers that only read it).
    """
    allowed = "finite numbers" + _bounds_text(low, high, low_open, high_open)
    what = f"a number or an array of {allowed}"
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        raise TypeError(f"{name} must be {what}, got {shown(value)}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting
        raise TypeError(f"{name} must be {what}, got {shown(value)}") from None
    if raw.dtype.kind not in "iuf" and not (raw.dtype.kind == "O" and _all_real(raw)):
        raise TypeError(f"{name} must be {what}, got {shown(value)}")
    try:
        result = raw.astype(float, copy=copy)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be {what}, got {shown(value)}") from None
    if ndim is not None and result.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {result.shape}")
    if result.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} value(s), got {result.size}")
    ends = (result.min(), result.max()) if result.size else ()
    if ends and all(_inside(float(end), low, high, low_open, high_open) for end in ends):
        return result  # two reductions decide it (a NaN makes both NaN); the mask finds the culprit
    above = result > low if low_open else result >= low
    below = result < high if high_open else result <= high
    bad = ~(np.isfinite(result) & above & below)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        where = f" at index {index if len(index) > 1 else index[0]}" if result.ndim else ""
        first = raw[index] if result.ndim else raw
        raise ValueError(f"{name} must be {what}, got {shown(first)}{where}")
    return result


def _all_real(raw: np.ndarray) -> bool:
    return all(isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_) for x in raw.flat)


def points(name: str, value: object, dim: int | None = None, allow_empty: bool = False):
    """Return ``value`` as a finite float array of shape (k, d), d = ``dim`` when given."""
    result = array(name, value, min_size=0)
    want = f"(k, {dim})" if dim is not None else "(k, d)"
    if result.ndim != 2 or (dim is not None and result.shape[1] != dim) or result.shape[1] == 0:
        raise ValueError(f"{name} must be an array of shape {want}, got shape {result.shape}")
    if len(result) == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one point, got shape {result.shape}")
    return result


def vector(name: str, value: object, dim: int | None = None) -> np.ndarray:
    """Return ``value`` (a number or a 1-d sequence) as a non-empty finite 1-d float array."""
    result = np.atleast_1d(array(name, value))
    if result.ndim != 1 or (dim is not None and result.shape[0] != dim):
        want = f"({dim},)" if dim is not None else "(d,)"
        raise ValueError(f"{name} must be a vector of shape {want}, got shape {result.shape}")
    return result


def rng(value: object, name: str = "rng") -> np.random.Generator:
    """Return a numpy Generator: ``value`` itself, or ``numpy.random.default_rng(seed)`` for a
    whole-number seed >= 0. None is refused: randomness is always explicit."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a numpy.random.Generator or a whole-number seed >= 0, "
            f"got {shown(value)}"
        )
    return np.random.default_rng(whole(name, value, minimum=0))


def size(name: str, value: object, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
    """Return a count (sample size, width, number of points) in [minimum, maximum].

    The upper limit is stated in the message, so an impossible allocation is refused up front.
    """
    return whole(name, value, minimum=minimum, maximum=maximum)


def digits(value: object, name: str = "digits", maximum: int = MAX_DIGITS) -> int:
    """Return a decimal precision (mpmath dps) in [1, maximum]."""
    return whole(name, value, minimum=1, maximum=maximum)


def choice(name: str, value: object, options: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``options`` (strings), else raise naming them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(options)}, got {shown(value)}")
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {shown(value)}")
    return value


def parse_real(
    name: str,
    text: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Parse decimal ``text`` (e.g. a command-line value) into a float checked as ``real``.

    'nan', 'inf' and numbers beyond the float range ('1e400') are refused, not rounded.
    """
    allowed = "a finite number" + _bounds_text(low, high, low_open, high_open)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be text holding {allowed}, got {shown(text)}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be {allowed}, got {shown(text)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}, got {shown(text)}")
    return real(name, value, low, high, low_open=low_open, high_open=high_open)


def path(name: str, value: object) -> Path:
    """Return ``value`` (text or ``os.PathLike``, not empty, no NUL) as a Path; an integer
    (which ``open`` would take for a file descriptor), bytes or anything else is refused."""
    if isinstance(value, bytes) or not isinstance(value, str | os.PathLike) or str(value) == "":
        raise TypeError(f"{name} must be a file path (text), got {shown(value)}")
    if "\0" in str(value):
        raise ValueError(f"{name} must be a file path without NUL characters, got {shown(value)}")
    return Path(value)


def instance(name: str, value: object, kind: type, described: str | None = None) -> object:
    """Return ``value`` if it is a ``kind``, else raise a TypeError naming ``name``, what is
    allowed (``described``, by default "a <kind>") and the value given."""
    if not isinstance(value, kind):
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        allowed = described or f"{article} {kind.__name__}"
        raise TypeError(f"{name} must be {allowed}, got {shown(value)}")
    return value

"""Checks at the boundary: each raises with the parameter's name, its value and what is allowed."""

from __future__ import annotations

import math
import numbers


def whole(name: str, value: object, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum``; a float is accepted only if it is integral."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if isinstance(value, numbers.Integral):
        result = int(value)
    elif math.isfinite(value) and float(value).is_integer():
        result = int(value)
    else:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if result < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return result


def real(name: str, value: object, low: float = -math.inf, high: float = math.inf) -> float:
    """Return ``value`` as a finite float in the closed interval [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [{low}, {high}], got {value!r}")
    result = float(value)
    if not math.isfinite(result) or not low <= result <= high:
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value!r}")
    return result


def positive(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0."""
    result = real(name, value, 0.0)
    if result == 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return result


def generation(value: object) -> int:
    """Return a generation index i >= 1 (generation 0 is the real distribution, no model)."""
    return whole("generation i", value, minimum=1)

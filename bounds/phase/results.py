"""The results of ``bounds.phase``: thresholds with their certificates, tables of them, and
``Digits``, the mpmath number that prints the digits it was computed to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mpmath as mp
import numpy as np

Number = Any  # float or mpmath.mpf


class Digits(mp.mpf):
    """An mpmath number that prints the significant digits it was computed to, no more, no fewer.

    Arithmetic on it gives plain ``mpmath.mpf`` values (at the context's precision).
    """

    __slots__ = ("digits",)

    def __new__(cls, value: object, digits: int) -> Digits:
        self = mp.mpf.__new__(cls, value)
        self.digits = digits
        return self

    def __str__(self) -> str:
        return mp.nstr(self, self.digits, strip_zeros=False)

    def __repr__(self) -> str:
        return f"Digits('{self}', digits={self.digits})"

    def __reduce__(self):
        return (Digits, (str(mp.mpf(self)), self.digits))


@dataclass(frozen=True)
class Threshold:
    """Where B_i(m) peaks as the synthetic amount m grows, for one generation i and real size n.

    When ``exists`` is False, ``reason`` says why (i = 1, or the bound is monotone in m) and the
    numeric fields are None. Otherwise ``m`` is m*_i, ``x`` = (n + m*)/n, ``peak`` = B_i(m*),
    ``ratio`` = B_i(m*)/B_i(0), and the certificate: ``slope_below`` > 0 > ``slope_above`` are
    dB_i/dm at the ends of ``bracket`` = (m_lo, m_hi), an interval around m* that must hold the
    sign change, evaluated in mpmath so the signs are exact.
    """

    i: int
    n: float
    model: str
    exists: bool
    reason: str
    method: str
    digits: int | None = None
    x: Number | None = None
    m: Number | None = None
    peak: Number | None = None
    ratio: Number | None = None
    bracket: tuple[Number, Number] | None = None
    slope_below: Number | None = None
    slope_above: Number | None = None
    scenario: str = "augment"

    @property
    def certified(self) -> bool:
        """True when the bound's slope is positive below m* and negative above it."""
        return self.exists and self.slope_below > 0 > self.slope_above

    @property
    def m_over_n(self) -> Number | None:
        """m*/n, computed at the result's own precision (None when there is no threshold)."""
        if self.m is None:
            return None
        if self.digits is None:
            return self.m / self.n
        with mp.workdps(self.digits + 10):
            return Digits(self.m / self.n, self.digits)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: float results as JSON numbers, mpmath results as decimal strings with
        exactly ``digits`` significant digits (a float would keep only about 16)."""

        def out(value: Number | None) -> float | str | None:
            if value is None:
                return None
            return float(value) if self.digits is None else _show(value, self.digits)

        return {
            "i": self.i,
            "n": self.n,
            "scenario": self.scenario,
            "model": self.model,
            "exists": self.exists,
            "certified": self.certified,
            "reason": self.reason,
            "method": self.method,
            "digits": self.digits,
            "x": out(self.x),
            "m": out(self.m),
            "m_over_n": out(self.m_over_n),
            "peak": out(self.peak),
            "ratio": out(self.ratio),
            "bracket": None if self.bracket is None else [out(v) for v in self.bracket],
            "slope_below": out(self.slope_below),
            "slope_above": out(self.slope_above),
        }

    def __str__(self) -> str:
        if not self.exists:
            return f"generation {self.i}, n = {self.n:g}: {self.reason}"
        d = self.digits
        return (
            f"generation {self.i}, n = {self.n:g}: m* = {_show(self.m, d)} "
            f"(m*/n = {_show(self.m_over_n, d)}), peak B = {_show(self.peak, d)} "
            f"= {_show(self.ratio, d)} x B(0) [{self.method}]"
        )


@dataclass(frozen=True)
class ThresholdTable:
    """``threshold`` over an array of generations: ``items`` in row-major order of ``shape``."""

    shape: tuple[int, ...]
    items: tuple[Threshold, ...]

    def column(self, name: str) -> np.ndarray:
        """One field of every item, as an object array of ``shape`` (None where it has none)."""
        values = np.empty(len(self.items), dtype=object)
        values[:] = [getattr(t, name) for t in self.items]
        return values.reshape(self.shape)

    @property
    def m(self) -> np.ndarray:
        return self.column("m")

    @property
    def peak(self) -> np.ndarray:
        return self.column("peak")

    @property
    def exists(self) -> np.ndarray:
        return self.column("exists").astype(bool)

    @property
    def certified(self) -> np.ndarray:
        return self.column("certified").astype(bool)

    def rows(self) -> list[dict[str, object]]:
        """``Threshold.to_dict`` of every item."""
        return [t.to_dict() for t in self.items]


@dataclass(frozen=True)
class Certificate:
    """Slopes of B_i at m(1 -/+ rel)-ish points: ``is_maximum`` iff rising below, falling above."""

    m_below: Number
    m_above: Number
    slope_below: Number
    slope_above: Number

    @property
    def is_maximum(self) -> bool:
        """True when the slope changes sign from + to - across the interval."""
        return self.slope_below > 0 > self.slope_above


@dataclass(frozen=True)
class PowerLawThresholds:
    """m*_i for eps(N) = C N^-alpha over broadcast arrays of (i, n, alpha), in floats.

    ``certified`` is True where the slope of B_i is positive at x*(1 - 1e-9) and negative at
    x*(1 + 1e-9), so the relative error of x* is below 1e-9 there.
    """

    i: np.ndarray
    n: np.ndarray
    alpha: np.ndarray
    C: np.ndarray
    x: np.ndarray
    m: np.ndarray
    peak: np.ndarray
    ratio: np.ndarray
    slope_below: np.ndarray
    slope_above: np.ndarray
    certified: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the broadcast shape and ``rows()``."""
        certified = [bool(c) for c in self.certified.ravel()]
        return {"shape": list(self.m.shape), "rows": self.rows(), "certified": certified}

    def rows(self) -> list[dict[str, float]]:
        """One dict per (flattened) entry, with the columns above."""
        names = ("i", "n", "alpha", "C", "x", "m", "peak", "ratio", "slope_below", "slope_above")
        columns = [getattr(self, k).ravel() for k in names]
        return [
            {k: (int(v) if k == "i" else float(v)) for k, v in zip(names, values, strict=True)}
            for values in zip(*columns, strict=True)
        ]


@dataclass(frozen=True)
class OneStepThreshold:
    """The one-step reading: B(m) = eps(n+m) + (m/(n+m)) delta with delta = delta_(i-1) fixed.

    B rises at m = 0 iff delta > ``critical_delta`` = -n eps'(n). When it does, ``m`` is the first
    peak, with ``peak`` = B(m*), and the slopes of B at the ends of ``bracket`` certify it.
    """

    n: float
    delta: float
    model: str
    critical_delta: Number
    rises_at_zero: bool
    exists: bool
    reason: str
    method: str
    m: Number | None = None
    peak: Number | None = None
    bracket: tuple[Number, Number] | None = None
    slope_below: Number | None = None
    slope_above: Number | None = None

    @property
    def certified(self) -> bool:
        """True when the slope is positive below m* and negative above it."""
        return self.exists and self.slope_below > 0 > self.slope_above

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, as ``Threshold.to_dict`` (decimal strings when ``digits`` was asked)."""
        digits = None if not isinstance(self.critical_delta, Digits) else self.critical_delta.digits

        def out(value: Number | None) -> float | str | None:
            if value is None:
                return None
            return float(value) if digits is None else _show(value, digits)

        return {
            "n": self.n,
            "delta": self.delta,
            "model": self.model,
            "critical_delta": out(self.critical_delta),
            "rises_at_zero": self.rises_at_zero,
            "exists": self.exists,
            "certified": self.certified,
            "reason": self.reason,
            "method": self.method,
            "m": out(self.m),
            "peak": out(self.peak),
            "bracket": None if self.bracket is None else [out(v) for v in self.bracket],
            "slope_below": out(self.slope_below),
            "slope_above": out(self.slope_above),
        }


def _show(value: Number, digits: int | None = None) -> str:
    """Floats with 6 significant digits; mpmath numbers with the ``digits`` they carry."""
    if digits is None:
        return mp.nstr(value, 12) if isinstance(value, mp.mpf) else f"{float(value):.6g}"
    return mp.nstr(value, digits, strip_zeros=False)


def _out(value: Number, digits: int | None, where: str) -> Number:
    """``value`` as a float (digits None) or as ``Digits``; a float beyond the float range is
    refused, naming ``where`` (the inputs), since mpmath (``digits``) would hold it."""
    if digits is not None:
        return Digits(value, digits)
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(
            f"{where}: {mp.nstr(value, 6)} is beyond the float range; "
            "ask for digits=... to compute it in mpmath"
        )
    return result

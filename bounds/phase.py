"""The phase transition in the amount of synthetic data (scenario ``augment``).

Generation i trains on n real points plus m points sampled from generation i-1. With
x = (n+m)/n >= 1 and r = m/(n+m) = 1 - 1/x, Theorem R gives

    B_i(m) = eps(n x) x (1 - r^(i-1)) + r^(i-1) eps(n)          (i >= 2),

and B_1 = eps(n) does not depend on m. For the power law eps(N) = C N^-a this is
C n^-a g_i(x) with g_i(x) = x^(1-a) (1 - r^(i-1)) + r^(i-1). The threshold m*_i is where B_i
stops rising and starts falling: the first zero of dB_i/dm at which the slope turns from positive
to negative. Everything here reports that honestly, including when there is none.

The power-law solver works in s = log(x - 1) on

    phi(s) = log((1-a)(1 - r^(i-1))) - log((i-1) r^(i-2) x^-1 (1 - x^(a-1))),

the log of the ratio of the two terms of g_i'(x) x^a; phi > 0 exactly where the bound rises. Every
power of r is taken as exp(k log r), so nothing underflows or cancels at large i.

Every other value of B_i(m) and dB_i/dm here (``bound_value``, ``bound_slope``, the scan and the
certificates) is ``bounds.propagation``'s closed form for the scenario and its sympy derivative
in m, so ``threshold`` works for any scenario with a synthetic amount. Only the float power-law
solver keeps its own normalised g_i, so that ``bounds threshold`` runs without importing sympy;
the tests hold it to the propagation formula. The module is long because it holds the four
readings of one question (closed form, numeric solvers, asymptotics, the one-step reading) with
their result types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import mpmath as mp
import numpy as np

from bounds import validate

if TYPE_CHECKING:
    import sympy as sp

    from bounds.errors import ErrorModel
    from bounds.scenarios import Scenario

SCAN_RANGE = (1e-9, 1e12)
"""m/n range searched for a sign change of dB/dm when the error model is not a power law."""
_SCAN_POINTS = 800
_FLOAT_BRACKET = 1e-9  # relative width in x of the certified bracket around a float root
_S_LOW = -40.0  # s = log(x - 1) where every power law still rises (x - 1 = 4e-18)
_BISECTIONS = 80
_METHODS = ("auto", "closed form", "numeric", "scan")
MAX_GENERATION = 10**15
"""The largest generation i solved for: every i up to it is exact in float64, and the float
solver's certificate still resolves x*(1 -/+ 1e-9) there."""
MAX_EXPANDED_GENERATION = 100
"""The largest generation i for a scenario whose B_i sums over earlier generations
(``accumulate``): its closed form is expanded term by term in sympy, seconds at i = 100."""
POWER_LAW_ALPHA_MIN = 1e-5
"""The smallest alpha the float power-law solver takes: the two terms of g_i' agree to about
alpha, so below it float64 cannot place their crossing (measured: every i in 2..1e15 is
certified from alpha = 6e-6, none below 1e-8). ``threshold`` solves smaller alpha in mpmath."""
ALPHA_MIN = float(np.finfo(float).tiny)
"""alpha must exceed it in the asymptotics (2.2e-308, the smallest normal float): u*(alpha) ~
2 alpha would otherwise be a subnormal float, short of digits, and 1/u* beyond the float range."""

Number = Any  # float or mpmath.mpf


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- power law, floats


def _phi(s: np.ndarray, i: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log of (rising term / falling term) of g_i'(x) at x = 1 + e^s; > 0 where B_i rises
    (-inf where e^-s underflows: the rising term is then 0 in floats)."""
    with np.errstate(divide="ignore"):
        return _phi_terms(s, i, a)


def _phi_terms(s: np.ndarray, i: np.ndarray, a: np.ndarray) -> np.ndarray:
    log_x = np.logaddexp(0.0, s)
    log_r = -np.log1p(np.exp(-s))  # log(e^s / (1 + e^s)), without cancelling s - log_x
    rising = np.log1p(-a) + np.log(-np.expm1((i - 1) * log_r))
    falling = np.log(i - 1) + (i - 2) * log_r - log_x + np.log(-np.expm1((a - 1) * log_x))
    return rising - falling


def _g(x: np.ndarray, i: np.ndarray, a: np.ndarray) -> np.ndarray:
    """g_i(x) = x^(1-a) (1 - r^(i-1)) + r^(i-1), r = 1 - 1/x (r^(i-1) = 0 where x rounds to 1)."""
    with np.errstate(divide="ignore"):
        power = np.exp((i - 1) * np.log1p(-1 / x))
    return x ** (1 - a) * (1 - power) + power


def power_law_ratio(m_over_n: object, i: object, alpha: object = 0.2) -> np.ndarray:
    """B_i(m)/B_i(0) = g_i(1 + m/n) for eps(N) = C N^-alpha, vectorised (i >= 2, m/n > 0)."""
    ratio = _array("m_over_n", m_over_n, low=0.0, open_ends=True)
    i_arr = _array("i", i, integer=True, low=2, high=MAX_GENERATION).astype(float)
    a = _array("alpha", alpha, low=0.0, open_ends=True)
    return _g(1 + ratio, i_arr, a)


def _g_slope(x: np.ndarray, i: np.ndarray, a: np.ndarray) -> np.ndarray:
    """g_i'(x) = x^-a [(1-a)(1 - r^(i-1)) - (i-1) r^(i-2) x^-1 (1 - x^(a-1))]."""
    log_r = np.log1p(-1 / x)
    rising = (1 - a) * -np.expm1((i - 1) * log_r)
    falling = (i - 1) * np.exp((i - 2) * log_r) / x * -np.expm1((a - 1) * np.log(x))
    return x**-a * (rising - falling)


def _solve_s(i: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The root s* of phi by vectorised bisection between _S_LOW and an expanded upper end."""
    low = np.full(np.broadcast(i, a).shape, _S_LOW)
    high = np.logaddexp(np.log(4 * i) - np.log(a), np.log(10.0)) + 0 * low  # log(4 i/a + 10)
    for _ in range(60):
        rising = _phi(high, i, a) >= 0
        if not rising.any():
            break
        high = np.where(rising, high + 3.0, high)
    else:
        raise RuntimeError("could not bracket the power-law threshold; please report the inputs")
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        rising = _phi(middle, i, a) > 0
        low = np.where(rising, middle, low)
        high = np.where(rising, high, middle)
    return (low + high) / 2


def power_law_thresholds(
    i: object, alpha: object = 0.2, n: object = 1.0, C: object = 1.0
) -> PowerLawThresholds:
    """m*_i for eps(N) = C N^-alpha, vectorised over broadcast arrays of i >= 2, alpha in
    (POWER_LAW_ALPHA_MIN, 1), n > 0 and C > 0 (x* depends on i and alpha only; m* = n (x* - 1),
    peak = C n^-alpha g_i(x*)).

    Every result is a float64: where m* (~ i n / (2 alpha) for small alpha), the peak or a slope
    (~ C n^(-1-alpha)) would pass 1.8e308, the call is refused naming the inputs
    (``threshold(i, n, power_law(C, alpha), digits=...)`` computes in mpmath for n >= 1).
    """
    i_arr = _array("i", i, integer=True, low=2, high=MAX_GENERATION)
    a_arr = _array("alpha", alpha, low=0.0, high=1.0, open_ends=True)
    if np.any(a_arr <= POWER_LAW_ALPHA_MIN):
        raise ValueError(
            f"alpha must be > {POWER_LAW_ALPHA_MIN:g} in floats, got {a_arr.min():g}: below it "
            "float64 cannot place the peak; threshold(..., digits=...) solves it in mpmath"
        )
    n_arr = _array("n", n, low=0.0, open_ends=True)
    c_arr = _array("C", C, low=0.0, open_ends=True)
    i_arr, a_arr, n_arr, c_arr = np.broadcast_arrays(i_arr, a_arr, n_arr, c_arr)
    i_f = i_arr.astype(float)
    s = _solve_s(i_f, a_arr)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked below
        x = 1 + np.exp(s)
        scale = c_arr * n_arr**-a_arr
        below, above = x * (1 - _FLOAT_BRACKET), x * (1 + _FLOAT_BRACKET)
        slope_below = scale / n_arr * _g_slope(below, i_f, a_arr)
        slope_above = scale / n_arr * _g_slope(above, i_f, a_arr)
        ratio = _g(x, i_f, a_arr)
        m, peak, spread = n_arr * np.exp(s), scale * ratio, slope_below - slope_above
    results = {"m*": m, "peak": peak, "slope": spread}
    for what, value in results.items():
        bad = ~np.isfinite(value)
        if bad.any():
            k = tuple(np.argwhere(bad)[0])
            raise ValueError(
                f"the {what} of the power-law threshold is beyond the float range at i = "
                f"{i_arr[k]}, alpha = {a_arr[k]:g}, n = {n_arr[k]:g}, C = {c_arr[k]:g} "
                f"(m*/n = e^{s[k]:.6g}; float64 ends near e^709.8)"
            )
    return PowerLawThresholds(
        i=i_arr,
        n=n_arr,
        alpha=a_arr,
        C=c_arr,
        x=x,
        m=m,
        peak=peak,
        ratio=ratio,
        slope_below=slope_below,
        slope_above=slope_above,
        certified=(slope_below > 0) & (slope_above < 0),
    )


def _array(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    integer: bool = False,
    open_ends: bool = False,
) -> np.ndarray:
    """``value`` as a numpy array checked against [low, high] (open if asked), else raise."""
    kind = "whole numbers" if integer else "numbers"
    try:
        if np.iscomplexobj(value):  # numpy would drop the imaginary part with a warning
            raise TypeError
        array = np.asarray(value, dtype=float)
    except OverflowError:
        raise ValueError(f"{name} must be finite {kind} in [{low:g}, {high:g}]") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of {kind}, got {value!r}") from None
    if isinstance(value, bool) or array.dtype == bool or array.size == 0:
        raise TypeError(f"{name} must be a number or a non-empty array of {kind}, got {value!r}")
    inside = (array > low) & (array < high) if open_ends else (array >= low) & (array <= high)
    bad = ~np.isfinite(array) | ~inside
    if integer:
        bad |= array != np.round(array)
    if bad.any():
        brackets = "()" if open_ends else "[]"
        allowed = f"{brackets[0]}{low:g}, {high:g}{brackets[1]}"
        raise ValueError(
            f"{name} must be finite {kind} in {allowed}, got {float(array[bad].flat[0])!r}"
        )
    return array.astype(np.int64) if integer else array


# --------------------------------------------------------------------------- asymptotics


def asymptotic_u(alpha: object) -> float | np.ndarray:
    """u*(alpha) > 0 solving (1-alpha)(e^u - 1) = u: the limit of i / x*_i as i -> infinity.

    Closed form u* = -W_(-1)(-(1-alpha) e^(alpha-1)) - (1-alpha) (Lambert W, lower branch),
    which cancels catastrophically as alpha -> 0 (u* ~ 2 alpha). Computed instead as the root of
    log d(u) = log(alpha/(1-alpha)), d(u) = (e^u - 1)/u - 1 = sum_{k>=1} u^k/(k+1)! (the series
    below u = 1/2, so d keeps full relative precision for any alpha > 0), by Newton's method,
    vectorised (log d is increasing and concave, so it converges from either side), then
    polished by two Newton steps on d(u) = alpha/(1-alpha) itself. alpha in (ALPHA_MIN, 1).
    """
    a = _array("alpha", alpha, low=ALPHA_MIN, high=1.0, open_ends=True)
    target = np.log(a) - np.log1p(-a)
    # d(u) >= u/2 puts 2a/(1-a) right of the root; so is the old start for alpha near 1
    u = np.minimum(2 * a / (1 - a), np.maximum(2 * a, -np.log1p(-a)) + 2.0)
    for _ in range(200):
        d, slope = _excess_exprel(u)
        step = (np.log(d) - target) / (slope / d)
        u_next = u - step
        u = np.where(u_next > 0, u_next, u / 2)
        if np.all(np.abs(step) <= 4e-16 * u):
            break
    excess = a / (1 - a)
    for _ in range(2):  # polish on d(u) = a/(1-a) itself: log d carries |log d| ulps of error
        d, slope = _excess_exprel(u)
        u = u - (d - excess) / slope
    return float(u) if u.ndim == 0 else u


def _excess_exprel(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d(u) = (e^u - 1)/u - 1 and d'(u), by their Taylor series for u < 1/2, else directly."""
    small = np.minimum(u, 0.5)
    term = np.ones_like(small)
    d = np.zeros_like(small)
    d_slope = np.zeros_like(small)
    for k in range(1, 30):  # u^k/(k+1)!: 0.5^29/30! is far below float resolution
        term = term * small / (k + 1)
        d = d + term
        d_slope = d_slope + k * term / small
    with np.errstate(over="ignore", invalid="ignore"):
        big_d = np.expm1(u) / u - 1
        big_slope = (np.exp(u) * (u - 1) + 1) / u**2
    return np.where(u < 0.5, d, big_d), np.where(u < 0.5, d_slope, big_slope)


def asymptotic_slope(alpha: object) -> float | np.ndarray:
    """lim_(i -> inf) m*_i / (i n) = 1 / u*(alpha)."""
    return 1 / asymptotic_u(alpha)


def asymptotic_peak_constant(alpha: object) -> float | np.ndarray:
    """K(alpha) with B_i(m*_i) / B_i(0) ~ K i^(1-alpha): K = u*^alpha e^(-u*) / (1 - alpha)."""
    u = asymptotic_u(alpha)
    a = np.asarray(alpha, dtype=float)
    result = u**a * np.exp(-u) / (1 - a)
    return float(result) if np.ndim(result) == 0 else result


def asymptotic_error(i: object, alpha: object) -> float | np.ndarray:
    """Leading relative error of m*_i/(i n) ~ 1/u*: (u*/i)^(1-alpha) / (u* - alpha) (+ O(1/i))."""
    u = asymptotic_u(alpha)
    a = np.asarray(alpha, dtype=float)
    i_arr = _array("i", i, integer=True, low=2, high=MAX_GENERATION).astype(float)
    result = (u / i_arr) ** (1 - a) / (u - a)
    return float(result) if np.ndim(result) == 0 else result


def asymptotic_slope_expr() -> sp.Expr:
    """1/u*(alpha) as a sympy expression with Lambert's W on its lower branch."""
    import sympy as sp

    from bounds.symbols import alpha

    u = -sp.LambertW(-(1 - alpha) * sp.exp(alpha - 1), -1) - (1 - alpha)
    return 1 / u


# --------------------------------------------------------------------------- any error model


@dataclass(frozen=True)
class _Compiled:
    """eps and eps' of a model as numpy and mpmath functions of N, and its monomial form."""

    eps_mp: Any
    deps_mp: Any
    exponent: float | None  # eps = c N^exponent when the model is a monomial in N
    exponent_mp: Any  # the same exponent at the current mpmath precision, as eps_mp reads it


@lru_cache(maxsize=64)
def _compile(model: ErrorModel) -> _Compiled:
    import sympy as sp

    from bounds.symbols import N

    # constants as the exact decimals they print as (0.2 -> 1/5), so that eps, eps' and the
    # exponent agree to any mpmath precision instead of carrying float rounding
    eps = model.expr.subs({s: sp.Rational(repr(float(v))) for s, v in model.constants})
    deps = sp.diff(eps, N)
    coefficient, exponent = eps.as_coeff_exponent(N)
    monomial = N not in coefficient.free_symbols and exponent.is_number
    return _Compiled(
        eps_mp=sp.lambdify(N, eps, "mpmath"),
        deps_mp=sp.lambdify(N, deps, "mpmath"),
        exponent=float(exponent) if monomial else None,
        exponent_mp=sp.lambdify((), exponent, "mpmath") if monomial else None,
    )


def _model(error_model: ErrorModel | None) -> ErrorModel:
    from bounds import errors

    if error_model is None:
        return errors.power_law()
    if not isinstance(error_model, errors.ErrorModel):
        raise TypeError(
            f"error_model must be a bounds.errors.ErrorModel, got {type(error_model).__name__}"
        )
    return error_model


@dataclass(frozen=True)
class _Forms:
    """B_i(m) from ``bounds.propagation``'s closed form, its slope dB/dm (sympy's derivative of the
    same formula) and the slope's magnitude (every sum replaced by the sum of absolute values,
    against which a computed slope is rounding noise), compiled as functions of (i, n, m)."""

    value_np: Any
    value_mp: Any
    slope_np: Any
    slope_mp: Any
    magnitude_np: Any


@lru_cache(maxsize=64)
def _forms(template: Scenario, model: ErrorModel, i: int | None) -> _Forms:
    """The forms for ``template``'s kind of scenario as functions of (i, n, m, *constants);
    ``i`` is substituted first when the closed form sums over generations, and left free
    (array-friendly) otherwise. Keyed by the model's formula, not its constants' values."""
    import sympy as sp

    from bounds import propagation
    from bounds import symbols as S

    b = propagation.bound(template, model)
    m = S.m
    fixed = {s: v for s, v in template.symbols().items() if s not in (S.n, m)}
    expr = b.numeric_expr.subs(fixed)
    if i is not None:
        expr = expr.subs(S.i, i).doit()
    slope = sp.diff(expr, m)
    magnitude = slope.replace(lambda e: e.is_Add, lambda e: sp.Add(*map(sp.Abs, e.args)))
    args = (S.i, S.n, m, *(s for s, _ in model.constants))
    compiled = [
        propagation.compile_formula(args, f, lib)
        for f, lib in ((expr, "numpy"), (expr, "mpmath"), (slope, "numpy"), (slope, "mpmath"))
    ]
    return _Forms(*compiled, propagation.compile_formula(args, magnitude, "numpy"))


def _augment_forms(model: ErrorModel, i: int, template: Scenario | None = None) -> _Forms:
    from bounds.scenarios import Augment

    template = Augment(1, 0) if template is None else template
    shape = replace(model, constants=tuple((s, 1.0) for s, _ in model.constants))
    return _forms(template, shape, i if template.evaluation != "closed" else None)


def _constants(model: ErrorModel, lib: Any) -> list:
    """The model's constants as floats (numpy) or as the exact decimals they print as (mpmath),
    so that every formula agrees to any precision instead of carrying float rounding."""
    if lib is mp:
        return [mp.mpf(repr(float(v))) for _, v in model.constants]
    return [float(v) for _, v in model.constants]


def bound_value(
    i: int, n: Number, m: Number, error_model: ErrorModel, lib: Any = mp, scenario=None
) -> Number:
    """B_i(m) of ``augment`` (or of ``scenario``'s kind) from ``bounds.propagation``'s closed form:
    eps(n+m)(1 - r^(i-1))/(1 - r) + r^(i-1) eps(n), r = m/(n+m) (B_1 = eps(n)).

    ``lib`` is ``mpmath`` (scalars, to the current precision: the formula's r = 1 - n/(n+m)
    cancels, so it runs with log10((n+m)/m) extra digits) or ``numpy`` (arrays); n > 0 and
    m >= 0 are finite reals, i a generation (at most ``MAX_GENERATION``, or
    ``MAX_EXPANDED_GENERATION`` for a scenario that sums over generations).
    """
    i, n, m, model = _point(i, n, m, error_model, lib, scenario, m_low_open=False)
    with _digits_for(n, m, lib):
        value = _bound_value(i, *_at_precision(n, m, lib), model, lib, scenario)
    return _finite("B_i", +value if lib is mp else value, i, n, m)


def bound_slope(
    i: int, n: Number, m: Number, error_model: ErrorModel, lib: Any = mp, scenario=None
) -> Number:
    """dB_i/dm, sympy's derivative of the same closed form, at m > 0 (arguments as above)."""
    i, n, m, model = _point(i, n, m, error_model, lib, scenario, m_low_open=True)
    with _digits_for(n, m, lib):
        value = _bound_slope(i, *_at_precision(n, m, lib), model, lib, scenario)
    return _finite("dB_i/dm", +value if lib is mp else value, i, n, m)


def _bound_value(i: int, n: Number, m: Number, model: ErrorModel, lib: Any, scenario) -> Number:
    forms = _augment_forms(model, i, scenario)
    f = forms.value_mp if lib is mp else forms.value_np
    return f(i, n, m, *_constants(model, lib))


def _bound_slope(i: int, n: Number, m: Number, model: ErrorModel, lib: Any, scenario) -> Number:
    forms = _augment_forms(model, i, scenario)
    f = forms.slope_mp if lib is mp else forms.slope_np
    return f(i, n, m, *_constants(model, lib))


def _point(i, n, m, error_model, lib, scenario, m_low_open: bool) -> tuple:
    """Checked (i, n, m, model) for ``bound_value`` and ``bound_slope``: n and m as given when
    they are mpmath numbers or ints (kept exact), else as floats, for ``lib=mpmath``; float
    arrays for ``lib=numpy``."""
    from bounds.scenarios import Scenario

    model = _model(error_model)
    if scenario is not None and not isinstance(scenario, Scenario):
        shown = validate.shown(scenario)
        raise TypeError(f"scenario must be a bounds Scenario or None, got {shown}")
    if scenario is not None:
        scenario = _template(scenario)[0]
    i = _generation(i, scenario)
    if lib is np:
        n = validate.array("n", n, low=0.0, low_open=True)
        return i, n, validate.array("m", m, low=0.0, low_open=m_low_open), model
    if lib is not mp:
        raise TypeError(f"lib must be the mpmath or the numpy module, got {validate.shown(lib)}")
    checked_n = validate.real("n", n, 0.0, low_open=True)
    checked_m = validate.real("m", m, 0.0, low_open=m_low_open)
    return i, _exact_mp(n, checked_n), _exact_mp(m, checked_m), model


def _digits_for(n: Number, m: Number, lib: Any):
    """A context with the digits r = 1 - n/(n+m) loses added to mpmath's (none for numpy)."""
    if lib is not mp or m == 0:
        return mp.workdps(mp.mp.dps)
    lost = mp.log10((mp.mpf(n) + mp.mpf(m)) / mp.mpf(m))
    return mp.workdps(mp.mp.dps + 5 + max(0, int(lost)))


def _exact_mp(value: object, checked: float) -> mp.mpf | int | float:
    """``value`` itself when it is an mpmath number or an int (exact), else its checked float."""
    return value if isinstance(value, mp.mpf | int) else checked


def _at_precision(n: Number, m: Number, lib: Any) -> tuple[Number, Number]:
    """(n, m) as mpmath numbers at the working precision (numpy arrays pass through)."""
    return (mp.mpf(n), mp.mpf(m)) if lib is mp else (n, m)


def _generation(i: object, template: Scenario | None) -> int:
    """A generation i in 1..MAX_GENERATION, or 1..MAX_EXPANDED_GENERATION when ``template``'s
    bound sums over earlier generations (its closed form is expanded term by term)."""
    expanded = template is not None and template.evaluation != "closed"
    limit = MAX_EXPANDED_GENERATION if expanded else MAX_GENERATION
    return validate.whole("generation i", i, minimum=1, maximum=limit)


def _finite(what: str, value: Number, i: int, n: Number, m: Number) -> Number:
    """``value`` if every entry is a finite real, else a ValueError naming the point."""
    if isinstance(value, mp.mpf | mp.mpc):
        ok = isinstance(value, mp.mpf) and mp.isfinite(value)
    else:
        ok = np.isrealobj(value) and bool(np.all(np.isfinite(value)))
    if not ok:
        raise ValueError(
            f"{what} is not a finite real number at generation i = {i}, n = {validate.shown(n)},"
            f" m = {validate.shown(m)} (with lib=numpy, floats may overflow: try lib=mpmath)"
        )
    return value


def certify(
    i: int,
    n: float | Scenario,
    m: Number,
    error_model: ErrorModel | None = None,
    rel: float = 1e-9,
) -> Certificate:
    """Slopes of B_i at x(1 - rel) and x(1 + rel), x = (n+m)/n, in 50-digit mpmath arithmetic.

    A true threshold gives slope_below > 0 > slope_above; a wrong claimed m (further than rel
    from the root, relatively in x) gives two slopes of the same sign. ``n`` as in ``threshold``.
    """
    template, n = _template(n)
    i = _generation(i, template)
    model = _model(error_model)
    m = _exact_mp(m, validate.real("m", m, 0.0, low_open=True))
    rel = validate.real("rel", rel, 0.0, 1.0, low_open=True, high_open=True)
    with mp.workdps(max(50, mp.mp.dps + 10)):
        n_mp, m = mp.mpf(n), mp.mpf(m)
        if not (n_mp + m) * (1 - rel) > n_mp:  # the lower point m_below must be an amount > 0
            raise ValueError(
                f"rel must be below m/(n + m) = {mp.nstr(m / (n_mp + m), 6)} for m = "
                f"{mp.nstr(m, 6)} at n = {n:g}, so that m_below > 0, got rel = {rel:g}"
            )
        return _certify_here(i, n_mp, m, model, mp.mpf(rel), template)


def symbolic_threshold(i: int, error_model: ErrorModel | None = None) -> sp.Expr | None:
    """m*_i as a sympy expression in n and the model's constant symbols, or None.

    sympy is asked only where it is known to succeed: i = 2 and eps a monomial c N^-a, where
    dB_2/dx = n eps'(n x) + eps(n)/x^2 = 0 gives x* = a^(-1/(1-a)) (valid for 0 < a < 1).
    For i >= 3 the condition mixes x^-a with a polynomial of degree i-2 in 1/x: no closed form.
    """
    import sympy as sp

    from bounds.symbols import N, n

    i = validate.generation(i)
    model = _model(error_model)
    if i != 2 or _compile(model).exponent is None:
        return None
    x = sp.Symbol("x", positive=True)
    eps = sp.Lambda(N, model.expr)
    slope = sp.diff(eps(n * x) + (1 - 1 / x) * eps(n), x)
    roots = sp.solve(slope, x)
    if len(roots) != 1:
        return None
    return n * (roots[0] - 1)


def threshold(
    i: int,
    n: float | Scenario,
    error_model: ErrorModel | None = None,
    digits: int | None = None,
    method: str = "auto",
) -> Threshold:
    """m*_i for ``augment`` with real size n: the first m where B_i stops rising, certified.

    ``n`` is the real size, or a scenario with a synthetic amount (``Augment(n, m)``: its m is
    ignored, since m is what varies; any scenario whose ``synthetic`` is set, such as
    ``Accumulate``, is scanned). ``digits`` = None computes in floats; an integer (1..10000)
    computes in mpmath to that many significant digits. ``method``: "auto" (closed form where
    sympy has one, else numeric), "closed form", "numeric", or "scan" (the generic scan even for
    a power law, as a cross-check). For ``augment`` power laws (eps = c N^-a) use the log-form
    solver for any i; everything else is scanned for a sign change of dB/dm over m/n in
    ``SCAN_RANGE``, then refined. B_i and dB/dm come from ``bounds.propagation``'s closed form.
    """
    template, n = _template(n)
    i = _generation(i, template)
    model = _model(error_model)
    if digits is not None:
        digits = _digits(digits)
    method = validate.choice("method", method, _METHODS)
    if i == 1:
        return Threshold(
            1,
            n,
            model.name,
            False,
            "no transition: B_1 = eps(n) does not "
            "depend on m (generation 1 trains on real data only)",
            "exact",
            digits,
            scenario=template.name,
        )
    augment = template.name == "augment"
    exponent = _compile(model).exponent if augment else None
    if exponent is not None and not -1 < exponent < 0 and method != "scan":
        return _monotone_power(i, n, model, exponent, digits)
    if method == "closed form" and (i != 2 or exponent is None):
        raise ValueError(
            f"method 'closed form' needs i = 2, augment and a power-law error model, got i = {i}"
            f", {template.name} and {model.name}"
        )
    dps = (digits or 15) + 15
    if exponent is not None and -1 < exponent < 0:  # slope terms agree to ~alpha: add digits
        dps += max(0, math.ceil(-math.log10(-exponent)))
    with mp.workdps(dps):
        a = -_compile(model).exponent_mp() if exponent is not None else None
        if exponent is not None and i == 2 and method not in ("numeric", "scan"):
            x, how = a ** (-1 / (1 - a)), "closed form x* = alpha^(-1/(1-alpha))"
        elif exponent is not None and method != "scan":
            x, how = _power_law_x(i, a, digits), "numeric, power-law log form"
        else:
            found = _scan(i, n, model, template)
            if isinstance(found, str):
                return Threshold(
                    i, n, model.name, False, found, "numeric scan", digits, scenario=template.name
                )
            x, how = _refine_general(i, n, model, found, template), "numeric, scan and refine"
        return _finish(i, n, model, x, digits, how, template)


def thresholds(
    i: object,
    n: float | Scenario,
    error_model: ErrorModel | None = None,
    digits: int | None = None,
    method: str = "auto",
) -> ThresholdTable:
    """``threshold`` at every generation of ``i`` (a whole number or an array of them), for any
    error model; each entry is solved and certified (in mpmath) as ``threshold`` does."""
    generations = _array("i", i, integer=True, low=1, high=MAX_GENERATION)
    items = tuple(threshold(int(g), n, error_model, digits, method) for g in generations.ravel())
    return ThresholdTable(generations.shape, items)


def _template(n: object) -> tuple[Scenario, float]:
    """(a scenario template with n = 1 and m = 0, the real size n) from a number or a scenario."""
    from bounds.scenarios import Augment, Scenario

    if isinstance(n, Scenario):
        if n.synthetic is None or n.real is None:
            raise ValueError(
                f"the scenario must have a synthetic amount to vary (augment, accumulate), got {n}"
            )
        size = float(n.parameters()[n.real])
        return replace(n, **{n.real: 1, n.synthetic: 0}), size
    return Augment(1, 0), validate.real("n", n, 1.0)  # a number of real points: at least one


def _digits(digits: object) -> int:
    from bounds.propagation import MAX_DIGITS

    value = validate.whole("digits", digits, minimum=1)
    if value > MAX_DIGITS:
        raise ValueError(f"digits must be a whole number in 1..{MAX_DIGITS}, got {digits!r}")
    return value


def _monotone_power(i: int, n: float, model: ErrorModel, exponent: float, digits) -> Threshold:
    if exponent >= 0:
        reason = (
            f"no interior maximum: eps ~ N^{exponent:g} does not decrease, so B_{i} rises "
            "for every m (no transition)"
        )
    elif exponent == -1:
        reason = f"no transition: eps ~ 1/N makes B_{i} constant in m"
    else:  # g_i - 1 = -(1 - r^(i-1)) (1 - x^(1-a)) <= 0: below B_i(0) for every m > 0
        reason = (
            f"no transition: eps ~ N^{exponent:g} decays faster than 1/N, so B_{i}(m) < B_{i}(0) "
            "for every m > 0 (a dip, then back up to eps(n) as m grows; no peak)"
        )
    return Threshold(i, n, model.name, False, reason, "exact (power law)", digits)


def _power_law_x(i: int, a: Number, digits: int | None) -> Number:
    """x*_i for the power law: float bisection, then mpmath refinement when digits are asked;
    below POWER_LAW_ALPHA_MIN, where floats cannot resolve it, in mpmath alone."""
    phi = _phi_mp(i, a)
    if a < POWER_LAW_ALPHA_MIN:
        low, high = mp.mpf(_S_LOW), mp.log(4 * i / a + 10)
        while phi(high) >= 0:
            high += 3
        return 1 + mp.exp(_bracketed_root(phi, low, high))
    s = float(_solve_s(np.float64(i), np.float64(float(a))))
    if digits is None:
        return mp.mpf(1) + mp.exp(s)
    width = mp.mpf(10) ** -8 * (1 + abs(s))
    low, high = mp.mpf(s) - width, mp.mpf(s) + width
    if not phi(low) > 0 > phi(high):
        low, high = mp.mpf(_S_LOW), mp.mpf(s) + 10
    return 1 + mp.exp(_bracketed_root(phi, low, high))


def _phi_mp(i: int, a: Number):
    def phi(s):
        log_r = -mp.log1p(mp.exp(-s))
        log_x = s - log_r
        rising = mp.log1p(-a) + mp.log(-mp.expm1((i - 1) * log_r))
        falling = mp.log(i - 1) + (i - 2) * log_r - log_x + mp.log(-mp.expm1((a - 1) * log_x))
        return rising - falling

    return phi


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


def _scan(i: int, n: float, model: ErrorModel, template) -> tuple[float, float] | str:
    """The first interval in s = log(m/n) where dB_i/dm turns from + to -, or why there is none."""
    s = np.linspace(math.log(SCAN_RANGE[0]), math.log(SCAN_RANGE[1]), _SCAN_POINTS)
    m = n * np.exp(s)
    forms = _augment_forms(model, i, template)
    args = (float(i), float(n), m, *_constants(model, np))
    with np.errstate(all="ignore"):
        slope = np.asarray(forms.slope_np(*args), dtype=float)
        scale = np.asarray(forms.magnitude_np(*args), dtype=float)
    if not np.all(np.isfinite(slope)):
        return "no answer: dB/dm is not finite on the scanned range"
    slope = np.where(np.abs(slope) <= 1e-10 * scale, 0.0, slope)  # rounding-level: no sign
    low, high = SCAN_RANGE
    if not slope.any():
        return f"no transition: B_{i} is constant in m for m/n in [{low:g}, {high:g}]"
    signed = np.flatnonzero(slope)
    turns = np.flatnonzero((slope[signed[:-1]] > 0) & (slope[signed[1:]] < 0))
    if turns.size:
        k = int(turns[0])
        return float(s[signed[k]]), float(s[signed[k + 1]])
    if np.all(slope <= 0):
        return f"no transition: B_{i} decreases in m for every m/n in [{low:g}, {high:g}]"
    if np.all(slope >= 0):
        return (
            f"no interior maximum: B_{i} rises for every m/n in [{low:g}, {high:g}], "
            "the whole scanned range"
        )
    return f"no transition: B_{i} first falls, then rises (a dip, no peak) for m/n <= {high:g}"


def _refine_general(
    i: int, n: float, model: ErrorModel, interval: tuple[float, float], template
) -> Number:
    """x* in the scanned interval, by a bracketing root search in s = log(m/n) (mpmath)."""
    n_mp = mp.mpf(n)
    scale = n_mp / _compile(model).eps_mp(n_mp)

    def slope(s):
        return _bound_slope(i, n_mp, n_mp * mp.exp(s), model, mp, template) * scale

    return 1 + mp.exp(_bracketed_root(slope, mp.mpf(interval[0]), mp.mpf(interval[1])))


def _finish(i: int, n: float, model: ErrorModel, x: Number, digits, how: str, template=None):
    """Package x* with peak, ratio and the certificate, in floats or at the asked precision."""
    n_mp = mp.mpf(n)
    m = n_mp * (x - 1)
    rel = mp.mpf(10) ** -digits if digits is not None else _FLOAT_BRACKET
    with mp.workdps(max(50, mp.mp.dps)):
        certificate = _certify_here(i, n_mp, m, model, mp.mpf(rel), template)
    peak = _bound_value(i, n_mp, m, model, mp, template)
    ratio = peak / _bound_value(i, n_mp, mp.mpf(0), model, mp, template)
    where = f"the threshold at generation {i}, n = {n:g}, {model.name}"

    def convert(value: Number) -> Number:
        return _out(value, digits, where)

    return Threshold(
        i=i,
        n=n,
        model=model.name,
        exists=True,
        reason="rises, then falls: interior maximum",
        method=how if digits is None else f"{how}, mpmath to {digits} digits",
        digits=digits,
        x=convert(x),
        m=convert(m),
        peak=convert(peak),
        ratio=convert(ratio),
        bracket=(convert(certificate.m_below), convert(certificate.m_above)),
        slope_below=convert(certificate.slope_below),
        slope_above=convert(certificate.slope_above),
        scenario=(template or _template(1.0)[0]).name,
    )


def _certify_here(
    i: int, n: Number, m: Number, model: ErrorModel, rel: Number, template=None
) -> Certificate:
    """``certify`` at the current precision."""
    x = (n + m) / n
    below, above = n * (x * (1 - rel) - 1), n * (x * (1 + rel) - 1)
    return Certificate(
        below,
        above,
        _bound_slope(i, n, below, model, mp, template),
        _bound_slope(i, n, above, model, mp, template),
    )


# --------------------------------------------------------------------------- one step


def one_step_threshold(
    n: float, delta: float, error_model: ErrorModel | None = None, digits: int | None = None
) -> OneStepThreshold:
    """Peak of B(m) = eps(n+m) + (m/(n+m)) delta, the previous error delta held fixed.

    B'(m) = eps'(n+m) + n delta/(n+m)^2, so B rises at m = 0 iff delta > -n eps'(n). For
    eps = C N^-a (0 < a < 1) the peak is at n + m* = (delta n/(a C))^(1/(1-a)); other models are
    scanned in N = n + m over n (1 + SCAN_RANGE) and refined.
    """
    n = validate.positive("n", n)
    delta = validate.real("delta", delta, 0.0)
    model = _model(error_model)
    if digits is not None:
        digits = _digits(digits)
    f = _compile(model)
    with mp.workdps((digits or 15) + 15):
        n_mp, d_mp = mp.mpf(n), mp.mpf(delta)

        def slope(m):
            return f.deps_mp(n_mp + m) + n_mp * d_mp / (n_mp + m) ** 2

        critical = -n_mp * f.deps_mp(n_mp)
        rises = bool(d_mp > critical)
        where = f"the one-step threshold at n = {n:g}, delta = {delta:g}, {model.name}"
        base = dict(
            n=n,
            delta=delta,
            model=model.name,
            critical_delta=_out(critical, digits, where),
            rises_at_zero=rises,
        )
        if not rises:
            return OneStepThreshold(
                **base,
                exists=False,
                method="exact",
                reason=(
                    f"no transition: delta = {delta:g} <= -n eps'(n) = {_show(critical)}, "
                    "so B falls from m = 0"
                ),
            )
        if f.exponent is not None and -1 < f.exponent < 0:
            a = -f.exponent_mp()
            coefficient = f.eps_mp(n_mp) * n_mp**a
            m = (d_mp * n_mp / (a * coefficient)) ** (1 / (1 - a)) - n_mp
            how = "closed form n + m* = (delta n/(alpha C))^(1/(1-alpha))"
        else:
            found = _scan_one_step(slope, n)
            if isinstance(found, str):
                return OneStepThreshold(**base, exists=False, method="numeric scan", reason=found)
            m = n_mp * mp.exp(
                _bracketed_root(
                    lambda s: slope(n_mp * mp.exp(s)) * n_mp / f.eps_mp(n_mp), *map(mp.mpf, found)
                )
            )
            how = "numeric, scan and refine"
        rel = mp.mpf(10) ** -(digits or 9)
        below, above = m - rel * (n_mp + m), m + rel * (n_mp + m)
        return OneStepThreshold(
            **base,
            exists=True,
            reason="rises, then falls: interior maximum",
            method=how if digits is None else f"{how}, mpmath to {digits} digits",
            m=_out(m, digits, where),
            peak=_out(f.eps_mp(n_mp + m) + m / (n_mp + m) * d_mp, digits, where),
            bracket=(_out(below, digits, where), _out(above, digits, where)),
            slope_below=_out(slope(below), digits, where),
            slope_above=_out(slope(above), digits, where),
        )


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


def _scan_one_step(slope, n: float) -> tuple[float, float] | str:
    s = np.linspace(math.log(SCAN_RANGE[0]), math.log(SCAN_RANGE[1]), _SCAN_POINTS)
    values = np.array([float(slope(mp.mpf(n) * mp.exp(v))) for v in s])
    turns = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    if turns.size:
        k = int(turns[0])
        return float(s[k]), float(s[k + 1])
    return f"no interior maximum: B rises for every m/n in [{SCAN_RANGE[0]:g}, {SCAN_RANGE[1]:g}]"

"""The power-law threshold: m*_i for eps(N) = C N^-a, where B_i(m) = C n^-a g_i(x) with

    g_i(x) = x^(1-a) (1 - r^(i-1)) + r^(i-1),    x = (n+m)/n, r = 1 - 1/x.

The solver works in s = log(x - 1) on

    phi(s) = log((1-a)(1 - r^(i-1))) - log((i-1) r^(i-2) x^-1 (1 - x^(a-1))),

the log of the ratio of the two terms of g_i'(x) x^a; phi > 0 exactly where the bound rises. Every
power of r is taken as exp(k log r), so nothing underflows or cancels at large i. It runs in
floats, vectorised (without sympy, for ``bounds threshold``), and in mpmath to any precision.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

from bounds.phase.inputs import MAX_GENERATION, _array
from bounds.phase.results import Number, PowerLawThresholds
from bounds.phase.roots import _bracketed_root

_FLOAT_BRACKET = 1e-9  # relative width in x of the certified bracket around a float root
_S_LOW = -40.0  # s = log(x - 1) where every power law still rises (x - 1 = 4e-18)
_BISECTIONS = 80


POWER_LAW_ALPHA_MIN = 1e-5
"""The smallest alpha the float power-law solver takes: the two terms of g_i' agree to about
alpha, so below it float64 cannot place their crossing (measured: every i in 2..1e15 is
certified from alpha = 6e-6, none below 1e-8). ``threshold`` solves smaller alpha in mpmath."""


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

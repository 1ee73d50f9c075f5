"""The power-law threshold as i -> infinity: m*_i/(i n) -> 1/u*(alpha), with u* > 0 the root of
(1-alpha)(e^u - 1) = u, and the peak ratio B_i(m*_i)/B_i(0) ~ K(alpha) i^(1-alpha)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bounds.phase.inputs import MAX_GENERATION, _array

if TYPE_CHECKING:
    import sympy as sp


ALPHA_MIN = float(np.finfo(float).tiny)
"""alpha must exceed it in the asymptotics (2.2e-308, the smallest normal float): u*(alpha) ~
2 alpha would otherwise be a subnormal float, short of digits, and 1/u* beyond the float range."""


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

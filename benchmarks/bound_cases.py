"""Cases on ``bounds``: the augment bound over many m, and the power-law thresholds.

- ``augment``: B_5(m) of ``augment`` (n = 1000) with eps(N) = N^-0.2 over 10^6 values of m, by
  ``Bound.evaluate``, against the closed form of Theorem R written by hand in numpy,
  B_i = eps(n+m) (1 - r^(i-1)) / (1 - r) + r^(i-1) eps(n), r = m / (n+m), once with plain powers
  and once with r^(i-1) = exp((i-1) log1p(-n/(n+m))) and 1 - r^(i-1) by expm1.
- ``thresholds``: m*_i for i = 2..1000 by ``bounds.phase.power_law_thresholds`` (vectorised),
  against scipy's ``minimize_scalar`` (Brent) maximising g_i(x) = x^(1-a) (1 - r^(i-1)) + r^(i-1)
  once per i; both are compared with m*_i to 30 digits (mpmath ``findroot`` on g_i'(x)).
  Agreement: ours within 1e-12 of mpmath, and within 1e-5 of Brent's (whose own accuracy on a
  flat maximum is about 1e-6).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy.optimize import minimize_scalar

from benchmarks.runner import Case, Peer
from bounds import Augment, bound, phase, power_law

N_REAL, ALPHA, GENERATION = 1000.0, 0.2, 5
AGREE_BOUND = 1e-12  # relative: both sides are a handful of correctly rounded operations
# Brent locates a maximum to about sqrt(machine eps) |g / g''|^(1/2): relative 1e-8 in x at small
# i, up to ~1e-6 in m* on the flat peaks at large i; ours is held to 1e-12 against mpmath.
AGREE_THRESHOLD = 1e-5
OURS_THRESHOLD_ERROR = 1e-12


def _plain(m: np.ndarray, n: float = N_REAL, a: float = ALPHA, i: int = GENERATION) -> np.ndarray:
    total = n + m
    r = m / total
    power = r ** (i - 1)
    return total**-a * (1 - power) / (1 - r) + power * n**-a


def _logs(m: np.ndarray, n: float = N_REAL, a: float = ALPHA, i: int = GENERATION) -> np.ndarray:
    total = n + m
    with np.errstate(divide="ignore"):
        log_r = np.log1p(-n / total)
    k_log_r = (i - 1) * log_r
    return np.exp(-a * np.log(total)) * -np.expm1(k_log_r) * (total / n) + np.exp(k_log_r) * n**-a


def _mp_error(values: np.ndarray, exact: list) -> float:
    """Largest relative error of float ``values`` against mpmath ``exact`` values."""
    pairs = zip(values, exact, strict=True)
    return max(abs(float((mp.mpf(float(v)) - e) / e)) for v, e in pairs)


def _relative_gap(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


def augment(smoke: bool) -> Case:
    size = 10_000 if smoke else 1_000_000
    b = bound(Augment(n=int(N_REAL), m=0), power_law(alpha=ALPHA))
    m = np.linspace(0.0, 1e5, size)
    b.evaluate(i=GENERATION, m=m[:2])  # compile once, outside the timing

    def agree(ours: np.ndarray, theirs: np.ndarray) -> tuple[bool, str]:
        gap = _relative_gap(ours, theirs)
        return gap <= AGREE_BOUND, f"max relative difference {gap:.1e} (tolerance {AGREE_BOUND:g})"

    def extra(ours: np.ndarray) -> dict[str, float]:
        idx = np.linspace(0, size - 1, 20).astype(int)
        exact = [b.evaluate_mp(30, i=GENERATION, m=float(m[k])) for k in idx]
        err = max(
            abs(float((mp.mpf(float(ours[k])) - e) / e)) for k, e in zip(idx, exact, strict=True)
        )
        return {"points": size, "ours_relative_error_vs_mpmath_30_digits": err}

    return Case(
        "augment",
        f"augment bound B_5(m), n = 1000, eps = N^-0.2, over {size:,} values of m",
        lambda: b.evaluate(i=GENERATION, m=m),
        [
            Peer("numpy, plain powers", 1.5, lambda: _plain(m), agree),
            Peer("numpy, log1p/expm1", 1.5, lambda: _logs(m), agree),
        ],
        extra,
    )


def _g(x: float, i: int, a: float) -> float:
    r = 1 - 1 / x
    return x ** (1 - a) * (1 - r ** (i - 1)) + r ** (i - 1)


def scipy_thresholds(generations: np.ndarray, a: float = ALPHA, n: float = N_REAL) -> np.ndarray:
    """m*_i = n (x*_i - 1), x*_i maximising g_i by Brent, one i at a time."""
    out = np.empty(generations.size)
    for k, i in enumerate(generations):
        found = minimize_scalar(lambda x, i=int(i): -_g(x, i, a), bracket=(1.0, 2.0 + i))
        out[k] = n * (found.x - 1)
    return out


def mpmath_thresholds(start: np.ndarray, generations: np.ndarray, digits: int = 30) -> list:
    """m*_i to ``digits`` digits: the root of g_i'(x), found by findroot from ``start``."""
    out = []
    with mp.workdps(digits):
        a = mp.mpf(ALPHA)
        for x0, i in zip(start / N_REAL + 1, generations, strict=True):

            def slope(x, i=int(i)):
                r = 1 - 1 / x
                rising = (1 - a) * x**-a * (1 - r ** (i - 1))
                return rising - (i - 1) * r ** (i - 2) * x**-2 * (x ** (1 - a) - 1)

            root = mp.findroot(slope, mp.mpf(float(x0)))
            if abs(root - x0) > 1e-6 * x0:
                raise RuntimeError(f"findroot left the float threshold at i = {i}")
            out.append(N_REAL * (root - 1))
    return out


def thresholds(smoke: bool) -> Case:
    generations = np.arange(2, 51 if smoke else 1001)
    reference: list = []

    def ours() -> np.ndarray:
        return phase.power_law_thresholds(generations, ALPHA, N_REAL).m

    def error(values: np.ndarray) -> float:
        return max(
            abs(float((mp.mpf(float(v)) - e) / e)) for v, e in zip(values, reference, strict=True)
        )

    def extra(result: np.ndarray) -> dict[str, float]:
        reference.extend(mpmath_thresholds(result, generations))
        return {"generations": int(generations.size), "ours_error_vs_mpmath": error(result)}

    def agree(mine: np.ndarray, theirs: np.ndarray) -> tuple[bool, str]:
        gap, ours_error = _relative_gap(mine, theirs), error(mine)
        detail = (
            f"max relative difference {gap:.1e} (tolerance {AGREE_THRESHOLD:g}); "
            f"error vs mpmath: ours {ours_error:.1e} (tolerance {OURS_THRESHOLD_ERROR:g}), "
            f"theirs {error(theirs):.1e}"
        )
        return gap <= AGREE_THRESHOLD and ours_error <= OURS_THRESHOLD_ERROR, detail

    return Case(
        "thresholds",
        f"power-law thresholds m*_i, i = 2..{generations[-1]}, alpha = 0.2, n = 1000",
        ours,
        [Peer("scipy minimize_scalar per i", 0.2, lambda: scipy_thresholds(generations), agree)],
        extra,
    )

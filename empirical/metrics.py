"""Distances and scores beside TV: held-out NLL, KL and chi-square by quadrature, W2, moments.

Public API:

- ``held_out_set(truth, size, seed)``: a fixed held-out set of real points, drawn from
  ``truth`` with ``numpy.random.default_rng(seed)``. It must come from the same truth as the
  training data (the same centres for ``Blobs``): a test set from another law measures the
  distance to that law.
- ``nll(model, points) -> Estimate``: -(1/n) sum_j log p_model(x_j), with its standard error.
- ``kl_on_grid(p, q, grid, p_error, q_error)``, ``kl(p, q, grid)``: KL(p || q) = int p log(p/q).
- ``chi2_on_grid(p, q, grid, p_error, q_error)``, ``chi2(p, q, grid)``:
  chi^2(p || q) = int (p - q)^2 / q.
- ``w2_gaussian(mean1, cov1, mean2, cov2)``: W2 between Gaussians in closed form;
  ``gelbrich_bound(p, q)``: the same from the moments of any p, q, a lower bound on W2(p, q).
- ``moment_drift(p, q)``: |mean_p - mean_q| and ||cov_p - cov_q||_F.

Quadrature error of KL and chi^2 (``Estimate.error``): the trapezoid rule's |I_D - I_2D| (as in
``empirical.tv``) plus, to first order, the effect of L1 errors e_p, e_q of grid densities (the
binned KDE): |d/dp| <= max |log(p/q) + 1| and |d/dq| <= max p/q for KL; max |2 (p - q)/q| and
max |1 - (p/q)^2| for chi^2, each times its e. Both are integrals over the grid's box only: the
mass of p outside it is reported as ``Estimate.outside`` (its contribution is not bounded by
it, since log(p/q) is unbounded); choose the box so that mass is negligible. Where q = 0 < p
on the grid the value is +inf (the divergence is infinite or q underflows there), never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from bounds import validate
from empirical.tv import (
    Grid,
    check_density,
    check_grid,
    check_values,
    evaluate,
    integrate,
    outside_mass,
)

__all__ = [
    "Estimate",
    "chi2",
    "chi2_on_grid",
    "gelbrich_bound",
    "kl",
    "kl_on_grid",
    "moment_drift",
    "nll",
    "held_out_set",
    "w2_gaussian",
]


@dataclass(frozen=True)
class Estimate:
    """A measured value, its error (a bound or a standard error, see ``method``) and, for
    integrals over a grid, the mass of p outside its box."""

    value: float
    error: float
    method: str
    outside: float = 0.0


def _with_method(name: str, obj: object, method: str) -> None:
    if not callable(getattr(obj, method, None)):
        raise TypeError(f"{name} must be a density with {method}(), got {validate.shown(obj)}")


def held_out_set(truth: object, size: int, seed: int) -> np.ndarray:
    """``size`` points of ``truth`` drawn with ``numpy.random.default_rng(seed)``: the same seed,
    the same points, whatever else a run draws."""
    _with_method("truth", truth, "sample")
    size = validate.size("size", size)
    seed = validate.whole("seed", seed, minimum=0)
    return truth.sample(size, np.random.default_rng(seed))


def nll(model: object, points: object) -> Estimate:
    """Mean negative log-likelihood -(1/n) sum_j log p(x_j); error = sd / sqrt(n), the standard
    error over test sets of the same size. +inf when p(x_j) = 0 at some point."""
    dim = check_density("model", model)
    if not any(callable(getattr(model, f, None)) for f in ("pdf", "logpdf")):
        raise TypeError(f"model must have pdf or logpdf, got {validate.shown(model)}")
    x = validate.array("points", points)
    if x.ndim == 1:
        x = x[:, None] if dim == 1 else x[None, :]
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"points must be a finite (n >= 2, d) array, got shape {np.shape(points)}")
    if hasattr(model, "logpdf"):
        logs = np.asarray(model.logpdf(x), dtype=float)
    else:
        with np.errstate(divide="ignore"):
            logs = np.log(np.asarray(model.pdf(x), dtype=float))
    if np.any(np.isnan(logs)):
        raise ValueError(f"{type(model).__name__} gave a NaN log density")
    if np.any(np.isneginf(logs)):
        return Estimate(math.inf, math.inf, "held-out mean")
    se = float(np.std(logs, ddof=1)) / math.sqrt(logs.size)
    return Estimate(float(-np.mean(logs)), se, "held-out mean")


def _halve(values: np.ndarray) -> np.ndarray:
    return values[tuple(slice(None, None, 2) for _ in range(values.ndim))]


def _with_richardson(integrand: np.ndarray, grid: Grid) -> tuple[float, float]:
    fine = integrate(integrand, grid)
    if min(grid.shape) < 5:
        return fine, math.inf
    return fine, abs(fine - integrate(_halve(integrand), grid.coarsened()))


def _prepare(p: np.ndarray, q: np.ndarray, grid: Grid):
    grid = check_grid(grid)
    p, q = check_values("p", p, grid), check_values("q", q, grid)
    support = p > 0
    return p, q, support, bool(np.any(support & (q == 0)))


def kl_on_grid(
    p: np.ndarray, q: np.ndarray, grid: Grid, p_error: float = 0.0, q_error: float = 0.0
) -> tuple[float, float]:
    """(int_box p log(p/q), its error): trapezoid rule, |I_D - I_2D| plus the first-order effect
    of the L1 errors ``p_error``, ``q_error`` (module docstring); +inf if q = 0 < p somewhere."""
    p_error, q_error = (
        validate.real("p_error", p_error, 0.0),
        validate.real("q_error", q_error, 0.0),
    )
    p, q, support, infinite = _prepare(p, q, grid)
    if infinite:
        return math.inf, math.inf
    log_ratio = np.zeros_like(p)
    log_ratio[support] = np.log(p[support] / q[support])
    value, quad = _with_richardson(p * log_ratio, grid)
    ratio = np.where(support, p / np.where(q > 0, q, 1.0), 0.0)
    spread = float(np.max(np.abs(log_ratio[support] + 1.0))) if np.any(support) else 0.0
    return value, quad + spread * p_error + float(np.max(ratio)) * q_error


def chi2_on_grid(
    p: np.ndarray, q: np.ndarray, grid: Grid, p_error: float = 0.0, q_error: float = 0.0
) -> tuple[float, float]:
    """(int_box (p - q)^2 / q, its error), as ``kl_on_grid``; +inf if q = 0 < p somewhere."""
    p_error, q_error = (
        validate.real("p_error", p_error, 0.0),
        validate.real("q_error", q_error, 0.0),
    )
    p, q, support, infinite = _prepare(p, q, grid)
    if infinite:
        return math.inf, math.inf
    positive = q > 0
    with np.errstate(over="ignore"):
        ratio = np.where(positive, p / np.where(positive, q, 1.0), 0.0)
        integrand = np.where(positive, (p - q) * (ratio - 1.0), 0.0)
        value, quad = _with_richardson(integrand, grid)
        dp = float(np.max(np.abs(2 * (ratio - 1.0))[positive])) if np.any(positive) else 0.0
        dq = float(np.max(np.abs(1.0 - ratio * ratio)[positive])) if np.any(positive) else 0.0
    return value, quad + dp * p_error + dq * q_error


def _on_grid(p: object, q: object, grid: Grid, rule, name: str) -> Estimate:
    check_density("p", p, check_grid(grid).dim)
    check_density("q", q, grid.dim)
    p_values, p_err = evaluate(p, grid)
    q_values, q_err = evaluate(q, grid)
    value, error = rule(p_values, q_values, grid, p_err, q_err)
    return Estimate(value, error, name, outside_mass(p, grid, p_values))


def kl(p: object, q: object, grid: Grid) -> Estimate:
    """KL(p || q) over ``grid``'s box, both densities evaluated by ``empirical.tv.evaluate``."""
    return _on_grid(p, q, grid, kl_on_grid, "quadrature")


def chi2(p: object, q: object, grid: Grid) -> Estimate:
    """chi^2(p || q) = int (p - q)^2 / q over ``grid``'s box."""
    return _on_grid(p, q, grid, chi2_on_grid, "quadrature")


def _psd(name: str, cov: object, dim: int) -> np.ndarray:
    arr = np.atleast_2d(validate.array(name, cov))
    if arr.shape != (dim, dim) or not np.allclose(arr, arr.T):
        raise ValueError(f"{name} must be a finite symmetric ({dim}, {dim}) matrix, got {cov!r}")
    if np.linalg.eigvalsh(arr)[0] < -1e-12 * max(1.0, float(np.abs(arr).max())):
        raise ValueError(f"{name} must be positive semi-definite, got {arr.tolist()}")
    return arr


def w2_gaussian(mean1: object, cov1: object, mean2: object, cov2: object) -> float:
    """W2(N(m1, C1), N(m2, C2)) = sqrt(|m1 - m2|^2 + tr(C1 + C2 - 2 (C2^1/2 C1 C2^1/2)^1/2))."""
    m1, m2 = validate.vector("mean1", mean1), validate.vector("mean2", mean2)
    if m1.shape != m2.shape or not np.all(np.isfinite(m1 - m2)):
        raise ValueError(f"mean1 and mean2 must be finite vectors of one length, got {m1}, {m2}")
    c1, c2 = _psd("cov1", cov1, m1.size), _psd("cov2", cov2, m1.size)
    root2 = linalg.sqrtm(c2).real
    cross = linalg.sqrtm(root2 @ c1 @ root2).real
    squared = float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * cross))
    if not math.isfinite(squared):
        raise ValueError("mean1, mean2, cov1 and cov2 give a W2 beyond the float range")
    return math.sqrt(max(squared, 0.0))


def gelbrich_bound(p: object, q: object) -> float:
    """W2 between the Gaussians with the moments of p and q (``moments()``): a lower bound on
    W2(p, q) for any p, q (Gelbrich 1990), equal to it when both are Gaussian."""
    _with_method("p", p, "moments")
    _with_method("q", q, "moments")
    return w2_gaussian(*p.moments(), *q.moments())


def moment_drift(p: object, q: object) -> dict[str, float]:
    """{"mean": |mean_p - mean_q| (Euclidean), "cov": ||cov_p - cov_q||_F}, exact moments."""
    _with_method("p", p, "moments")
    _with_method("q", q, "moments")
    (mp, cp), (mq, cq) = p.moments(), q.moments()
    return {"mean": float(np.linalg.norm(mp - mq)), "cov": float(np.linalg.norm(cp - cq))}

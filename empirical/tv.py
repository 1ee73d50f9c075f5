"""Total variation TV(p, q) = 1/2 int |p - q|, measured with its error.

Public API:

- ``tv(p, q, *, tol=None, tail=None, rng=None, samples=100_000, confidence=0.95) -> TVEstimate``:
  in d <= 2 by quadrature on a grid refined until the estimated error is at most ``tol``
  (default 1e-4 in d = 1, 1e-3 in d = 2); in d > 2 by Monte Carlo (``rng`` required).
- ``tv_monte_carlo(p, q, samples, rng, confidence=0.95) -> TVEstimate``: TV = E_{x~p}[(1 - q/p)_+].
- ``Grid(lo, hi, shape)``: a regular grid with an odd number of nodes per axis; ``points()``,
  ``axes``, ``spacing``, ``refined()``, ``widened(factor)``.
- ``evaluate(density, grid) -> (values, l1_error)``: a density on a grid (a density's own
  ``grid_pdf(grid)`` is used when it has one, e.g. the binned FFT of ``KDE``).
- ``integrate(values, grid)``: the tensor trapezoid rule.
- ``tv_on_grid(p_values, q_values, grid) -> (value, quadrature_error)``; ``tv_on_checked_grid``
  the same for values ``evaluate`` returned (no checking pass).
- ``outside_mass(density, grid, values)``: mass of the density outside the grid's box.
- ``check_grid(grid)``, ``check_density(name, density)``, ``check_values(name, values, grid)``:
  the checks of these arguments, shared by ``empirical.metrics`` and the densities.

Error accounting of the quadrature estimate (all reported in ``TVEstimate.error``):
the rule integrates |p - q| / 2 exactly on each cell for the linear interpolant of p - q along
the first axis (so its kinks where p = q cost O(h^3)) and by the trapezoid rule along the others;
its error is estimated by |I_h - I_2h| (an O(h^2) rule's Richardson estimate is a third of it:
the factor 3 is kept as a margin); the mass
outside the box adds at most (P_out + Q_out) / 2; a density known on the grid only up to an L1
error e (binned FFT) adds e / 2.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import integrate as _integrate
from scipy import special

from bounds import validate
from empirical.points import check_rng

__all__ = [
    "Grid",
    "TVEstimate",
    "check_density",
    "check_grid",
    "check_values",
    "evaluate",
    "integrate",
    "outside_mass",
    "tv",
    "tv_monte_carlo",
    "tv_on_checked_grid",
    "tv_on_grid",
]

_START_POINTS = {1: 513, 2: 129}
MAX_WIDENING = 1e6  # Grid.widened: a box a million times wider is far past any tail
_MAX_POINTS = {1: 2**18 + 1, 2: 2049}
_DEFAULT_TOL = {1: 1e-4, 2: 1e-3}


@dataclass(frozen=True)
class TVEstimate:
    """TV with ``error`` a bound on |value - TV| (quadrature) or a CI half-width (Monte Carlo)."""

    value: float
    error: float
    method: str
    points: int

    @property
    def low(self) -> float:
        return max(0.0, self.value - self.error)

    @property
    def high(self) -> float:
        return min(1.0, self.value + self.error)


@dataclass(frozen=True, eq=False)
class Grid:
    """The regular grid lo_k + j (hi_k - lo_k) / (n_k - 1), j = 0..n_k - 1, n_k odd >= 3.

    Odd counts let the grid be halved (every other node) for the quadrature error estimate.
    """

    lo: np.ndarray
    hi: np.ndarray
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        lo = np.atleast_1d(validate.array("lo", self.lo))
        hi = np.atleast_1d(validate.array("hi", self.hi))
        if lo.ndim != 1 or lo.shape != hi.shape or np.any(lo >= hi):
            raise ValueError(f"Grid needs finite lo < hi of equal length, got lo={lo}, hi={hi}")
        if not np.all(np.isfinite(hi - lo)):
            raise ValueError(f"Grid needs a box of finite width hi - lo, got lo={lo}, hi={hi}")
        shape = self.shape
        if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
            shape = (shape,) * lo.size
        if not isinstance(shape, tuple | list) or len(shape) != lo.size:
            raise TypeError(f"shape must be {lo.size} odd whole number(s) >= 3, got {shape!r}")
        for k, n in enumerate(shape):
            n = validate.size(f"shape[{k}]", n, minimum=3)
            if n % 2 == 0:
                raise ValueError(f"shape[{k}] must be odd (the grid is halved), got {n}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        object.__setattr__(self, "shape", tuple(int(n) for n in shape))

    @property
    def dim(self) -> int:
        return self.lo.size

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @cached_property
    def spacing(self) -> np.ndarray:
        """(hi - lo) / (n - 1) per axis (read-only, computed once)."""
        step = (self.hi - self.lo) / (np.asarray(self.shape) - 1)
        step.setflags(write=False)
        return step

    @property
    def axes(self) -> tuple[np.ndarray, ...]:
        triples = zip(self.lo, self.hi, self.shape, strict=True)
        return tuple(np.linspace(a, b, n) for a, b, n in triples)

    def points(self) -> np.ndarray:
        """All nodes as rows, shape (size, d), in C order of ``shape``."""
        mesh = np.meshgrid(*self.axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def refined(self) -> Grid:
        """Same box, spacing halved (n -> 2n - 1)."""
        return Grid(self.lo, self.hi, tuple(2 * n - 1 for n in self.shape))

    def coarsened(self) -> Grid:
        """Same box, every other node (n -> (n + 1) / 2); needs n >= 5."""
        return Grid(self.lo, self.hi, tuple((n + 1) // 2 for n in self.shape))

    def widened(self, factor: float) -> Grid:
        """Same spacing, box about ``factor`` times wider around the same centre."""
        factor = validate.real("factor", factor, 1.0, MAX_WIDENING)
        extra = np.ceil((factor - 1) * (np.asarray(self.shape) - 1) / 2).astype(int)
        step = self.spacing
        return Grid(self.lo - extra * step, self.hi + extra * step, tuple(self.shape + 2 * extra))


def check_grid(grid: object, dim: int | None = None) -> Grid:
    """``grid`` if it is a ``Grid`` (of dimension ``dim`` when given), else raise naming it."""
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be an empirical.tv.Grid, got {validate.shown(grid)}")
    if dim is not None and grid.dim != validate.whole("dim", dim, minimum=1):
        raise ValueError(f"grid must have dimension {dim}, got {grid.dim}")
    return grid


def check_density(name: str, density: object, dim: int | None = None) -> int:
    """The dimension of ``density`` (an object with an int ``dim`` >= 1 and ``pdf``, or only
    ``grid_pdf`` for a density known on grids), which must be ``dim`` when given; else raise
    naming ``name``."""
    if dim is not None:
        dim = validate.whole("dim", dim, minimum=1)
    own = getattr(density, "dim", None)
    values = any(callable(getattr(density, f, None)) for f in ("pdf", "grid_pdf"))
    if not values or not isinstance(own, numbers.Integral):
        raise TypeError(
            f"{name} must be a density (with dim and pdf), got {validate.shown(density)}"
        )
    if own < 1 or (dim is not None and own != dim):
        want = f"dimension {dim}" if dim is not None else "a dimension >= 1"
        raise ValueError(f"{name} must have {want}, got dimension {own}")
    return int(own)


def check_values(name: str, values: object, grid: Grid) -> np.ndarray:
    """``values`` as finite numbers >= 0 on the nodes of ``grid`` (its shape), else raise."""
    grid = check_grid(grid)
    arr = validate.array(name, values, low=0.0, copy=False)  # read, never written
    if arr.shape != grid.shape:
        raise ValueError(f"{name} must have the grid's shape {grid.shape}, got {arr.shape}")
    return arr


def integrate(values: np.ndarray, grid: Grid) -> float:
    """Tensor trapezoid rule: int_box f ~ sum_nodes c_nodes f(nodes)."""
    grid = check_grid(grid)
    out = validate.array("values", values)
    if out.shape != grid.shape:
        raise ValueError(f"values must have the grid's shape {grid.shape}, got {out.shape}")
    for step in grid.spacing:
        out = _integrate.trapezoid(out, dx=step, axis=0)
    return float(out)


def _halve(values: np.ndarray) -> np.ndarray:
    return values[tuple(slice(None, None, 2) for _ in range(values.ndim))]


def _trapezoid_error(values: np.ndarray, grid: Grid) -> tuple[float, float]:
    """(T_h, |T_h - T_2h|) for the integral of ``values`` over the grid."""
    fine = integrate(values, grid)
    if min(grid.shape) < 5:
        return fine, math.inf
    return fine, abs(fine - integrate(_halve(values), grid.coarsened()))


def _abs_integral(ag: np.ndarray, negative: np.ndarray, grid: Grid) -> float:
    """int_box |g| from node values: along axis 0 each cell integrates |linear interpolant of g|
    exactly (h (a^2 + b^2) / (2 (a + b)) where g changes sign from a to b, else the trapezoid
    h (a + b) / 2, with a, b the end values of |g|), so the kink of |g| costs O(h^3), not
    O(h^2); the remaining axes use the trapezoid rule. Computed as the trapezoid sum of |g|
    minus h a b / (a + b) on the cells where the sign changes (the difference of the two).
    Takes |g| and signbit(g) (computed once for the grid and its halving)."""
    columns = ag.sum(axis=0) - 0.5 * (ag[0] + ag[-1])
    changes = negative[:-1] != negative[1:]  # flat indices: as np.nonzero, many times faster
    where = np.unravel_index(np.flatnonzero(changes), changes.shape)
    a, b = ag[:-1][where], ag[1:][where]
    total = a + b
    cut = np.divide(a * b, total, out=np.zeros_like(total), where=total > 0)  # a = b = 0: 0
    if ag.ndim == 1:
        columns = columns - cut.sum()
    else:
        np.subtract.at(columns, where[1:], cut)
    out = columns * grid.spacing[0]
    for step in grid.spacing[1:]:
        out = _integrate.trapezoid(out, dx=step, axis=0)
    return float(out)


def tv_on_grid(p_values: np.ndarray, q_values: np.ndarray, grid: Grid) -> tuple[float, float]:
    """(1/2 int_box |p - q|, its estimated quadrature error |I_h - I_2h|) from node values.

    I_h is ``_abs_integral``: exact on each cell for the linear interpolant of p - q along the
    first axis, the trapezoid rule along the others.
    """
    grid = check_grid(grid)
    p_values, q_values = (
        check_values("p_values", p_values, grid),
        check_values("q_values", q_values, grid),
    )
    return tv_on_checked_grid(p_values, q_values, grid)


def tv_on_checked_grid(p: np.ndarray, q: np.ndarray, grid: Grid) -> tuple[float, float]:
    """``tv_on_grid`` for values known to be finite, >= 0 and of the grid's shape (as those
    ``evaluate`` returned, which the loop's shared grid keeps): no pass over them to check."""
    diff = np.subtract(p, q)
    diff *= 0.5  # in place: the numbers of 0.5 * (p - q), one array fewer
    negative = np.signbit(diff)
    magnitude = np.abs(diff, out=diff)
    fine = _abs_integral(magnitude, negative, grid)
    if min(grid.shape) < 5:
        return fine, math.inf
    coarse = _abs_integral(_halve(magnitude), _halve(negative), grid.coarsened())
    return fine, abs(fine - coarse)


def evaluate(density: object, grid: Grid) -> tuple[np.ndarray, float]:
    """(density at every node, shape ``grid.shape``; a bound on the L1 error of those values).

    Uses ``density.grid_pdf(grid)`` when present (it returns the same pair), else the exact
    ``density.pdf`` at every node (error 0).
    """
    grid = check_grid(grid)
    check_density("density", density, grid.dim)
    if hasattr(density, "grid_pdf"):
        values, error = density.grid_pdf(grid)
    else:
        values = np.asarray(density.pdf(grid.points()), dtype=float).reshape(grid.shape)
        error = 0.0
    if values.size and not (np.isfinite(values.max()) and values.min() >= 0):  # NaN fails too
        name = type(density).__name__
        raise ValueError(f"{name} gave a negative or non-finite density on the grid")
    return values, float(error)


def outside_mass(density: object, grid: Grid, values: np.ndarray) -> float:
    """Mass of ``density`` outside the grid's box: ``density.outside_mass(lo, hi)`` when it has
    one (an upper bound), else 1 - int_box p plus that integral's quadrature error estimate."""
    grid = check_grid(grid)
    check_density("density", density, grid.dim)
    if hasattr(density, "outside_mass"):
        return float(density.outside_mass(grid.lo, grid.hi))
    inside, error = _trapezoid_error(check_values("values", values, grid), grid)
    return float(min(1.0, max(0.0, 1.0 - inside) + error))


def _union_box(p: object, q: object, tail: float) -> tuple[np.ndarray, np.ndarray]:
    boxes = [d.bounding_box(tail) for d in (p, q) if hasattr(d, "bounding_box")]
    if not boxes:
        raise ValueError("tv by quadrature needs p or q to have bounding_box(tail)")
    return np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)


def tv(
    p: object,
    q: object,
    *,
    tol: float | None = None,
    tail: float | None = None,
    rng: np.random.Generator | None = None,
    samples: int = 100_000,
    confidence: float = 0.95,
) -> TVEstimate:
    """TV(p, q) for two densities of the same dimension d.

    d <= 2: the grid covers the union of the densities' ``bounding_box(tail)`` (``tail``
    defaults to tol / 10) and is refined (spacing halved) until the total error bound
    quadrature + (P_out + Q_out)/2 + (e_p + e_q)/2 is at most ``tol``, or the grid reaches its
    size cap (then the larger error is reported). d > 2: ``tv_monte_carlo`` with ``rng``.
    """
    dim = check_density("p", p)
    check_density("q", q, dim)
    if dim > 2:
        if rng is None:
            raise ValueError(f"tv in d = {dim} > 2 is Monte Carlo: pass rng (numpy Generator)")
        return tv_monte_carlo(p, q, samples, rng, confidence)
    tol = _DEFAULT_TOL[dim] if tol is None else validate.positive("tol", tol)
    tail = tol / 10 if tail is None else validate.positive("tail", tail)
    lo, hi = _union_box(p, q, tail)
    grid = Grid(lo, hi, (_START_POINTS[dim],) * dim)
    while True:
        p_values, p_err = evaluate(p, grid)
        q_values, q_err = evaluate(q, grid)
        value, quad = tv_on_grid(p_values, q_values, grid)
        tails = 0.5 * (outside_mass(p, grid, p_values) + outside_mass(q, grid, q_values))
        error = quad + tails + 0.5 * (p_err + q_err)
        if error <= tol or 2 * grid.shape[0] - 1 > _MAX_POINTS[dim] or tails > tol:
            return TVEstimate(min(1.0, value), error, "quadrature", grid.size)
        grid = grid.refined()


def _logpdf(density: object, x: np.ndarray) -> np.ndarray:
    if hasattr(density, "logpdf"):
        return np.asarray(density.logpdf(x), dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(density.pdf(x), dtype=float))


def tv_monte_carlo(
    p: object,
    q: object,
    samples: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> TVEstimate:
    """TV = E_{x~p}[(1 - q(x)/p(x))_+], the mean of ``samples`` draws from p.

    ``error`` is the normal-approximation half-width z * sd / sqrt(samples) of the two-sided
    ``confidence`` interval (the summand lies in [0, 1], so its sd is at most 1/2).
    """
    check_density("q", q, check_density("p", p))
    if not callable(getattr(p, "sample", None)):
        raise TypeError(f"p must be a density with sample(size, rng), got {validate.shown(p)}")
    for name, density in (("p", p), ("q", q)):
        if not any(callable(getattr(density, f, None)) for f in ("pdf", "logpdf")):
            raise TypeError(f"{name} must have pdf or logpdf, got {validate.shown(density)}")
    samples = validate.size("samples", samples, minimum=2)
    confidence = validate.real("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    rng = check_rng(rng)
    x = p.sample(samples, rng)
    log_ratio = _logpdf(q, x) - _logpdf(p, x)
    with np.errstate(invalid="ignore"):
        terms = -np.expm1(np.minimum(log_ratio, 0.0))
    terms = np.nan_to_num(terms, nan=0.0)
    z = float(special.ndtri(0.5 + confidence / 2))
    half = z * float(np.std(terms, ddof=1)) / math.sqrt(samples)
    return TVEstimate(float(np.mean(terms)), half, "monte-carlo", samples)

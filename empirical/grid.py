"""Grids fine enough for the densities they carry, and boxes wide enough for a loop's spread.

Public API:

- ``a_priori_error(spacing, length_scale)``: sum_k phi(1) D_k^2 / s^2, the leading-order bound
  used to size grids (below).
- ``length_scale_of(density)``: its ``length_scale`` (truths, ``KDE``), else a TypeError.
- ``check_resolution(grid, length_scale, tol)``: raise ValueError when the grid is too coarse.
- ``grid_for(lo, hi, length_scale, tol, max_points)``: the coarsest grid on [lo, hi] whose a priori
  error is at most ``tol``, or a ValueError saying how many nodes that needs.
- ``refined_to_resolve(grid, length_scale, tol, max_points)``: the grid itself, or the same box
  with its spacing halved until it resolves the length scale, or a ValueError.
- ``spread_box(lo, hi, kernel_sd, generations, tail)``: [lo, hi] widened by
  z sqrt(generations) kernel_sd, 2 d (1 - Phi(z)) = tail.
- ``loop_grid(truth, kernel_sd, generations, tol, max_points, tail, start=None)``: one grid for
  a whole KDE loop, sized once (nothing to re-evaluate when the models spread); with ``start``
  it keeps that grid's nodes (refined) and extends them to the spread box.

Why phi(1) D^2 / s^2 (phi the N(0, 1) density). For a mixture of Gaussians whose components
have standard deviation >= s along axis k, int |d_k^2 f| <= 4 phi(1) / s^2 per unit mass. The
binned-FFT error that ``KDE.grid_pdf`` reports is at most sum_k (D_k^2 / 8) int |d_k^2 K| =
sum_k phi(1) D_k^2 / (2 s^2), and the trapezoid rule's error on (1/2) int |p - q| is to leading
order (D_k^2 / 12) int |d_k^2 (p - q)| / 2 <= phi(1) D_k^2 / (3 s^2), so its halving estimate
|I_D - I_2D| (about three times that) is at most phi(1) D_k^2 / s^2. Both are leading-order
terms: they are trustworthy only once D is a fraction of s, which is exactly what these
functions enforce. A grid that fails the check gives error estimates that mean nothing (at
D = 24 s the reported TV error was 240 on a distance in [0, 1]); refusing is the honest answer.

``spread_box``: in a KDE loop every training point of generation i is a real point plus the sum
of at most i - 1 independent kernel draws, and the model adds one more, so p_i's mass sits
within N(0, i s^2) of the real points: a box widened by z sqrt(i) s leaves, in expectation,
at most ``tail`` of it outside beyond what the real points leave. It is a sizing rule, not a
guarantee: the loop still measures each model's outside mass and adds it to the TV error.
"""

from __future__ import annotations

import math

import numpy as np

from bounds import validate
from empirical.points import check_box, normal_box_z
from empirical.tv import Grid, check_grid

__all__ = [
    "DEFAULT_MAX_POINTS",
    "a_priori_error",
    "check_resolution",
    "grid_for",
    "length_scale_of",
    "loop_grid",
    "refined_to_resolve",
    "spread_box",
]

DEFAULT_MAX_POINTS = {1: 2**20 + 1, 2: 2049**2}
_PHI_1 = math.exp(-0.5) / math.sqrt(2 * math.pi)


def a_priori_error(spacing: object, length_scale: float) -> float:
    """sum_k phi(1) D_k^2 / s^2 (module docstring)."""
    s = validate.positive("length_scale", length_scale)
    d = np.atleast_1d(validate.array("spacing", spacing, low=0.0, low_open=True))
    if d.ndim != 1:
        raise ValueError(f"spacing must be finite numbers > 0, got {spacing!r}")
    error = float(np.sum(_PHI_1 * d * d) / (s * s))
    if not math.isfinite(error):
        raise ValueError(
            f"spacing {d.tolist()} at length_scale {s:g} gives an error beyond the float range"
        )
    return error


def length_scale_of(density: object) -> float:
    """``density.length_scale``: the smallest length over which it changes by O(1)."""
    scale = getattr(density, "length_scale", None)
    if scale is None:
        raise TypeError(
            f"density {validate.shown(density)} has no length_scale: pass the scale of its features"
        )
    return validate.positive("length_scale", scale)


def _nodes_needed(lo: np.ndarray, hi: np.ndarray, length_scale: float, tol: float) -> np.ndarray:
    """Node counts per axis with sum_k phi(1) D_k^2 / s^2 <= tol (equal D_k), each 1 mod 4 so
    that the grid and its halving (every other node) both have odd counts."""
    step = length_scale * math.sqrt(tol / (lo.size * _PHI_1))
    with np.errstate(over="ignore"):
        cells = np.ceil(np.minimum((hi - lo) / step, 2.0**60)).astype(np.int64)  # no int overflow
    return 4 * np.maximum(1, -(-cells // 4)) + 1


def check_resolution(grid: Grid, length_scale: float, tol: float) -> None:
    """Raise ValueError unless a_priori_error(grid.spacing, length_scale) <= tol."""
    check_grid(grid)
    tol = validate.positive("tol", tol)
    error = a_priori_error(grid.spacing, length_scale)
    if error > tol:
        need = _nodes_needed(grid.lo, grid.hi, length_scale, tol)
        raise ValueError(
            f"grid spacing {grid.spacing.tolist()} is too coarse for a density of length scale"
            f" {length_scale:g}: its a priori error {error:.3g} exceeds tol = {tol:g}; this box"
            f" needs {need.tolist()} nodes per axis"
        )


def grid_for(
    lo: object,
    hi: object,
    length_scale: float,
    tol: float = 1e-3,
    max_points: int | None = None,
) -> Grid:
    """The coarsest grid on [lo, hi] (equal spacing on every axis, counts 1 mod 4) with
    a_priori_error <= ``tol``; ValueError if it needs more than ``max_points`` nodes
    (default ``DEFAULT_MAX_POINTS[d]``)."""
    validate.array("lo", lo)
    lo_arr = np.atleast_1d(np.asarray(lo, dtype=float))
    lo_arr, hi_arr = check_box(lo_arr, hi, lo_arr.size)
    scale = validate.positive("length_scale", length_scale)
    tol = validate.positive("tol", tol)
    cap = DEFAULT_MAX_POINTS.get(lo_arr.size, 10**7) if max_points is None else max_points
    cap = validate.whole("max_points", cap, minimum=5)
    counts = _nodes_needed(lo_arr, hi_arr, scale, tol)
    total = math.prod(int(n) for n in counts)
    if total > cap:
        raise ValueError(
            f"a grid on [{lo_arr.tolist()}, {hi_arr.tolist()}] resolving length scale {scale:g}"
            f" to a priori error tol = {tol:g} needs {counts.tolist()} nodes ({total:.3g} in"
            f" all), more than max_points = {cap}: raise tol or max_points, shrink the box, or"
            " use a larger length scale (bandwidth)"
        )
    return Grid(lo_arr, hi_arr, tuple(int(n) for n in counts))


def refined_to_resolve(
    grid: Grid, length_scale: float, tol: float = 1e-3, max_points: int | None = None
) -> Grid:
    """``grid`` if a_priori_error(grid.spacing, length_scale) <= tol, else ``grid.refined()``
    (spacing halved, same box) as often as needed; ValueError if that passes ``max_points``
    (default ``DEFAULT_MAX_POINTS[d]``). Densities on the old grid must be evaluated again."""
    check_grid(grid)
    scale = validate.positive("length_scale", length_scale)
    tol = validate.positive("tol", tol)
    cap = DEFAULT_MAX_POINTS.get(grid.dim, 10**7) if max_points is None else max_points
    cap = validate.whole("max_points", cap, minimum=5)
    while a_priori_error(grid.spacing, scale) > tol:
        finer = grid.refined()
        if finer.size > cap:
            check_resolution(grid, scale, tol)  # raises, with the nodes the box needs
        grid = finer
    return grid


def spread_box(
    lo: object, hi: object, kernel_sd: float, generations: int, tail: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """[lo - w, hi + w] with w = z sqrt(generations) kernel_sd, 2 d (1 - Phi(z)) = tail."""
    validate.array("lo", lo)
    lo_arr = np.atleast_1d(np.asarray(lo, dtype=float))
    lo_arr, hi_arr = check_box(lo_arr, hi, lo_arr.size)
    sd = validate.positive("kernel_sd", kernel_sd)
    generations = validate.size("generations", generations)
    width = normal_box_z(tail, lo_arr.size) * math.sqrt(generations) * sd
    if not np.all(np.isfinite([*(lo_arr - width), *(hi_arr + width)])):
        raise ValueError(
            f"kernel_sd {sd:g} over {generations} generations spreads the box past the float range"
        )
    return lo_arr - width, hi_arr + width


def loop_grid(
    truth: object,
    kernel_sd: float,
    generations: int,
    tol: float = 1e-3,
    max_points: int | None = None,
    tail: float = 1e-10,
    start: Grid | None = None,
) -> Grid:
    """One grid for ``generations`` generations of a KDE loop with kernel sd ``kernel_sd``, on
    the truth's box of outside mass ``tail`` widened by ``spread_box``: at the spacing
    ``grid_for`` gives for the smaller of the truth's and the kernel's length scales or, given
    ``start``, on the nodes of ``start`` refined to that tolerance (``refined_to_resolve``) and
    extended outwards by whole multiples of 4 cells per axis (so the halving of any sub-grid
    from a node 4 k is made of the grid's own nodes). ValueError past ``max_points``."""
    if not callable(getattr(truth, "bounding_box", None)):
        raise TypeError(f"truth must be a density with bounding_box, got {validate.shown(truth)}")
    lo, hi = spread_box(*truth.bounding_box(tail), kernel_sd, generations, tail)
    scale = min(length_scale_of(truth), validate.positive("kernel_sd", kernel_sd))
    if start is None:
        return grid_for(lo, hi, scale, tol, max_points)
    if not isinstance(start, Grid) or start.dim != lo.size:
        raise TypeError(f"start must be a Grid of dimension {lo.size}, got {start!r}")
    base = refined_to_resolve(start, scale, tol, max_points)
    step = base.spacing
    with np.errstate(over="ignore"):  # capped below: no int overflow, refused by max_points
        below, above = (
            4 * np.clip(np.ceil(gap / (4 * step)), 0, 2.0**58).astype(np.int64)
            for gap in (base.lo - lo, hi - base.hi)
        )
    shape = tuple(int(n) for n in np.asarray(base.shape) + below + above)
    cap = DEFAULT_MAX_POINTS.get(lo.size, 10**7) if max_points is None else max_points
    if math.prod(shape) > validate.whole("max_points", cap, minimum=5):
        raise ValueError(
            f"the loop grid on the nodes of {base.shape} extended to the spread box"
            f" [{lo.tolist()}, {hi.tolist()}] needs {list(shape)} nodes, more than"
            f" max_points = {cap}"
        )
    return Grid(base.lo - below * step, base.hi + above * step, shape)

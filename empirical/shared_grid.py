"""The densities of a self-consuming loop on the one grid it shares (d <= 2), with their L1
errors and outside masses, and the two TVs of a generation measured on it.

Public API: ``SharedGrid(truth, points, kernel_sd, generations)`` with ``add(j, density)``,
``drop(j)``, ``tv(i, weights) -> (delta, delta_error, eps, eps_error)``, ``common(used)``,
``describe()``, ``errors`` and ``fixed``. Generation 0 is the truth.

The grid's nodes: the truth's box of outside mass 1e-10, 1.5 times wider, with ``points`` nodes
per axis (8193 in d = 1, 257 in d = 2 by default), refined (same box) until the spacing resolves
every density's ``length_scale`` to a priori error 0.02 (``empirical.grid``).

- ``kernel_sd`` given (a KDE of fixed bandwidth): the grid is sized once for the whole loop by
  ``empirical.grid.loop_grid`` (those nodes, so the TV errors are those the adaptive grid gave,
  extended to the spread box) and is ``fixed``. In d = 2 each density is evaluated on its own
  window (its box of outside mass 1e-18, snapped to the grid) and stored on the whole grid in
  an array that is reused once the density is dropped; each TV is taken on the union of the
  two windows involved, the outside masses on the windows entering its error.
- otherwise (or when that grid is refused): the grid is widened, at the same spacing, whenever
  a model puts more than 1e-6 of its mass outside, and every density still in use is evaluated
  again at each change.

TV errors: the quadrature estimate, half the outside masses and half the L1 errors of the grid
densities (``empirical.tv``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from empirical.grid import a_priori_error, loop_grid, refined_to_resolve
from empirical.tv import Grid, evaluate, outside_mass, tv_on_checked_grid

__all__ = ["SharedGrid"]

_GRID_POINTS = {1: 8193, 2: 257}
_MAX_GRID_POINTS = {1: 2**20 + 1, 2: 4097}
_TRUTH_TAIL = 1e-10
_MARGIN = 1.5
_WIDEN_ABOVE = 1e-6
_MAX_WIDENINGS = 8
_WINDOW_TAIL = 1e-18  # a density's mass beyond its window of a fixed grid: below any TV error
_WINDOW_STEP = 32  # cells per axis of a window: a multiple of this (itself a multiple of 4)
_RESOLVE_TOL = 0.02  # a priori grid error (empirical.grid; it overstates the measured one ~8x)


def _kde_loop_grid(truth: object, start: Grid, kernel_sd: float, generations: int) -> Grid | None:
    """``empirical.grid.loop_grid`` for the whole loop, on the nodes of ``start`` refined to
    resolve the truth and the kernel (the nodes the adaptive grid would have, so the TV errors
    are those it would give); None when that grid is refused (the cap) or the truth has no
    length scale: the loop then adapts its grid as for any other model."""
    cap = _MAX_GRID_POINTS[start.dim]
    try:
        grid = loop_grid(
            truth, kernel_sd, generations, _RESOLVE_TOL, cap**start.dim, _TRUTH_TAIL, start
        )
    except (TypeError, ValueError):
        return None
    fits = max(grid.shape) <= cap and all((n - 1) % 4 == 0 for n in grid.shape)
    return grid if fits else None  # windows need 4 k + 1 nodes per axis


class SharedGrid:
    """The densities still in use, by generation (0 = the truth), on one shared grid, with their
    L1 errors and outside masses.

    ``fixed`` (a KDE loop): the grid was sized once for the whole loop, and each density is
    evaluated once, on its own window of it (``_window_of``), its outside mass taken on that
    window; otherwise each density covers the whole grid, which adapts (``add``)."""

    def __init__(
        self, truth: object, points: int | None, kernel_sd: float | None, generations: int
    ) -> None:
        dim = truth.dim
        n = _GRID_POINTS[dim] if points is None else points
        lo, hi = truth.bounding_box(_TRUTH_TAIL)
        centre, half = (lo + hi) / 2, _MARGIN * (hi - lo) / 2
        self.grid = Grid(centre - half, centre + half, (n + (n % 2 == 0),) * dim)
        fixed = None
        if kernel_sd is not None:
            fixed = _kde_loop_grid(truth, self.grid, kernel_sd, generations)
        self.fixed = fixed is not None
        self.grid = fixed if self.fixed else self.grid
        self.densities: dict[int, object] = {}
        self.windows: dict[int, tuple[Grid, np.ndarray]] = {}  # (sub-grid, its first node)
        self.values: dict[int, np.ndarray] = {}
        self.errors: dict[int, float] = {}
        self.tails: dict[int, float] = {}
        self.spare: list[np.ndarray] = []  # arrays of dropped densities, all zero
        self.add(0, truth)

    def _window_of(self, density: object) -> tuple[Grid, np.ndarray]:
        """The whole grid, or on a fixed grid in d = 2 the smallest sub-grid holding the
        density's box of outside mass ``_WINDOW_TAIL``: the grid's own nodes from an offset that
        is a multiple of 4, with a multiple of ``_WINDOW_STEP`` cells per axis (so its halving
        is made of the grid's every other node, any union of windows is again such a window,
        and windows repeat their shapes, which lets the binned FFT reuse its kernel spectra).
        In d = 1 the whole grid costs little more than a window."""
        grid = self.grid
        if not self.fixed or grid.dim == 1:
            return grid, np.zeros(grid.dim, dtype=int)
        lo, hi = density.bounding_box(_WINDOW_TAIL)
        last = np.asarray(grid.shape) - 1  # multiples of 4 on a fixed grid
        start = np.clip(np.floor((lo - grid.lo) / grid.spacing), 0, last - 4).astype(int)
        start -= start % 4
        stop = np.clip(np.ceil((hi - grid.lo) / grid.spacing), 0, last).astype(int)
        cells = _WINDOW_STEP * np.maximum(1, -(-(stop - start) // _WINDOW_STEP))
        return _sub_grid(grid, start, np.minimum(start + cells, last)), start

    def _evaluate(self, j: int) -> None:
        """Evaluate density j on its window, stored on the whole grid (zero beyond the window;
        the array of a dropped density is reused, so that no generation allocates, and pages
        never written cost no memory), with its L1 error and its outside mass on the window."""
        window, start = self.windows[j] = self._window_of(self.densities[j])
        values, error = evaluate(self.densities[j], window)
        self.errors[j] = error
        self.tails[j] = outside_mass(self.densities[j], window, values)
        if window is not self.grid:
            canvas = self.spare.pop() if self.spare else np.zeros(self.grid.shape)
            canvas[_slices(start, window.shape)] = values
            values = canvas
        self.values[j] = values

    def add(self, j: int, density: object) -> None:
        """Evaluate generation j. On a fixed grid, once on its window (a density the grid does
        not resolve makes the grid adaptive from then on). Otherwise first refine the grid until
        its spacing resolves the density's length scale (or refuse, saying why), then widen it
        while it leaves too much mass outside."""
        self.densities[j] = density
        scale = getattr(density, "length_scale", None)
        cap = _MAX_GRID_POINTS[self.grid.dim]
        resolved = scale is None or a_priori_error(self.grid.spacing, scale) <= _RESOLVE_TOL
        if self.fixed and resolved:
            self._evaluate(j)
            return
        if self.fixed:
            self.fixed, self.spare = False, []
            for k in self.densities:
                self._evaluate(k)
        if not resolved:
            try:
                self.grid = refined_to_resolve(self.grid, scale, _RESOLVE_TOL)
            except ValueError as error:
                raise ValueError(
                    f"the loop's TV grid cannot resolve generation {j}'s density: {error}"
                ) from None
            for k in self.densities:
                self._evaluate(k)
        else:
            self._evaluate(j)
        for _ in range(_MAX_WIDENINGS):
            wider = self.grid.widened(_MARGIN)
            if self.tails[j] <= _WIDEN_ABOVE or max(wider.shape) > cap:
                break
            self.grid = wider
            for k in self.densities:
                self._evaluate(k)

    def drop(self, j: int) -> None:
        window, start = self.windows.get(j, (self.grid, None))
        if self.fixed and window is not self.grid:  # zero its window, keep it for the next
            self.values[j][_slices(start, window.shape)] = 0.0
            self.spare.append(self.values[j])
        for table in (self.densities, self.windows, self.values, self.errors, self.tails):
            table.pop(j, None)

    def common(self, used: Sequence[int]) -> tuple[Grid, dict[int, np.ndarray]]:
        """The union of the windows of ``used`` and their values on it (zero beyond each one's
        own window: its mass there is in its outside mass); the grid itself when not fixed."""
        if not self.fixed:
            return self.grid, {j: self.values[j] for j in used}
        start = np.min([self.windows[j][1] for j in used], axis=0)
        stop = np.max([self.windows[j][1] + self.windows[j][0].shape for j in used], axis=0) - 1
        cut = _slices(start, stop - start + 1)
        return _sub_grid(self.grid, start, stop), {j: self.values[j][cut] for j in used}

    def tv(self, i: int, weights: Sequence[float]) -> tuple[float, float, float, float]:
        """(delta_i, its error, eps_i, its error) for the newest generation i: delta_i on the
        union of the windows of p_i and the truth, eps_i on that of p_i and q_i's sources."""
        used = [(w, j) for j, w in enumerate(weights) if w > 0]
        errs, tails = self.errors, self.tails
        grid, vals = self.common([i, 0])
        delta, quad_d = tv_on_checked_grid(vals[i], vals[0], grid)
        delta_err = quad_d + 0.5 * (tails[i] + tails[0]) + 0.5 * (errs[i] + errs[0])
        grid, vals = self.common(sorted({i, *(j for _, j in used)}))
        mix = _mixture(used, vals)
        mix_tail = sum(w * tails[j] for w, j in used)
        mix_err = sum(w * errs[j] for w, j in used)
        eps, quad_e = tv_on_checked_grid(vals[i], mix, grid)
        eps_err = quad_e + 0.5 * (tails[i] + mix_tail) + 0.5 * (errs[i] + mix_err)
        return min(delta, 1.0), delta_err, min(eps, 1.0), eps_err

    def describe(self) -> dict[str, object]:
        g = self.grid
        return {"lo": g.lo.tolist(), "hi": g.hi.tolist(), "shape": list(g.shape)}


def _mixture(used: Sequence[tuple[float, int]], values: dict[int, np.ndarray]) -> np.ndarray:
    """sum_j w_j values[j] over ``used`` (w_j, j), added in that order (the numbers of sum());
    a single source of weight 1 is its own array (no copy)."""
    (w, j), rest = used[0], used[1:]
    if w == 1 and not rest:
        return values[j]
    mix = w * values[j]
    for w, j in rest:
        mix += w * values[j]
    return mix


def _slices(start: np.ndarray, shape: Sequence[int]) -> tuple[slice, ...]:
    return tuple(slice(a, a + n) for a, n in zip(start.tolist(), shape, strict=True))


def _sub_grid(grid: Grid, start: np.ndarray, stop: np.ndarray) -> Grid:
    """The nodes start_k..stop_k of ``grid`` along each axis k, as a grid."""
    step = grid.spacing
    return Grid(grid.lo + start * step, grid.lo + stop * step, tuple((stop - start + 1).tolist()))

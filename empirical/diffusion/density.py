"""The exact output density of the probability-flow ODE sampler.

The sampler is a map F = g_{S-1} o ... o g_0 applied to z ~ pi = N(0, I), each Euler step being
g_k(x) = x + h_k (x + s(x, t_k)). Its output density is the push-forward of pi by change of
variables, p(y) = sum over z in F^{-1}(y) of pi(z) / |det DF(z)|.

- d = 1, score affine in x between known kinks (the ReLU random-feature score and the exact
  Gaussian score): every g_k is continuous and piecewise affine, hence so is F. ``Pushforward1D``
  tracks F exactly on [-L, L] through its breakpoints, with the slope DF of every piece
  multiplied analytically step by step, so p and its CDF are exact up to rounding; the only mass
  not represented is pi(|z| > L) = 2 Phi(-L).
- any d, any score with a Jacobian: ``PushforwardNewton`` inverts F at each query point by Newton's
  method on F(z) = y (started from the reversed Euler recursion) with DF accumulated as a product
  of step Jacobians, and returns pi(z) / |det DF(z)|; F is assumed injective (det DF > 0 is
  checked at every solution).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from empirical.diffusion.gauss_sum import BAND_SDS, BandedGaussianSum, banded_gaussian_sum
from empirical.diffusion.process import prior_logpdf
from empirical.diffusion.sampling import Score, ode_flow_with_jacobian, stacked_pieces

PRIOR_RADIUS = 9.0
MAX_BREAKPOINTS = 2_000_000
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _std_normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z - _LOG_SQRT_2PI)


class Pushforward1D:
    """The ODE sampler's output law in d = 1, exactly, from the score's affine pieces.

    ``score.pieces(t)`` must return (kinks, slopes, intercepts): s(x, t) = slope_j x + intercept_j
    between consecutive sorted kinks (``score.pieces_at(times)``, the same for many times at
    once, is used when the score has it).

    When every step is increasing (1 + h_k (1 + slope) > 0 on every piece, ``monotone_``), F is
    increasing and each query y is inverted step by step, x_k = (x_{k+1} - h_k b_j) / (1 + h_k
    (1 + a_j)) on the piece j of g_k whose image holds x_{k+1} (a binary search among the
    images g_k(c_j) of the kinks), with F'(z) the product of the denominators: O(S log M) per
    query, no breakpoints. Otherwise F may fold and its breakpoints are tracked forward
    (``z_``, ``y_``, ``slope_``; for a monotone map they are built on first access).
    """

    def __init__(self, score: Score, grid: np.ndarray, radius: float = PRIOR_RADIUS) -> None:
        self.radius = float(radius)
        self.times = np.asarray(grid[:-1], dtype=float)
        self.steps = -np.diff(grid)
        self.pieces = stacked_pieces(score, self.times)
        kinks, slopes, intercepts = self.pieces
        h = self.steps[:, None]
        self._scale = 1.0 + h * (1.0 + slopes)  # g_k's slope on each piece
        self.monotone_ = bool(np.all(self._scale > 0))
        self._shift = h * intercepts
        # g_k at its kinks, from the piece on their left (the one a kink's own x is put in)
        self._images = kinks + h * (kinks + slopes[:, :-1] * kinks + intercepts[:, :-1])
        self.lost_mass_ = float(2.0 * ndtr(-self.radius))
        self._tracked = None if self.monotone_ else self._track()

    def _track(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[slice]]:
        """F's breakpoints z on [-L, L], their images F(z), the slope of F on each piece and
        F's monotone runs, carried forward step by step."""
        z = np.array([-self.radius, self.radius])
        x = z.copy()
        deriv = np.ones(1)  # DF on each piece [z_i, z_{i+1}]
        for k, (t, h) in enumerate(zip(self.times, self.steps, strict=True)):
            kinks, slopes, intercepts = (part[k] for part in self.pieces)
            z, x, deriv, left = _split_at(z, x, deriv, kinks)
            if len(z) > MAX_BREAKPOINTS:
                raise ArithmeticError(
                    f"the ODE sampler's map folds too often to track ({len(z)} breakpoints after "
                    f"time {t:.4g}); the score is too steep for the step size: train with a "
                    "finite tau or use more steps"
                )
            # no kink lies inside a refined piece, so its affine piece of s is the number of
            # kinks <= the lower end: min over its two ends of searchsorted(kinks, x, "right")
            right = left + _on_kink(kinks, x, left)
            piece = np.minimum(right[:-1], right[1:])
            deriv = deriv * (1.0 + h * (1.0 + slopes[piece]))
            x = x + h * (x + slopes[left] * x + intercepts[left])
        return z, x, deriv, _monotone_runs(deriv)

    def _breakpoints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[slice]]:
        if self._tracked is None:
            self._tracked = self._track()
        return self._tracked

    @property
    def z_(self) -> np.ndarray:
        """F's breakpoints on [-L, L], increasing."""
        return self._breakpoints()[0]

    @property
    def y_(self) -> np.ndarray:
        """F at the breakpoints."""
        return self._breakpoints()[1]

    @property
    def slope_(self) -> np.ndarray:
        """F' on each piece between consecutive breakpoints."""
        return self._breakpoints()[2]

    @property
    def breakpoints(self) -> int:
        """How many breakpoints F has on [-L, L]."""
        return len(self.z_)

    def invert(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For an increasing F (``monotone_``): z = F^{-1}(y) and F'(z), by the steps' inverses
        in reverse order."""
        if not self.monotone_:
            raise ValueError("invert needs an increasing map; this one folds (monotone_ False)")
        y = np.asarray(y, dtype=float).reshape(-1)
        order = np.argsort(y, kind="stable")
        x = y[order]  # increasing, and so it stays: every inverse step is increasing
        deriv = np.ones_like(x)
        bounds = np.zeros(self._images.shape[1] + 2, dtype=np.intp)
        bounds[-1] = len(x)
        for k in range(len(self.steps) - 1, -1, -1):
            # the points of piece j are those above j images: count them by one binary search
            # per image (K of them) rather than per point
            np.maximum.accumulate(
                np.searchsorted(x, self._images[k], side="right"), out=bounds[1:-1]
            )
            counts = bounds[1:] - bounds[:-1]
            scale = np.repeat(self._scale[k], counts)
            x -= np.repeat(self._shift[k], counts)
            x /= scale
            deriv *= scale
        z, slope = np.empty_like(x), np.empty_like(x)
        z[order], slope[order] = x, deriv
        return z, slope

    def _preimages(self, y: np.ndarray, run: slice):
        """For one monotone run of pieces: the piece index, the preimage z and a mask of hits."""
        z_, y_, slope_, _ = self._breakpoints()
        ys = y_[run.start : run.stop + 1]
        increasing = slope_[run.start] > 0
        sign = 1.0 if increasing else -1.0  # sign * F increases along the run
        pos = np.searchsorted(sign * ys, sign * y, side="right") - 1
        hit = (pos >= 0) & (pos < len(ys) - 1)
        i = run.start + np.clip(pos, 0, len(ys) - 2)
        zl, yl = z_[i], y_[i]
        z = zl + (y - yl) / slope_[i]
        z = np.clip(z, np.minimum(zl, z_[i + 1]), np.maximum(zl, z_[i + 1]))
        return i, z, hit

    def pdf(self, y: np.ndarray) -> np.ndarray:
        """p(y) = sum over preimages z in [-L, L] of pi(z) / |F'(z)|, for y of shape (k,) or
        (k, 1)."""
        y = np.asarray(y, dtype=float).reshape(-1)
        if self.monotone_:
            z, deriv = self.invert(y)
            inside = (z >= -self.radius) & (z < self.radius)
            return np.where(inside, _std_normal_pdf(z) / deriv, 0.0)
        out = np.zeros_like(y)
        z_, y_, slope_, runs = self._breakpoints()
        for run in runs:
            i, z, hit = self._preimages(y, run)
            out += np.where(hit, _std_normal_pdf(z) / np.abs(slope_[i]), 0.0)
        return out

    def cdf(self, y: np.ndarray) -> np.ndarray:
        """P(F(Z) <= y) over Z ~ pi restricted to [-L, L], exactly."""
        y = np.asarray(y, dtype=float).reshape(-1)
        if self.monotone_:
            z = np.clip(self.invert(y)[0], -self.radius, self.radius)
            return ndtr(z) - ndtr(-self.radius)
        out = np.zeros_like(y)
        z_, y_, slope_, runs = self._breakpoints()
        for run in runs:
            za, zb = z_[run.start], z_[run.stop]
            ya, yb = y_[run.start], y_[run.stop]
            _, z, hit = self._preimages(y, run)
            increasing = slope_[run.start] > 0
            below = y >= max(ya, yb)  # the whole run lies at or below y
            if increasing:
                part = np.where(hit, ndtr(z) - ndtr(za), 0.0)
            else:
                part = np.where(hit, ndtr(zb) - ndtr(z), 0.0)
            out += np.where(below, ndtr(zb) - ndtr(za), part)
        return out

    def outside_mass(self, lo: float, hi: float) -> float:
        """1 - P(lo <= F(Z) <= hi), including the prior mass beyond [-L, L] left out."""
        below, above = self.cdf(np.array([lo, hi]))
        return float(min(1.0, max(0.0, 1.0 - (above - below))))


def _split_at(z: np.ndarray, x: np.ndarray, deriv: np.ndarray, kinks: np.ndarray):
    """Insert into the breakpoints (z, x = F(z)) every z where F crosses a kink; F is affine on
    each piece, so the new z are found by linear interpolation and take their piece's slope.
    Also returns searchsorted(kinks, x) for the refined x (one binary search per old point)."""
    left = np.searchsorted(kinks, x)
    right = left + _on_kink(kinks, x, left)
    first = np.minimum(right[:-1], right[1:])  # the first kink above the piece's lower end
    count = np.maximum(np.maximum(left[:-1], left[1:]) - first, 0)  # kinks strictly inside
    total = int(count.sum())
    if total == 0:
        return z, x, deriv, left
    piece = np.repeat(np.arange(len(count)), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    # z increases along a piece; the crossed kinks come in increasing x, so reverse the order
    # of the crossings on pieces where F decreases
    falling = x[piece + 1] < x[piece]
    rank = np.where(falling, count[piece] - 1 - offset, offset)
    c = kinks[first[piece] + offset]
    new_z = z[piece] + (c - x[piece]) * (z[piece + 1] - z[piece]) / (x[piece + 1] - x[piece])
    # merge without sorting: old point j moves to j + (crossings before it), the crossings of
    # piece j follow it in z order
    before = np.concatenate([[0], np.cumsum(count)])
    old_at = np.arange(len(z)) + before
    new_at = piece + before[piece] + 1 + rank
    size = len(z) + total
    all_z = np.empty(size)
    all_x = np.empty(size)
    all_z[old_at], all_x[old_at] = z, x
    all_z[new_at], all_x[new_at] = new_z, c
    all_left = np.empty(size, dtype=left.dtype)
    all_left[old_at], all_left[new_at] = left, first[piece] + offset
    # every piece of the refined map lies inside one old piece and keeps its slope
    new_deriv = np.repeat(deriv, count + 1)
    return all_z, all_x, new_deriv, all_left


def _on_kink(kinks: np.ndarray, x: np.ndarray, left: np.ndarray) -> np.ndarray:
    """1 where x equals the kink searchsorted put it before, else 0 (so left + this is
    searchsorted(kinks, x, side="right") for distinct kinks)."""
    if len(kinks) == 0:
        return np.zeros(len(x), dtype=left.dtype)
    inside = left < len(kinks)
    return (inside & (kinks[np.minimum(left, len(kinks) - 1)] == x)).astype(left.dtype)


def _monotone_runs(slope: np.ndarray) -> list[slice]:
    """Maximal runs of consecutive pieces whose slopes share one strict sign (flat ones dropped)."""
    sign = np.sign(slope)
    runs, start = [], 0
    for i in range(1, len(sign) + 1):
        if i == len(sign) or sign[i] != sign[start]:
            if sign[start] != 0:
                runs.append(slice(start, i))
            start = i
    return runs


class PushforwardNewton:
    """The ODE sampler's output density in any d by inverting F with Newton's method."""

    def __init__(self, score: Score, grid: np.ndarray, tol: float = 1e-10, max_iter: int = 30):
        self.score = score
        self.grid = grid
        self.tol = tol
        self.max_iter = max_iter

    def _initial_guess(self, y: np.ndarray) -> np.ndarray:
        """Run the Euler recursion backwards: x_k ~ x_{k+1} - h (x_{k+1} + s(x_{k+1}, t_k))."""
        x = y.copy()
        for t, h in zip(self.grid[-2::-1], -np.diff(self.grid)[::-1], strict=True):
            x = x - h * (x + self.score(x, t)) / (1.0 + h)
        return x

    def invert(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """z with F(z) = y, DF(z), and the final residual |F(z) - y| per row. Newton steps are
        taken only for the rows not yet converged."""
        y = np.asarray(y, dtype=float)
        z = self._initial_guess(y)
        fz, jac = ode_flow_with_jacobian(self.score, z, self.grid)
        active = np.arange(len(y))
        for _ in range(self.max_iter):
            residual = fz[active] - y[active]
            open_ = np.max(np.abs(residual), axis=1) > self.tol
            if not open_.any():
                break
            active, residual = active[open_], residual[open_]
            z[active] = z[active] - np.linalg.solve(jac[active], residual[..., None])[..., 0]
            fz[active], jac[active] = ode_flow_with_jacobian(self.score, z[active], self.grid)
        return z, jac, np.max(np.abs(fz - y), axis=1)

    def pdf(self, y: np.ndarray) -> np.ndarray:
        """pi(z) / det DF(z) at z = F^{-1}(y), for the rows of ``y`` (shape (k, d))."""
        z, jac, residual = self.invert(y)
        det = np.linalg.det(jac)
        if np.any(residual > 1e3 * self.tol) or np.any(det <= 0):
            raise ArithmeticError(
                "Newton inversion of the ODE sampler did not converge to an orientation-preserving"
                f" preimage: max residual {residual.max():.3g}, min det DF {det.min():.3g}"
            )
        return np.exp(prior_logpdf(z)) / det


class SDEGridDensity1D:
    """The reverse-SDE sampler's output law in d = 1, by its transition kernels on a grid.

    One Euler-Maruyama step sends x to N(g_k(x), 2 h_k) with g_k(x) = x + h_k (x + 2 s(x, t_k)),
    so p_{k+1}(y) = int p_k(x) N(y; g_k(x), 2 h_k) dx (the discrete-time Fokker-Planck equation).
    p_0 = pi; the integrals over x use the trapezoid rule on equally spaced nodes covering
    [-half_width, half_width]. Each node's kernel is spread only over the nodes within
    ``BAND_SDS`` standard deviations of its mean (the Gaussian mass beyond is below 1e-15), so a
    step costs O(nodes * band) instead of O(nodes^2). The last step is kept in closed form, so the
    output density is the Gaussian mixture sum_j a_j N(y; g_{S-1}(u_j), 2 h_{S-1}), defined at
    every y. ``mass_`` = sum_j a_j; 1 - mass_ is the truncation-plus-quadrature error.
    """

    def __init__(
        self, score: Score, grid: np.ndarray, half_width: float = 8.0, spacing: float = 0.02
    ) -> None:
        steps = -np.diff(grid)
        spacing = min(spacing, float(np.sqrt(2.0 * steps.min())) / 4.0)
        count = int(np.ceil(2.0 * half_width / spacing)) + 1
        nodes = np.linspace(-half_width, half_width, count)
        quad = np.full(count, nodes[1] - nodes[0])
        quad[[0, -1]] *= 0.5
        p = _std_normal_pdf(nodes)
        drifts = _drifts(score, nodes, grid)
        kernels = {}  # one per distinct step (the equally spaced grid's differ by rounding)
        for means, h in zip(drifts[:-1], steps[:-1], strict=True):
            if h not in kernels:
                kernels[h] = BandedGaussianSum(nodes[0], nodes[1] - nodes[0], count, 2.0 * h)
            p = kernels[h](means, quad * p)
        self.means_ = drifts[-1]
        self.weights_ = quad * p
        self.variance_ = 2.0 * float(steps[-1])
        self.mass_ = float(self.weights_.sum())

    def outside_mass(self, lo: float, hi: float) -> float:
        """1 - sum_j a_j P(lo <= N(m_j, v) <= hi): the mixture's mass outside plus 1 - mass_."""
        sd = np.sqrt(self.variance_)
        inside = self.weights_ @ (ndtr((hi - self.means_) / sd) - ndtr((lo - self.means_) / sd))
        return float(min(1.0, max(0.0, 1.0 - inside)))

    def pdf(self, y: np.ndarray) -> np.ndarray:
        """sum_j a_j N(y; m_j, v) for y of shape (k,) or (k, 1), summing the mixture's
        components within ``BAND_SDS`` standard deviations of each y; equally spaced y (a grid)
        by ``banded_gaussian_sum``, component by component over the grid points it reaches."""
        y = np.asarray(y, dtype=float).reshape(-1)
        spacing = _equal_spacing(y)
        if spacing is not None:
            return banded_gaussian_sum(
                y[0], spacing, len(y), self.means_, self.variance_, self.weights_, True
            )
        order = np.argsort(self.means_)
        means, weights = self.means_[order], self.weights_[order]
        reach = BAND_SDS * np.sqrt(self.variance_)
        lo = np.searchsorted(means, y - reach, side="left")
        hi = np.searchsorted(means, y + reach, side="right")
        width = int((hi - lo).max(initial=0))
        out = np.empty_like(y)
        chunk = max(1, 2**20 // max(width, 1))
        for start in range(0, len(y), chunk):
            part = slice(start, start + chunk)
            j = lo[part, None] + np.arange(width)[None, :]
            ok = j < hi[part, None]
            jj = np.minimum(j, len(means) - 1)
            diff = y[part, None] - means[jj]
            terms = np.where(ok, weights[jj] * np.exp(-0.5 * diff * diff / self.variance_), 0.0)
            out[part] = terms.sum(axis=1)
        return out / np.sqrt(2.0 * np.pi * self.variance_)


def _equal_spacing(y: np.ndarray) -> float | None:
    """The spacing of ``y`` if it is increasing and equally spaced up to rounding (8 ulps of
    its largest magnitude; at least 64 points), else None. The banded sum then takes the points
    as the exact lattice y_0 + i step, which moves a density value by at most
    (BAND_SDS / sd) * 8 ulps * max |y| relative (~3e-13 at the defaults)."""
    if len(y) < 64 or not np.all(np.isfinite(y[[0, -1]])):
        return None
    step = (y[-1] - y[0]) / (len(y) - 1)
    if not step > 0:
        return None
    nominal = y[0] + step * np.arange(len(y))
    scale = max(abs(y[0]), abs(y[-1]))
    return float(step) if np.max(np.abs(y - nominal)) <= 8 * np.finfo(float).eps * scale else None


def _drifts(score: Score, nodes: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """g_k(x) = x + h_k (x + 2 s(x, t_k)) at the nodes for every step k, shape (S, nodes): by
    the score's affine pieces (all steps at once) when it has them."""
    times, steps = grid[:-1], -np.diff(grid)
    if hasattr(score, "pieces") or hasattr(score, "pieces_at"):
        kinks, slopes, intercepts = stacked_pieces(score, times)
        piece = np.empty((len(times), len(nodes)), dtype=np.intp)
        for k in range(len(times)):
            piece[k] = np.searchsorted(kinks[k], nodes)
        out = np.take_along_axis(slopes, piece, axis=1) * nodes
        out += np.take_along_axis(intercepts, piece, axis=1)
    else:
        out = np.stack([score(nodes[:, None], t)[:, 0] for t in times])
    return nodes + steps[:, None] * (nodes + 2.0 * out)

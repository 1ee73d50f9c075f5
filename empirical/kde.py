"""Gaussian kernel density estimation, a ``Model`` of ``empirical.model``.

Public API: ``KDE(bandwidth="scott")`` with ``fit(X, rng=None)``, ``pdf(x)``, ``logpdf(x)``,
``sample(size, rng)``, ``grid_pdf(grid) -> (values, l1_error)``, ``bounding_box(tail)``,
``outside_mass(lo, hi)``, ``get_params()``; learned ``data_`` (N, d) and ``covariance_`` (d, d).

p_hat(x) = (1/N) sum_i K_H(x - X_i), K_H the N(0, H) density. The kernel covariance H is

- ``bandwidth=h`` (a number): H = h^2 I, the fixed bandwidth of the theory;
- ``"scott"``: H = N^{-2/(d+4)} S, S the sample covariance (ddof 1); as scipy's default;
- ``"silverman"``: H = f^2 D R D with f = (4 / ((d+2) N))^{1/(d+4)}, R the sample correlation
  and D = diag(min(sd_k, IQR_k / 1.349)), the robust scale of Silverman's rule of thumb.

Both rules scale with the data: refitting on c X gives c^2 H (scikit-learn's rules do not).

``grid_pdf`` bins the points linearly onto the grid's nodes and convolves with the kernel by FFT
(points outside the box are added exactly). Binning replaces K_H(y - x) by its multilinear
interpolant in x between nodes; the leading term of that error is itself a binned convolution
(with the kernel's second derivatives), which ``grid_pdf`` subtracts and whose L1 norm it reports
as the error. A priori, that norm is at most sum_k (D_k^2 / 8) 4 phi(1) (H^{-1})_kk, since
int |d_k^2 K_H| = 4 phi(1) (H^{-1})_kk (phi the N(0,1) density, D_k the spacing): O(D^2 / h^2).
For a diagonal H whose exact sum is estimated cheaper, ``grid_pdf`` sums the kernels instead, as
products of per-axis factors on windows of 12 sds around each point (exact but for the mass
beyond). The module is long because it holds the
estimator with both of its grid densities, which share the fitted kernel's state.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import fft, special

from bounds import validate
from empirical.points import (
    check_box,
    check_rng,
    check_size,
    logsumexp_rows,
    normal_box_z,
    transform_rows,
)
from empirical.truths import as_points
from empirical.tv import Grid, check_grid, integrate

__all__ = ["KDE"]

_RULES = ("scott", "silverman")
_NDTR_ZERO = -39.0  # special.ndtr(z) == 0.0 in double precision for z <= -38.5
_CHUNK = 2**22  # entries of the (points x data) block evaluated at once


def _rule_covariance(X: np.ndarray, rule: str) -> np.ndarray:
    n, d = X.shape
    if n < 2:
        raise ValueError(f"bandwidth={rule!r} needs at least 2 data points, got {n}")
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    sd = np.sqrt(np.diag(cov))
    if np.any(sd == 0):
        raise ValueError(f"bandwidth={rule!r} needs data that vary in every coordinate")
    if rule == "scott":
        return n ** (-2.0 / (d + 4)) * cov
    iqr = np.subtract(*np.percentile(X, [75, 25], axis=0)) / 1.349
    scale = np.where(iqr > 0, np.minimum(sd, iqr), sd)
    corr = cov / np.outer(sd, sd)
    factor = (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))
    return factor**2 * corr * np.outer(scale, scale)


class KDE:
    """Gaussian KDE p_hat = (1/N) sum_i N(x; X_i, H); see the module docstring for H."""

    def __init__(self, bandwidth: float | str = "scott") -> None:
        if isinstance(bandwidth, str):
            if bandwidth not in _RULES:
                allowed = f"a number > 0 or one of {_RULES}"
                raise ValueError(f"bandwidth must be {allowed}, got {bandwidth!r}")
        else:
            bandwidth = validate.positive("bandwidth", bandwidth)
            if not 0 < bandwidth * bandwidth < math.inf:  # h^2 is the kernel variance
                raise ValueError(
                    f"bandwidth must be in [1e-150, 1e+150] (its square is the kernel "
                    f"variance), got {bandwidth!r}"
                )
        self.bandwidth = bandwidth

    def get_params(self) -> dict[str, object]:
        return {"bandwidth": self.bandwidth, "kernel": "gaussian"}

    def __repr__(self) -> str:
        return f"KDE(bandwidth={self.bandwidth!r})"

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: object, rng: np.random.Generator | None = None) -> KDE:
        """Store the data and the kernel covariance H (``rng`` is unused: fitting is exact,
        but it must be None or a Generator, as every model's ``fit`` takes)."""
        if rng is not None:
            check_rng(rng)
        X = validate.array("X", X)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] < 1:
            raise ValueError(f"X must be a finite array of shape (N >= 1, d), got shape {X.shape}")
        d = X.shape[1]
        if isinstance(self.bandwidth, str):
            cov = _rule_covariance(X, self.bandwidth)
        else:
            cov = self.bandwidth**2 * np.eye(d)
        self.data_ = X
        self.covariance_ = cov
        self._chol = np.linalg.cholesky(cov)
        self._whiten = np.linalg.inv(self._chol).T  # x @ _whiten = (L^{-1} x')'
        log_det_half = float(np.sum(np.log(np.diag(self._chol))))
        self._log_norm = 0.5 * d * math.log(2 * math.pi) + log_det_half
        self._precision = np.linalg.inv(cov)
        self._diagonal_sd = (
            np.sqrt(np.diag(cov)) if np.count_nonzero(cov - np.diag(np.diag(cov))) == 0 else None
        )
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "data_"):
            raise RuntimeError("KDE is not fitted: call fit(X) first")

    @property
    def dim(self) -> int:
        self._fitted()
        return self.data_.shape[1]

    # -- exact density -----------------------------------------------------------------------
    def _log_kernel_blocks(self, pts: np.ndarray, centres: np.ndarray):
        """Yield (rows, -|L^{-1}(x - c)|^2 / 2) blocks, x over chunks of ``pts``, c all centres
        (for a diagonal H, -sum_k ((x_k - c_k) / sd_k)^2 / 2 axis by axis)."""
        step = max(1, _CHUNK // (centres.shape[0] * self.dim))
        if self._diagonal_sd is not None:
            for start in range(0, pts.shape[0], step):
                rows = slice(start, start + step)
                block = np.zeros((pts[rows].shape[0], centres.shape[0]))
                for k, sd in enumerate(self._diagonal_sd):
                    z = pts[rows, k, None] - centres[None, :, k]
                    z /= sd
                    half = 0.5 * z
                    with np.errstate(over="ignore"):  # far points: -inf, kernel 0
                        half *= z  # in place: the numbers of 0.5 * z * z
                    block -= half
                yield rows, block
            return
        xw = transform_rows(pts, self._whiten)
        cw = transform_rows(centres, self._whiten)
        for start in range(0, pts.shape[0], step):
            rows = slice(start, start + step)
            diff = xw[rows, None, :] - cw[None, :, :]
            yield rows, -0.5 * np.einsum("kni,kni->kn", diff, diff)

    def _sum_at(self, centres: np.ndarray, pts: np.ndarray) -> np.ndarray:
        """sum over ``centres`` c of K_H(x - c) at the rows x of ``pts``."""
        out = np.zeros(pts.shape[0])
        for rows, block in self._log_kernel_blocks(pts, centres):
            out[rows] = np.exp(block).sum(axis=1)
        return out * math.exp(-self._log_norm)

    def pdf(self, x: object) -> np.ndarray:
        """The exact sum (1/N) sum_i K_H(x - X_i) at the rows of x."""
        self._fitted()
        return self._sum_at(self.data_, as_points(x, self.dim)) / self.data_.shape[0]

    def logpdf(self, x: object) -> np.ndarray:
        """log pdf by log-sum-exp (finite far in the tails, where pdf underflows)."""
        self._fitted()
        pts = as_points(x, self.dim)
        out = np.zeros(pts.shape[0])
        for rows, block in self._log_kernel_blocks(pts, self.data_):
            out[rows] = logsumexp_rows(block, axis=1, overwrite=True)  # -inf: all underflow
        return out - math.log(self.data_.shape[0]) - self._log_norm

    # -- sampling --------------------------------------------------------------------------
    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """X_I + L z with I uniform on the data, L L' = H, z standard normal."""
        self._fitted()
        size = check_size(size)
        rng = check_rng(rng)
        idx = rng.integers(0, self.data_.shape[0], size=size)
        z = rng.standard_normal((size, self.dim))
        if self._diagonal_sd is not None:  # the same numbers as z @ L' for a diagonal L
            return self.data_[idx] + z * self._diagonal_sd
        return self.data_[idx] + z @ self._chol.T

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(data mean, data covariance with ddof 0 + H): the exact moments of p_hat."""
        self._fitted()
        centred = self.data_ - self.data_.mean(axis=0)
        cov = centred.T @ centred / self.data_.shape[0] + self.covariance_
        return self.data_.mean(axis=0), cov

    @property
    def length_scale(self) -> float:
        """The kernel's smallest standard deviation, sqrt(min eigenvalue of H)."""
        self._fitted()
        return float(np.sqrt(np.linalg.eigvalsh(self.covariance_)[0]))

    # -- tails -----------------------------------------------------------------------------
    def bounding_box(self, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        """Data range +- z sd_k (sd_k^2 = H_kk), z such that each kernel's outside mass <= tail."""
        self._fitted()
        z = normal_box_z(min(validate.positive("tail", tail), 1.0), self.dim)
        half = z * np.sqrt(np.diag(self.covariance_))
        return self.data_.min(axis=0) - half, self.data_.max(axis=0) + half

    def outside_mass(self, lo: object, hi: object) -> float:
        """(1/N) sum_i sum_k P(outside [lo_k, hi_k] along k): a union bound, exact in d = 1."""
        self._fitted()
        lo_arr, hi_arr = check_box(lo, hi, self.dim)
        sd = np.sqrt(np.diag(self.covariance_))
        total = 0.0
        for z in ((lo_arr - self.data_) / sd, (self.data_ - hi_arr) / sd):
            near = z[z > _NDTR_ZERO]  # Phi(z) underflows to 0 below: the same sum, fewer terms
            total += float(np.sum(special.ndtr(near)))
        return float(min(1.0, total / self.data_.shape[0]))

    # -- grid density ----------------------------------------------------------------------
    def grid_pdf(
        self, grid: Grid, exact: bool = False, method: str = "auto"
    ) -> tuple[np.ndarray, float]:
        """(density at every node of ``grid``, a bound on its L1 error).

        ``method``: ``"product"`` (H diagonal only) is the exact sum of the kernels, each a
        product of per-axis factors evaluated on a window of 12 sds around its point
        (``_product_pdf``); ``"fft"`` is the binned FFT below; ``"auto"`` takes the product
        when H is diagonal and it is estimated cheaper. ``exact=True`` is the plain exact sum.

        Binned FFT: f_b = (1/N) sum_i L_i with L_i the multilinear interpolant of x -> K_H(y - x)
        on the cell of X_i, a convolution of the binned data with K_H. Its error is, to leading
        order, E(y) = sum_k (D_k^2 / 2) (1/N) sum_i t_ik (1 - t_ik) d_k^2 K_H(y - X_i), t_ik the
        position of X_i in its cell along axis k: a second binned convolution. Returns f_b - E
        and int |E| (the error of f_b; that of f_b - E is of higher order) plus the effect of
        truncating both kernels at z = 12 marginal sds (``_truncation_error``). Both
        convolutions share one forward transform per binned array and the kernels' spectra,
        cached across calls and models with the same H and grid spacing (up to 8 sets of at
        most 32 MB each). Points outside the
        grid's box are added by the exact sum.
        """
        self._fitted()
        check_grid(grid, self.dim)
        method = validate.choice("method", method, _METHODS)
        if exact:
            return self.pdf(grid.points()).reshape(grid.shape), 0.0
        diagonal = self._diagonal_sd is not None
        if method == "product" and not diagonal:
            raise ValueError("method='product' needs a diagonal kernel covariance H")
        if method == "product" or (method == "auto" and diagonal and self._product_cheaper(grid)):
            return self._product_pdf(grid)
        return self._binned_pdf(grid)

    def _windows(self, grid: Grid) -> list[int]:
        """Per-axis window widths of the product path, 2 m_k + 1 nodes with m_k D_k >=
        z sqrt(H_kk) + D_k / 2 (a point is within D_k / 2 of its nearest node), at most n_k."""
        sd = np.sqrt(np.diag(self.covariance_))
        pairs = zip(sd / grid.spacing, grid.shape, strict=True)
        return [min(n, 2 * math.ceil(_TRUNCATE_Z * r + 0.5) + 1) for r, n in pairs]

    def _product_cheaper(self, grid: Grid) -> bool:
        """Whether the product's N (prod w_k + 20 sum w_k + 5000 [d = 2]) multiply-adds (w_k
        the window widths, an exp counted as 20, a Python step per point as 5000) beat the FFT's
        (3 + d) transforms of the padded grid at 2 T log2 T each (constants measured)."""
        pairs = zip(grid.shape, self._half_widths(grid), strict=True)
        padded = math.prod(n + 2 * m for n, m in pairs)
        fft_work = 2 * (3 + self.dim) * padded * math.log2(max(padded, 2))
        widths = self._windows(grid)
        per_point = math.prod(widths) + 20 * sum(widths) + (5000 if self.dim == 2 else 0)
        return self.data_.shape[0] * per_point <= fft_work

    def _product_pdf(self, grid: Grid) -> tuple[np.ndarray, float]:
        """(1/N) sum_i prod_k K_k(y_k - X_ik) (diagonal H), each factor evaluated on a window of
        ``_windows`` nodes around X_ik: exact but for the kernel mass beyond z = 12 sds, at
        most 2 d (1 - Phi(12)) in L1 (returned as the error). Cost N prod w_k."""
        sd = self._diagonal_sd
        n = self.data_.shape[0]
        starts, factors = [], []
        for k, (axis, width) in enumerate(zip(grid.axes, self._windows(grid), strict=True)):
            nearest = np.rint((self.data_[:, k] - grid.lo[k]) / grid.spacing[k]).astype(np.int64)
            start = np.clip(nearest - width // 2, 0, axis.size - width)
            nodes = start[:, None] + np.arange(width)
            z = (axis[nodes] - self.data_[:, k, None]) / sd[k]
            starts.append(start)
            factors.append(np.exp(-0.5 * z * z) / (sd[k] * math.sqrt(2 * math.pi)))
        tail = 2 * self.dim * float(special.ndtr(-_TRUNCATE_Z))
        if self.dim == 1:
            nodes = starts[0][:, None] + np.arange(factors[0].shape[1])
            values = np.bincount(nodes.ravel(), factors[0].ravel(), minlength=grid.size)
            return values / n, tail
        blocks = _product_blocks(starts, [factors[0] / n, factors[1]], np.arange(n))
        if len(blocks) == 1 and blocks[0][0] == (0, 0):  # a product the size of the grid
            a0, a1 = blocks[0][1]
            if (a0.shape[0], a1.shape[0]) == grid.shape:
                return a0 @ a1.T, tail
        values = np.zeros(grid.shape)
        for (r, c), (a0, a1) in blocks:
            values[r : r + a0.shape[0], c : c + a1.shape[0]] += a0 @ a1.T
        return values, tail

    def _half_widths(self, grid: Grid) -> list[int]:
        """Kernel half-widths in nodes: z sqrt(H_kk) / D_k, at most n_k - 1."""
        sd = np.sqrt(np.diag(self.covariance_))
        pairs = zip(sd / grid.spacing, grid.shape, strict=True)
        return [min(n - 1, math.ceil(_TRUNCATE_Z * r)) for r, n in pairs]

    def _binned_pdf(self, grid: Grid) -> tuple[np.ndarray, float]:
        n = self.data_.shape[0]
        t = (self.data_ - grid.lo) / grid.spacing
        inside = np.all((t >= 0) & (t <= np.asarray(grid.shape) - 1), axis=1)
        base = np.minimum(np.floor(t[inside]).astype(np.int64), np.asarray(grid.shape) - 2)
        frac = t[inside] - base
        weights = [frac[:, k] * (1 - frac[:, k]) for k in range(self.dim)]
        binned = _bin(base, frac, grid.shape, weights)
        half = self._half_widths(grid)
        padded = math.prod(n + 2 * m for n, m in zip(grid.shape, half, strict=True))
        spectra_of = (
            _spectra if (1 + self.dim) * 16 * padded <= _CACHE_BYTES else _spectra.__wrapped__
        )
        spectra = spectra_of(
            tuple(grid.shape),
            tuple(half),
            tuple(grid.spacing.tolist()),
            self.covariance_.tobytes(),
            self.dim,
        )
        fft_shape, kernel_hat, curvature_hats = spectra
        axes = tuple(range(self.dim))
        transforms = [fft.rfftn(b, fft_shape, axes=axes) for b in binned]
        correction = sum(
            (grid.spacing[k] ** 2 / 2) * transforms[k + 1] * curvature_hats[k]
            for k in range(self.dim)
        )
        window = tuple(slice(m, m + size) for m, size in zip(half, grid.shape, strict=True))
        values = fft.irfftn(transforms[0] * kernel_hat - correction, fft_shape, axes=axes)
        error = fft.irfftn(correction, fft_shape, axes=axes)[window] / n
        values = values[window] / n
        outside = self.data_[~inside]
        if outside.size:
            values += self._sum_at(outside, grid.points()).reshape(grid.shape) / n
        np.maximum(values, 0.0, out=values)  # the density is positive: clipping only helps
        return values, integrate(np.abs(error), grid) + self._truncation_error(grid)

    def _truncation_error(self, grid: Grid) -> float:
        """L1 effect of cutting both kernels at |u_k| <= z sqrt(H_kk): the kernel mass outside,
        P <= 2 d (1 - Phi(z)) (union bound over the marginals), plus, for the correction, with
        |d_k^2 K| <= K ((P u)_k^2 + P_kk) and Cauchy-Schwarz on E[(P u)_k^2; outside],
        sum_k (D_k^2 / 8) P_kk (sqrt(3 P) + P) (t (1 - t) <= 1/4)."""
        tail = 2 * self.dim * float(special.ndtr(-_TRUNCATE_Z))
        precision = np.diag(self._precision)
        curv = np.sum(grid.spacing**2 / 8 * precision) * (math.sqrt(3 * tail) + tail)
        return tail + float(curv)


def _areas(starts: list[np.ndarray], widths: tuple[int, int], order: np.ndarray) -> np.ndarray:
    """Areas of the rectangles of nodes that hold the windows of order[:c + 1], c = 0..n-1."""
    area = np.ones(order.size, dtype=np.int64)
    for s, w in zip(starts, widths, strict=True):
        run = s[order]
        area *= np.maximum.accumulate(run) + w - np.minimum.accumulate(run)
    return area


def _product_blocks(
    starts: list[np.ndarray], factors: list[np.ndarray], points: np.ndarray
) -> list[tuple[tuple[int, int], tuple[np.ndarray, np.ndarray]]]:
    """Blocks ((r, c), (A_0, A_1)) whose products A_0 A_1' added at rows r.., columns c.. make
    sum_{i in points} of point i's factors on its windows (``factors[k][i]`` on the nodes from
    ``starts[k][i]`` along axis k): one block over the rectangle that holds the points' windows,
    at area x points multiply-adds; or, when that is cheaper by more than ``_BLOCK_COST`` (a
    product's fixed cost), the blocks of the two parts of the best cut of the points sorted by
    start along an axis: a cluster of points gets a product of its own."""
    widths = (factors[0].shape[1], factors[1].shape[1])
    n = points.size
    best = (int(_areas(starts, widths, points)[-1]) * n - _BLOCK_COST, None)
    for axis in (0, 1) if n > 1 else ():
        order = points[np.argsort(starts[axis][points], kind="stable")]
        before = _areas(starts, widths, order)[:-1] * np.arange(1, n)
        after = (_areas(starts, widths, order[::-1])[:-1] * np.arange(1, n))[::-1]
        cut = int(np.argmin(before + after))
        if before[cut] + after[cut] < best[0]:
            best = (int(before[cut] + after[cut]), (order[: cut + 1], order[cut + 1 :]))
    if best[1] is not None:
        return [block for part in best[1] for block in _product_blocks(starts, factors, part)]
    column = np.arange(n)[:, None]
    lo = tuple(int(s[points].min()) for s in starts)
    pair = []
    for k in range(2):
        rows = (starts[k][points] - lo[k])[:, None] + np.arange(widths[k])
        pair.append(np.zeros((int(starts[k][points].max()) + widths[k] - lo[k], n)))
        pair[k][rows, column] = factors[k][points]
    return [(lo, (pair[0], pair[1]))]


_TRUNCATE_Z = 12.0
_BLOCK_COST = 10**7  # multiply-adds worth a matrix product's fixed cost (measured)
_METHODS = ("auto", "fft", "product")


_CACHE_BYTES = 2**25  # spectra larger than 32 MB are recomputed rather than kept


@lru_cache(maxsize=8)
def _spectra(
    shape: tuple[int, ...],
    half: tuple[int, ...],
    spacing: tuple[float, ...],
    cov_bytes: bytes,
    dim: int,
) -> tuple[tuple[int, ...], np.ndarray, list[np.ndarray]]:
    """(FFT shape, spectrum of K_H, spectra of d_k^2 K_H = K_H ((P u)_k^2 - P_kk), P = H^{-1}) for
    node offsets u = j D, |j_k| <= half_k, laid out from index 0 so that the linear convolution
    with an array of ``shape`` starts at offset half_k."""
    cov = np.frombuffer(cov_bytes).reshape(dim, dim)
    chol = np.linalg.cholesky(cov)
    whiten = np.linalg.inv(chol).T
    log_norm = 0.5 * dim * math.log(2 * math.pi) + float(np.sum(np.log(np.diag(chol))))
    offsets = [np.arange(-m, m + 1) * d for m, d in zip(half, spacing, strict=True)]
    mesh = np.stack([g.ravel() for g in np.meshgrid(*offsets, indexing="ij")], axis=1)
    z = mesh @ whiten
    kernel = np.exp(-0.5 * np.sum(z * z, axis=1) - log_norm)
    precision = np.linalg.inv(cov)
    pu = mesh @ precision
    kshape = tuple(2 * m + 1 for m in half)
    fft_shape = tuple(
        fft.next_fast_len(n + 2 * m, real=True) for n, m in zip(shape, half, strict=True)
    )
    axes = tuple(range(dim))
    kernel_hat = fft.rfftn(kernel.reshape(kshape), fft_shape, axes=axes)
    curvature_hats = [
        fft.rfftn(
            (kernel * (pu[:, k] ** 2 - precision[k, k])).reshape(kshape), fft_shape, axes=axes
        )
        for k in range(dim)
    ]
    return fft_shape, kernel_hat, curvature_hats


def _bin(
    base: np.ndarray, frac: np.ndarray, shape: tuple[int, ...], weights: list[np.ndarray]
) -> list[np.ndarray]:
    """Multilinear binning: point i (cell ``base``, position ``frac`` in it) spreads 1, and each
    ``weights[j][i]``, over its cell's corners; returns the 1 + len(weights) binned arrays."""
    size = math.prod(shape)
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]  # C order: node index = sum_k j_k stride_k
    origin = base @ strides
    flats, corner_weights = [], []
    for corner in np.ndindex(*(2,) * len(shape)):
        c = np.asarray(corner)
        corner_weights.append(np.prod(np.where(c == 1, frac, 1.0 - frac), axis=1))
        flats.append(origin + int(c @ strides))
    flat, weight = np.concatenate(flats), np.concatenate(corner_weights)
    out = [np.bincount(flat, weights=weight, minlength=size).reshape(shape)]
    for extra in weights:
        tiled = np.tile(extra, len(flats))
        out.append(np.bincount(flat, weights=weight * tiled, minlength=size).reshape(shape))
    return out

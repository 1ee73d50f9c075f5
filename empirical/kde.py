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
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal, special

from bounds import validate
from empirical.truths import as_points
from empirical.tv import Grid, integrate

__all__ = ["KDE"]

_RULES = ("scott", "silverman")
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
        self.bandwidth = bandwidth

    def get_params(self) -> dict[str, object]:
        return {"bandwidth": self.bandwidth, "kernel": "gaussian"}

    def __repr__(self) -> str:
        return f"KDE(bandwidth={self.bandwidth!r})"

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: object, rng: np.random.Generator | None = None) -> KDE:
        """Store the data and the kernel covariance H (``rng`` is unused: fitting is exact)."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] < 1 or not np.all(np.isfinite(X)):
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
        """Yield (rows, -|L^{-1}(x - c)|^2 / 2) blocks, x over chunks of ``pts``, c all centres."""
        xw = pts @ self._whiten
        cw = centres @ self._whiten
        step = max(1, _CHUNK // (centres.shape[0] * self.dim))
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
            out[rows] = special.logsumexp(block, axis=1)
        return out - math.log(self.data_.shape[0]) - self._log_norm

    # -- sampling --------------------------------------------------------------------------
    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """X_I + L z with I uniform on the data, L L' = H, z standard normal."""
        self._fitted()
        size = validate.whole("size", size, minimum=0)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        idx = rng.integers(0, self.data_.shape[0], size=size)
        z = rng.standard_normal((size, self.dim))
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
        tail = validate.positive("tail", tail)
        z = float(-special.ndtri(min(tail, 1.0) / (2 * self.dim)))
        half = z * np.sqrt(np.diag(self.covariance_))
        return self.data_.min(axis=0) - half, self.data_.max(axis=0) + half

    def outside_mass(self, lo: object, hi: object) -> float:
        """(1/N) sum_i sum_k P(outside [lo_k, hi_k] along k): a union bound, exact in d = 1."""
        self._fitted()
        lo_arr = np.broadcast_to(np.asarray(lo, dtype=float), (self.dim,))
        hi_arr = np.broadcast_to(np.asarray(hi, dtype=float), (self.dim,))
        sd = np.sqrt(np.diag(self.covariance_))
        below = special.ndtr((lo_arr - self.data_) / sd)
        above = special.ndtr((self.data_ - hi_arr) / sd)
        return float(min(1.0, np.sum(below + above) / self.data_.shape[0]))

    # -- grid density ----------------------------------------------------------------------
    def grid_pdf(self, grid: Grid, exact: bool = False) -> tuple[np.ndarray, float]:
        """(density at every node of ``grid``, estimated L1 error): binned FFT, or the exact sum.

        Binned: f_b = (1/N) sum_i L_i with L_i the multilinear interpolant of x -> K_H(y - x) on
        the cell of X_i, a convolution of the binned data with K_H (by FFT). Its error is, to
        leading order, E(y) = sum_k (D_k^2 / 2) (1/N) sum_i t_ik (1 - t_ik) d_k^2 K_H(y - X_i),
        t_ik the position of X_i in its cell along axis k: a second binned convolution. Returns
        f_b - E and int |E| (the error of f_b; that of f_b - E is of higher order). Points
        outside the grid's box are added by the exact sum.
        """
        self._fitted()
        if grid.dim != self.dim:
            raise ValueError(f"grid must have dim {self.dim}, got {grid.dim}")
        if exact:
            return self.pdf(grid.points()).reshape(grid.shape), 0.0
        n = self.data_.shape[0]
        t = (self.data_ - grid.lo) / grid.spacing
        inside = np.all((t >= 0) & (t <= np.asarray(grid.shape) - 1), axis=1)
        base = np.minimum(np.floor(t[inside]).astype(np.int64), np.asarray(grid.shape) - 2)
        frac = t[inside] - base
        kernel, curvatures = self._kernels_on_offsets(grid)
        values = signal.fftconvolve(_bin(base, frac, grid.shape), kernel, mode="valid") / n
        error = np.zeros(grid.shape)
        for k, curvature in enumerate(curvatures):
            binned = _bin(base, frac, grid.shape, frac[:, k] * (1 - frac[:, k]))
            conv = signal.fftconvolve(binned, curvature, mode="valid")
            error += grid.spacing[k] ** 2 / 2 * conv / n
        values -= error
        outside = self.data_[~inside]
        if outside.size:
            values += self._sum_at(outside, grid.points()).reshape(grid.shape) / n
        np.maximum(values, 0.0, out=values)  # the density is positive: clipping only helps
        return values, integrate(np.abs(error), grid)

    def _kernels_on_offsets(self, grid: Grid) -> tuple[np.ndarray, list[np.ndarray]]:
        """K_H and d_k^2 K_H = K_H ((P u)_k^2 - P_kk), P = H^{-1}, at every node offset u = j D,
        j_k in -(n_k - 1)..(n_k - 1)."""
        pairs = zip(grid.shape, grid.spacing, strict=True)
        offsets = [np.arange(-(n - 1), n) * s for n, s in pairs]
        mesh = np.stack([m.ravel() for m in np.meshgrid(*offsets, indexing="ij")], axis=1)
        z = (mesh @ self._whiten).T
        shape = [2 * n - 1 for n in grid.shape]
        kernel = np.exp(-0.5 * np.sum(z * z, axis=0) - self._log_norm)
        precision = np.linalg.inv(self.covariance_)
        pu = precision @ mesh.T
        curvatures = [
            (kernel * (pu[k] ** 2 - precision[k, k])).reshape(shape) for k in range(self.dim)
        ]
        return kernel.reshape(shape), curvatures


def _bin(
    base: np.ndarray, frac: np.ndarray, shape: tuple[int, ...], weights: np.ndarray | None = None
) -> np.ndarray:
    """Multilinear binning: point i (cell ``base``, position ``frac`` in it) spreads ``weights[i]``
    (default 1) over its cell's corners."""
    counts = np.zeros(math.prod(shape))
    for corner in np.ndindex(*(2,) * len(shape)):
        c = np.asarray(corner)
        weight = np.prod(np.where(c == 1, frac, 1.0 - frac), axis=1)
        if weights is not None:
            weight = weight * weights
        flat = np.ravel_multi_index(tuple((base + c).T), shape)
        counts += np.bincount(flat, weights=weight, minlength=counts.size)
    return counts.reshape(shape)

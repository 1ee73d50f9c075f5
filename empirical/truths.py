"""Real distributions p_0 with exact density and exact sampling.

Public API (each follows the ``Density`` protocol of ``empirical.model``, shaped like a frozen
``scipy.stats`` distribution):

- ``Gaussian(mean, cov)``: N(mean, cov) on R^d.
- ``GaussianMixture(weights, means, covs, split)``: sum_k w_k N(mean_k, cov_k).
- ``Blobs(centers, dim, low, high, sd, seed, split)``: scikit-learn's ``make_blobs`` law, equal
  weights on N(c_k, sd^2 I) with given centres or ``centers`` of them uniform in [low, high]^dim.
- ``Bump(center, radius)`` (from ``empirical.bounded``): the C-infinity, compactly supported
  product density prod_k b((x_k - c_k) / r) / r, b(u) = exp(-1 / (1 - u^2)) / Z on (-1, 1).
- ``Moons``, ``Circles`` (from ``empirical.curves``): noisy curves in the plane.
- ``TRUTHS``: short name -> class, for registries and command lines.

Each has ``dim``, ``pdf(x)``, ``logpdf(x)`` (x of shape (k, d)), ``sample(size, rng)``,
``bounding_box(tail)`` (a box outside which the mass is at most ``tail``),
``outside_mass(lo, hi)`` (an upper bound on the mass outside the box [lo, hi]),
``moments()`` (exact mean and covariance), ``length_scale`` (the smallest length over which the
density changes by O(1), for grid spacing) and ``parameters()`` (plain JSON values with
``type(t)(**t.parameters())`` rebuilding ``t``). Mixtures take ``split``: ``"random"`` (i.i.d.
draws) or ``"even"`` (stratified counts per component, as scikit-learn's generators).
Gaussians and Gaussian mixtures also have ``grid_pdf(grid)``, the density on a grid's nodes as
per-axis factors when the covariances are diagonal (used by ``empirical.tv.evaluate``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from bounds import validate
from empirical.bounded import Bump
from empirical.curves import Circles, Moons
from empirical.points import (
    as_points,
    check_box,
    check_rng,
    check_size,
    check_split,
    draw_labels,
    logsumexp_rows,
    normal_box_z,
    transform_rows,
)
from empirical.tv import check_grid

__all__ = [
    "TRUTHS",
    "Blobs",
    "Bump",
    "Circles",
    "Gaussian",
    "GaussianMixture",
    "Moons",
    "as_points",
]


_MIN_SD, _MAX_SD = 1e-150, 1e150  # Blobs: sd^2 is then a positive, finite float
_MAX_DIM = 10_000  # Blobs: dimensions of drawn centres (k x dim numbers are drawn)


def _normal_outside(lo: np.ndarray, hi: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> float:
    """Union bound sum_k P(X_k not in [lo_k, hi_k]) for X_k ~ N(mean_k, sd_k^2)."""
    below = special.ndtr((lo - mean) / sd)
    above = special.ndtr((mean - hi) / sd)
    return float(min(1.0, np.sum(below + above)))


def _diagonal_grid_pdf(
    grid: object, weights: np.ndarray, means: np.ndarray, covs: np.ndarray
) -> np.ndarray | None:
    """sum_k w_k prod_axes N(y_a; m_ka, C_k,aa) on the grid's nodes, as per-axis factors (the
    product of the marginal densities, exact for diagonal C_k); None if some C_k is not
    diagonal or d > 2."""
    off = covs - np.einsum("kii->ki", covs)[:, :, None] * np.eye(covs.shape[1])
    if np.any(off != 0) or grid.dim > 2:
        return None
    sd = np.sqrt(np.einsum("kii->ki", covs))
    factors = [
        np.exp(-0.5 * ((axis[:, None] - means[:, a]) / sd[:, a]) ** 2)
        / (sd[:, a] * math.sqrt(2 * math.pi))
        for a, axis in enumerate(grid.axes)
    ]
    if grid.dim == 1:
        return np.einsum("ak,k->a", factors[0], weights)
    return np.einsum("ak,bk,k->ab", factors[0], factors[1], weights)


def _covariance(cov: object, dim: int, name: str) -> np.ndarray:
    """Scalar -> cov * I, (d,) -> diagonal, (d, d) -> full; must be positive definite."""
    arr = validate.array(name, cov)
    if arr.ndim == 0:
        arr = arr * np.eye(dim)
    elif arr.ndim == 1 and arr.shape == (dim,):
        arr = np.diag(arr)
    if arr.shape != (dim, dim) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a scalar, a ({dim},) diagonal or a ({dim}, {dim}) matrix")
    if not np.allclose(arr, arr.T, rtol=1e-12, atol=0):
        raise ValueError(f"{name} must be symmetric, got {arr.tolist()}")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite, got {arr.tolist()}") from None
    return arr


@dataclass(frozen=True, eq=False)
class Gaussian:
    """N(mean, cov) on R^d: pdf(x) = exp(-(x-m)' C^{-1} (x-m) / 2) / sqrt((2 pi)^d det C)."""

    mean: np.ndarray
    cov: np.ndarray = field(default=1.0)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        mean = validate.vector("mean", self.mean)
        cov = _covariance(self.cov, mean.size, "cov")
        chol = np.linalg.cholesky(cov)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_chol", chol)
        object.__setattr__(self, "_whiten", np.linalg.inv(chol).T)
        log_norm = 0.5 * mean.size * math.log(2 * math.pi) + float(np.sum(np.log(np.diag(chol))))
        object.__setattr__(self, "_log_norm", log_norm)

    @property
    def dim(self) -> int:
        return self.mean.size

    def logpdf(self, x: object) -> np.ndarray:
        """log pdf at the rows of x."""
        pts = as_points(x, self.dim)
        z = transform_rows(pts - self.mean, self._whiten)
        return -0.5 * np.sum(z * z, axis=1) - self._log_norm

    def pdf(self, x: object) -> np.ndarray:
        """Density at the rows of x."""
        return np.exp(self.logpdf(x))

    def grid_pdf(self, grid: object) -> tuple[np.ndarray, float]:
        """(density at the grid's nodes, L1 error 0): per-axis factors when cov is diagonal
        (d <= 2), else ``pdf`` at every node."""
        values = _diagonal_grid_pdf(
            check_grid(grid), np.ones(1), self.mean[None, :], self.cov[None]
        )
        if values is None:
            values = self.pdf(grid.points()).reshape(grid.shape)
        return values, 0.0

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """mean + L z with L L' = cov and z standard normal; shape (size, d)."""
        z = check_rng(rng).standard_normal((check_size(size), self.dim))
        return self.mean + z @ self._chol.T

    def bounding_box(self, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        """mean_k +- z sd_k, with z chosen so the outside mass is at most ``tail``."""
        half = normal_box_z(tail, self.dim) * np.sqrt(np.diag(self.cov))
        return self.mean - half, self.mean + half

    def outside_mass(self, lo: object, hi: object) -> float:
        """Union bound on P(X not in [lo, hi]) from the marginals (exact when d = 1)."""
        lo_arr, hi_arr = check_box(lo, hi, self.dim)
        return _normal_outside(lo_arr, hi_arr, self.mean, np.sqrt(np.diag(self.cov)))

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance)."""
        return self.mean.copy(), self.cov.copy()

    @property
    def length_scale(self) -> float:
        """The smallest standard deviation, sqrt(min eigenvalue of cov)."""
        return float(np.sqrt(np.linalg.eigvalsh(self.cov)[0]))

    def parameters(self) -> dict[str, object]:
        return {"mean": self.mean.tolist(), "cov": self.cov.tolist()}


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """sum_k w_k N(mean_k, cov_k); ``covs`` is one covariance per component (scalar, diagonal or
    matrix each), or a single scalar shared by all; ``split`` is how ``sample`` assigns draws to
    components (``empirical.points.draw_labels``)."""

    weights: Sequence[float]
    means: Sequence[object]
    covs: object = 1.0
    split: str = "random"

    def __post_init__(self) -> None:
        weights = validate.array("weights", self.weights, low=0.0, ndim=1)
        if abs(weights.sum() - 1) > 1e-12:
            raise ValueError(f"weights must sum to 1, got sum {weights.sum()!r}")
        means = validate.array("means", self.means)
        if means.ndim == 1:
            means = means[:, None]
        if means.ndim != 2 or means.shape[0] != weights.size:
            raise ValueError(
                f"means must hold one point per weight ({weights.size}), got shape {means.shape}"
            )
        covs = self.covs
        if isinstance(covs, np.ndarray) and covs.ndim == 0:
            covs = covs.item()
        if isinstance(covs, numbers.Real) and not isinstance(covs, bool):
            covs = [validate.positive("covs", covs)] * weights.size
        if isinstance(covs, str | bytes) or not hasattr(covs, "__len__"):
            raise TypeError(f"covs must be a number or one covariance per weight, got {covs!r}")
        if len(covs) != weights.size:  # type: ignore[arg-type]
            raise ValueError(f"covs must hold one covariance per weight ({weights.size})")
        dim = means.shape[1]
        covs = [_covariance(c, dim, f"covs[{k}]") for k, c in enumerate(covs)]  # type: ignore[arg-type]
        parts = tuple(Gaussian(m, c) for m, c in zip(means, covs, strict=True))
        object.__setattr__(self, "split", check_split(self.split))
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covs", np.stack([p.cov for p in parts]))
        object.__setattr__(self, "components", parts)
        object.__setattr__(self, "_chols", np.stack([p._chol for p in parts]))

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def logpdf(self, x: object) -> np.ndarray:
        """log sum_k w_k N(x; mean_k, cov_k), by log-sum-exp."""
        pts = as_points(x, self.dim)
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights)[:, None]
            logs = np.stack([c.logpdf(pts) for c in self.components]) + log_w
        return logsumexp_rows(logs, axis=0)

    def pdf(self, x: object) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def grid_pdf(self, grid: object) -> tuple[np.ndarray, float]:
        """(density at the grid's nodes, L1 error 0): sum_k w_k (product of per-axis factors)
        when every cov_k is diagonal (d <= 2), else ``pdf`` at every node."""
        values = _diagonal_grid_pdf(check_grid(grid), self.weights, self.means, self.covs)
        if values is None:
            values = self.pdf(grid.points()).reshape(grid.shape)
        return values, 0.0

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Component labels by the ``split`` rule (i.i.d. with P(k) = w_k by default), then
        mean_k + L_k z."""
        rng = check_rng(rng)
        size = check_size(size)
        labels = draw_labels(size, self.weights, self.split, rng)
        z = rng.standard_normal((size, self.dim))
        return self.means[labels] + np.einsum("nij,nj->ni", self._chols[labels], z)

    def bounding_box(self, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        """The union of the components' boxes of outside mass ``tail`` (so the mixture's is too)."""
        boxes = [c.bounding_box(tail) for c in self.components]
        return np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)

    def outside_mass(self, lo: object, hi: object) -> float:
        """sum_k w_k (component k's union bound)."""
        parts = zip(self.weights, self.components, strict=True)
        return float(sum(w * c.outside_mass(lo, hi) for w, c in parts))

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """mean = sum_k w_k m_k, cov = sum_k w_k (C_k + m_k m_k') - mean mean'."""
        mean = self.weights @ self.means
        second = np.einsum("k,kij->ij", self.weights, self.covs)
        second += np.einsum("k,ki,kj->ij", self.weights, self.means, self.means)
        return mean, second - np.outer(mean, mean)

    @property
    def length_scale(self) -> float:
        """The smallest component standard deviation."""
        return min(c.length_scale for c in self.components)

    def parameters(self) -> dict[str, object]:
        return {
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covs": self.covs.tolist(),
            "split": self.split,
        }


@dataclass(frozen=True, eq=False)
class Blobs:
    """scikit-learn's ``make_blobs`` law: (1/k) sum_k N(c_k, sd^2 I).

    ``centers`` is a list of k points, or a count k: then c_k ~ Uniform([low, high]^dim), drawn
    by ``numpy.random.default_rng(seed).uniform(low, high, (k, dim))`` (``dim`` defaults to 2).
    ``parameters()`` records the centres themselves, so rebuilding needs no random draw.
    """

    centers: int | Sequence[Sequence[float]] = 3
    dim: int | None = None
    low: float = -10.0
    high: float = 10.0
    sd: float = 1.0
    seed: int = 0
    split: str = "random"

    def __post_init__(self) -> None:
        sd = validate.real("sd", self.sd, _MIN_SD, _MAX_SD)  # sd^2 stays a positive float
        if isinstance(self.centers, int | np.integer) and not isinstance(self.centers, bool):
            k = validate.size("centers", self.centers)
            dim = 2 if self.dim is None else validate.size("dim", self.dim, maximum=_MAX_DIM)
            low, high = validate.real("low", self.low), validate.real("high", self.high)
            if not low < high:
                raise ValueError(f"low must be < high, got low={low}, high={high}")
            seed = validate.whole("seed", self.seed, minimum=0)
            if k * dim * dim > validate.MAX_SIZE:  # the k covariances hold k dim^2 numbers
                raise ValueError(
                    f"centers * dim^2 must be <= {validate.MAX_SIZE}, got centers {k}, dim {dim}"
                )
            centres = np.random.default_rng(seed).uniform(low, high, (k, dim))
        else:
            centres = validate.array("centers", self.centers, ndim=2)
            if self.dim is not None and self.dim != centres.shape[1]:
                raise ValueError(f"dim must be None or {centres.shape[1]}, got {self.dim!r}")
        k = centres.shape[0]
        mixture = GaussianMixture([1.0 / k] * k, centres, sd**2, self.split)
        object.__setattr__(self, "centers", centres)
        object.__setattr__(self, "dim", centres.shape[1])
        object.__setattr__(self, "sd", sd)
        object.__setattr__(self, "split", mixture.split)
        object.__setattr__(self, "mixture", mixture)

    def logpdf(self, x: object) -> np.ndarray:
        return self.mixture.logpdf(x)

    def pdf(self, x: object) -> np.ndarray:
        return self.mixture.pdf(x)

    def grid_pdf(self, grid: object) -> tuple[np.ndarray, float]:
        return self.mixture.grid_pdf(grid)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """As ``GaussianMixture.sample`` (``split="even"``: make_blobs's counts, shuffled)."""
        return self.mixture.sample(size, rng)

    def bounding_box(self, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        return self.mixture.bounding_box(tail)

    def outside_mass(self, lo: object, hi: object) -> float:
        return self.mixture.outside_mass(lo, hi)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mixture.moments()

    @property
    def length_scale(self) -> float:
        return self.sd

    def parameters(self) -> dict[str, object]:
        return {"centers": self.centers.tolist(), "sd": self.sd, "split": self.split}


TRUTHS: dict[str, type] = {
    "gaussian": Gaussian,
    "mixture": GaussianMixture,
    "blobs": Blobs,
    "bump": Bump,
    "moons": Moons,
    "circles": Circles,
}

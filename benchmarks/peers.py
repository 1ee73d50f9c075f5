"""Peer kernel density estimators wrapped as loop models, so the peers run in the project's own
loop (``empirical.loop.run_loop``) and do its work: fit, density on the run's grid, sample.

Every wrapper is the Gaussian kernel with the fixed bandwidth h in d = 1 (kernel variance h^2):

- ``ScipyKDE``: ``scipy.stats.gaussian_kde`` with factor h / sd(X), so its covariance
  factor^2 var(X) is h^2; density by its exact sum, sampling by ``resample``;
- ``SklearnKDE``: ``sklearn.neighbors.KernelDensity`` (tree, exact at its default tolerances);
  density exp(``score_samples``), sampling by ``sample``;
- ``KDEpyFFT``: ``KDEpy.FFTKDE`` (linear binning and FFT) on the grid's nodes; it has no sampler,
  so sampling is X_I + h Z written in numpy. FFTKDE cuts the kernel at a finite support, which
  loses some mass; its L1 error on a grid of spacing D is reported as the a priori bound of
  linear binning, D^2 phi(1) / (2 h^2) (``empirical.kde``), plus the mass missing from the grid
  (1 - outside mass - the trapezoid integral, when positive). Its outside mass is the exact
  Gaussian tail mass of the untruncated estimator.

A peer's package is imported when its wrapper is built, so a missing package costs nothing.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from empirical.tv import Grid, integrate

_PHI_1 = math.exp(-0.5) / math.sqrt(2 * math.pi)


def _one_dimensional(X: object) -> np.ndarray:
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    if X.shape[1] != 1:
        raise ValueError(f"the peer wrappers are for d = 1, got data of dimension {X.shape[1]}")
    return X


class _Peer:
    dim = 1

    def __init__(self, bandwidth: float) -> None:
        self.bandwidth = float(bandwidth)

    def get_params(self) -> dict[str, object]:
        return {"bandwidth": self.bandwidth, "library": type(self).__name__}


class ScipyKDE(_Peer):
    def fit(self, X: object, rng: np.random.Generator | None = None) -> ScipyKDE:
        from scipy.stats import gaussian_kde

        X = _one_dimensional(X)
        self.kde = gaussian_kde(X.T, bw_method=self.bandwidth / X[:, 0].std(ddof=1))
        return self

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return self.kde(np.asarray(x, dtype=float).reshape(-1, 1).T)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        return self.kde.resample(size, seed=rng).T


class SklearnKDE(_Peer):
    def fit(self, X: object, rng: np.random.Generator | None = None) -> SklearnKDE:
        from sklearn.neighbors import KernelDensity

        self.kde = KernelDensity(bandwidth=self.bandwidth).fit(_one_dimensional(X))
        return self

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.kde.score_samples(np.asarray(x, dtype=float).reshape(-1, 1)))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        return self.kde.sample(size, random_state=int(rng.integers(2**31)))


class KDEpyFFT(_Peer):
    def fit(self, X: object, rng: np.random.Generator | None = None) -> KDEpyFFT:
        import KDEpy  # noqa: F401  (fail at fit, not at the first density, when it is missing)

        self.data_ = _one_dimensional(X)
        return self

    def grid_pdf(self, grid: Grid) -> tuple[np.ndarray, float]:
        """FFTKDE on the grid's nodes (FFT round-off below 0 clipped), a priori L1 error."""
        from KDEpy import FFTKDE

        nodes = grid.axes[0]
        values = FFTKDE(kernel="gaussian", bw=self.bandwidth).fit(self.data_[:, 0]).evaluate(nodes)
        values = np.maximum(values, 0.0)
        binning = float(grid.spacing[0]) ** 2 * _PHI_1 / (2 * self.bandwidth**2)
        lost = 1.0 - self.outside_mass(grid.lo[0], grid.hi[0]) - integrate(values, grid)
        return values, binning + max(lost, 0.0)

    def outside_mass(self, lo: object, hi: object) -> float:
        """(1/N) sum_i [Phi((lo - X_i)/h) + Phi((X_i - hi)/h)], exact for the Gaussian kernel."""
        x = self.data_[:, 0]
        lo, hi = float(np.ravel(lo)[0]), float(np.ravel(hi)[0])
        tails = special.ndtr((lo - x) / self.bandwidth) + special.ndtr((x - hi) / self.bandwidth)
        return float(np.mean(tails))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        idx = rng.integers(0, len(self.data_), size=size)
        return self.data_[idx] + self.bandwidth * rng.standard_normal((size, 1))

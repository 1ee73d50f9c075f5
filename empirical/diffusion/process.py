"""The forward Ornstein-Uhlenbeck process, its prior, the sampler's time grid and exact scores.

Forward process dx = -x dt + sqrt(2) dW, so x_t | x_0 ~ N(e^{-t} x_0, sigma_t^2 I) with
sigma_t^2 = 1 - e^{-2t}; its stationary law, the prior, is N(0, I).
"""

from __future__ import annotations

import numpy as np

from bounds import validate


def mean_factor(t: np.ndarray | float) -> np.ndarray:
    """e^{-t}: the forward process shrinks x_0 by this factor at time t."""
    return np.exp(-np.asarray(t, dtype=float))


def noise_variance(t: np.ndarray | float) -> np.ndarray:
    """sigma_t^2 = 1 - e^{-2t}: the variance the forward process has added by time t."""
    return -np.expm1(-2.0 * np.asarray(t, dtype=float))


def prior_logpdf(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) for the rows of ``z`` (shape (k, d))."""
    z = np.asarray(z, dtype=float)
    return -0.5 * np.sum(z * z, axis=1) - 0.5 * z.shape[1] * np.log(2.0 * np.pi)


MAX_STEPS = 10**6  # Euler steps of a sampler: a million is far past any useful accuracy


def time_grid(T: float, t0: float, steps: int) -> np.ndarray:
    """The sampler's decreasing times t_0 = T > t_1 > ... > t_steps = t0, equally spaced."""
    T = validate.positive("T", T)
    t0 = validate.positive("t0", t0)
    steps = validate.size("steps", steps, maximum=MAX_STEPS)
    if not t0 < T:
        raise ValueError(f"t0 must be < T, got t0={t0!r} and T={T!r}")
    return np.linspace(T, t0, steps + 1)


class GaussianScore:
    """The exact score of the forward marginals of the truth N(mu, Sigma).

    p_t = N(e^{-t} mu, Sigma_t) with Sigma_t = e^{-2t} Sigma + sigma_t^2 I, so
    grad log p_t(x) = -Sigma_t^{-1} (x - e^{-t} mu): affine in x, with no kinks.
    """

    def __init__(self, mean: np.ndarray, cov: np.ndarray) -> None:
        self.mean = validate.vector("mean", mean)
        self.cov = np.atleast_2d(validate.array("cov", cov))
        if self.cov.shape != (self.dim, self.dim):
            raise ValueError(f"cov must have shape ({self.dim}, {self.dim}), got {self.cov.shape}")
        if not np.allclose(self.cov, self.cov.T) or np.any(np.linalg.eigvalsh(self.cov) <= 0):
            raise ValueError(f"cov must be symmetric positive definite, got {self.cov.tolist()}")

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def _precision(self, t: float) -> np.ndarray:
        cov_t = mean_factor(t) ** 2 * self.cov + noise_variance(t) * np.eye(self.dim)
        return np.linalg.inv(cov_t)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """grad log p_t at the rows of ``x``."""
        return -(x - mean_factor(t) * self.mean) @ self._precision(t)

    def jacobian(self, x: np.ndarray, t: float) -> np.ndarray:
        """-Sigma_t^{-1} at every row of ``x``, shape (k, d, d)."""
        return np.broadcast_to(-self._precision(t), (len(x), self.dim, self.dim))

    def pieces(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """d = 1: no kinks; one affine piece s(x) = slope * x + intercept."""
        slope = -self._precision(t)[0, 0]
        return np.empty(0), np.array([slope]), np.array([-slope * mean_factor(t) * self.mean[0]])

    def pieces_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``pieces`` at every time of ``times``: shapes (S, 0), (S, 1), (S, 1)."""
        stacked = [self.pieces(t) for t in np.atleast_1d(np.asarray(times, dtype=float))]
        return tuple(np.stack(part) for part in zip(*stacked, strict=True))


class MixtureScore:
    """The exact score of the forward marginals of sum_k w_k N(mu_k, Sigma_k).

    p_t = sum_k w_k N(e^{-t} mu_k, Sigma_k,t), Sigma_k,t = e^{-2t} Sigma_k + sigma_t^2 I, so
    grad log p_t(x) = sum_k r_k(x) (-Sigma_k,t^{-1} (x - e^{-t} mu_k)), r_k the posterior
    responsibilities. ``affine(loc, scale)`` gives the score of the law of (x - loc) / scale.
    """

    def __init__(self, weights: np.ndarray, means: np.ndarray, covs: np.ndarray) -> None:
        self.weights = validate.array("weights", weights, low=0.0, ndim=1)
        if abs(self.weights.sum() - 1) > 1e-12:
            raise ValueError(f"weights must sum to 1, got sum {self.weights.sum()!r}")
        self.means = np.atleast_2d(validate.array("means", means))
        if self.means.ndim != 2 or len(self.means) != len(self.weights):
            raise ValueError(f"means must hold one point per weight, got {self.means.shape}")
        covs = validate.array("covs", covs)
        shape = (len(self.weights), self.dim, self.dim)
        if covs.size != np.prod(shape):
            raise ValueError(
                f"covs must hold {shape[0]} matrices {shape[1:]} (one per weight, of the means' "
                f"dimension {self.dim}), got {covs.shape}"
            )
        self.covs = covs.reshape(shape)
        for k, cov in enumerate(self.covs):
            if not np.allclose(cov, cov.T) or np.any(np.linalg.eigvalsh(cov) <= 0):
                raise ValueError(
                    f"covs[{k}] must be symmetric positive definite, got {cov.tolist()}"
                )
        self.parts = [GaussianScore(m, c) for m, c in zip(self.means, self.covs, strict=True)]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def affine(self, loc: np.ndarray, scale: np.ndarray) -> MixtureScore:
        """The mixture of (x - loc) / scale (``scale`` per coordinate)."""
        loc, scale = np.asarray(loc, dtype=float), np.asarray(scale, dtype=float)
        covs = self.covs / np.outer(scale, scale)[None]
        return MixtureScore(self.weights, (self.means - loc) / scale, covs)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """grad log p_t at the rows of ``x`` (shape (k, d))."""
        logs, grads = [], []
        a, v = mean_factor(t), noise_variance(t)
        for w, part in zip(self.weights, self.parts, strict=True):
            cov_t = a * a * part.cov + v * np.eye(self.dim)
            diff = x - a * part.mean
            prec = np.linalg.inv(cov_t)
            quad = np.einsum("ki,ij,kj->k", diff, prec, diff)
            logs.append(np.log(w) - 0.5 * quad - 0.5 * np.linalg.slogdet(cov_t)[1])
            grads.append(-diff @ prec)
        logs = np.array(logs)
        r = np.exp(logs - logs.max(axis=0))
        r /= r.sum(axis=0)
        return np.einsum("ck,ckd->kd", r, np.array(grads))

"""Random ReLU features of (x, t) and the score they span.

The score model is s_A(x, t) = (1/M) A relu(W x + U e(t)) with W (M x d) and U (M x 3) drawn
once and frozen, and the bounded time embedding e(t) = (1, e^{-t}, sigma_t) in [0, 1]^3
(sigma_t = sqrt(1 - e^{-2t})): a bias, the forward process's shrink factor and its noise level,
so both regimes of the true score (large t, where e^{-t} matters, and small t, where sigma_t
moves fastest) are resolved. Only A (d x M) is trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bounds import validate
from empirical.diffusion.process import mean_factor, noise_variance

EMBEDDING_DIM = 3


def time_embedding(t: np.ndarray | float) -> np.ndarray:
    """e(t) = (1, e^{-t}, sigma_t) for each t, shape (k, 3); every entry lies in [0, 1]."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    return np.stack([np.ones_like(t), mean_factor(t), np.sqrt(noise_variance(t))], axis=1)


@dataclass(frozen=True, eq=False)
class RandomFeatures:
    """Frozen first layer: W (M x d) and U (M x 3), with W ~ N(0, I) and U ~ N(0, scale^2 I)."""

    W: np.ndarray
    U: np.ndarray

    @classmethod
    def draw(
        cls, width: int, dim: int, rng: np.random.Generator, bias_scale: float = 1.0
    ) -> RandomFeatures:
        """Draw W and U for M = ``width`` features in dimension ``dim``."""
        width = validate.whole("width", width, minimum=1)
        dim = validate.whole("dim", dim, minimum=1)
        bias_scale = validate.positive("bias_scale", bias_scale)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {validate.shown(rng)}")
        if width * (dim + EMBEDDING_DIM) > validate.MAX_SIZE:
            raise ValueError(f"width * (dim + {EMBEDDING_DIM}) must be <= {validate.MAX_SIZE:g}")
        W = rng.standard_normal((width, dim))
        U = bias_scale * rng.standard_normal((width, EMBEDDING_DIM))
        return cls(W, U)

    @property
    def width(self) -> int:
        return self.W.shape[0]

    @property
    def dim(self) -> int:
        return self.W.shape[1]

    def biases(self, t: float) -> np.ndarray:
        """U e(t), shape (M,): each feature's offset at the single time t."""
        return self.U @ time_embedding(t)[0]

    def preactivations(self, x: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """W x + U e(t) for the rows of ``x`` (shape (k, d)), with one t or one t per row."""
        return x @ self.W.T + time_embedding(t) @ self.U.T

    def __call__(self, x: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """phi(x, t) = relu(W x + U e(t)), shape (k, M)."""
        return np.maximum(self.preactivations(x, t), 0.0)

    def weighted(self, x: np.ndarray, t: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """weight_p phi(x_p, t_p) for weights > 0, shape (k, M): as relu is positively
        homogeneous, relu([weight x, weight e(t)] [W, U]^T), one matrix product and one relu."""
        basis = np.concatenate([x, time_embedding(t)], axis=1) * weight[:, None]
        out = basis @ np.concatenate([self.W, self.U], axis=1).T
        return np.maximum(out, 0.0, out=out)


class RandomFeatureScore:
    """s(x, t) = C relu(W x + U e(t)), C = A / M the (d x M) readout; ds/dx = C diag(1[.>0]) W."""

    def __init__(self, features: RandomFeatures, readout: np.ndarray) -> None:
        readout = np.asarray(readout, dtype=float)
        if readout.shape != (features.dim, features.width):
            raise ValueError(
                f"readout must have shape ({features.dim}, {features.width}), got {readout.shape}"
            )
        self.features = features
        self.readout = readout

    @property
    def dim(self) -> int:
        return self.features.dim

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """s(x, t) at the rows of ``x``, shape (k, d)."""
        return self.features(x, t) @ self.readout.T

    def jacobian(self, x: np.ndarray, t: float) -> np.ndarray:
        """ds/dx at the rows of ``x``: C diag(1[W x + U e(t) > 0]) W, shape (k, d, d)."""
        active = (self.features.preactivations(x, t) > 0).astype(float)
        return np.einsum("im,km,mj->kij", self.readout, active, self.features.W)

    def pieces(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """d = 1: the sorted kinks c_1 < ... < c_K of x -> s(x, t) and its affine pieces
        (``pieces_at`` at the single time t)."""
        kinks, slopes, intercepts = self.pieces_at(np.array([t], dtype=float))
        return kinks[0], slopes[0], intercepts[0]

    def pieces_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """d = 1: ``pieces`` at every time of ``times`` at once, as arrays of shape (S, K),
        (S, K + 1), (S, K + 1) for S times and K features with w_m != 0.

        Feature m is w_m x + b_m on the side of its kink -b_m / w_m where it is positive, so the
        slope and intercept on each interval between consecutive kinks are cumulative sums of
        +-C_m w_m and +-C_m b_m, starting from those of the features active at x -> -inf.
        """
        if self.dim != 1:
            raise ValueError(f"pieces needs dimension 1, this score has dimension {self.dim}")
        times = np.atleast_1d(np.asarray(times, dtype=float))
        w = self.features.W[:, 0]
        e, U = time_embedding(times), self.features.U
        # (S, M) biases, term by term so that every time gets the same roundings at any S
        b = e[:, :1] * U[:, 0] + e[:, 1:2] * U[:, 1] + e[:, 2:] * U[:, 2]
        c = self.readout[0]
        moving = w != 0
        left_active = np.where(moving, w < 0, b > 0)
        slope0 = np.sum(c * w * left_active, axis=1)
        intercept0 = np.sum(c * b * left_active, axis=1)
        kinks = -b[:, moving] / w[moving]
        order = np.argsort(kinks, axis=1)
        signed = (np.sign(w[moving]) * c[moving])[order]
        dslope = signed * w[moving][order]
        dintercept = signed * np.take_along_axis(b[:, moving], order, axis=1)
        first = np.zeros((len(times), 1))
        slopes = slope0[:, None] + np.concatenate([first, np.cumsum(dslope, axis=1)], axis=1)
        intercepts = intercept0[:, None] + np.concatenate(
            [first, np.cumsum(dintercept, axis=1)], axis=1
        )
        return np.take_along_axis(kinks, order, axis=1), slopes, intercepts

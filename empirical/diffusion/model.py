"""``DiffusionModel``: the random-feature diffusion of Li et al. (2023) as a loop ``Model``."""

from __future__ import annotations

import numpy as np

from bounds import validate
from bounds.stopping import tau_star
from empirical.diffusion.density import Pushforward1D, PushforwardNewton, SDEGridDensity1D
from empirical.diffusion.features import RandomFeatures, RandomFeatureScore
from empirical.diffusion.process import time_grid
from empirical.diffusion.sampling import (
    ode_flow,
    ode_flow_by_pieces,
    sde_sample_by_pieces,
)
from empirical.diffusion.training import assemble, check_tau, gradient_flow

SAMPLERS = ("ode", "sde")


class DiffusionModel:
    """OU diffusion on [0, T] with score (1/M) A relu(W x + U e(t)), A trained in closed form.

    Hyper-parameters: ``width`` M; horizon ``T`` and smallest time ``t0`` (both of training and
    of sampling); ``steps`` Euler steps of the ``sampler`` ("ode": probability flow, "sde":
    reverse SDE); training time ``tau`` (a number >= 0, ``math.inf`` for least squares, or
    "optimal" for Theorem 1's tau*(N, M) from ``bounds.stopping.tau_star`` at the training-set
    size N; all in the kernel-time convention of ``empirical.diffusion.training``); ``draws``
    (t, z) pairs per data point; ``bias_scale`` the standard deviation of U; ``feature_seed``
    fixes W and U (else they are drawn from the ``rng`` given to ``fit``).

    Learned state: ``features_``, ``A_``, ``score_``, ``tau_``, ``train_loss_``, ``n_train_``.
    The density is the sampler's exact output density (``empirical.diffusion.density``), built on
    first use and kept in ``density_``.
    """

    def __init__(
        self,
        width: int = 256,
        T: float = 5.0,
        t0: float = 1e-3,
        steps: int = 200,
        sampler: str = "ode",
        tau: float = 1e4,
        draws: int = 8,
        bias_scale: float = 2.0,
        feature_seed: int | None = None,
    ) -> None:
        self.width = validate.whole("width", width, minimum=1)
        self.grid = time_grid(T, t0, steps)
        self.T, self.t0, self.steps = float(T), float(t0), int(steps)
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        self.sampler = sampler
        self.tau = tau if isinstance(tau, str) and tau == "optimal" else check_tau(tau)
        self.draws = validate.whole("draws", draws, minimum=1)
        self.bias_scale = validate.positive("bias_scale", bias_scale)
        if feature_seed is not None:
            feature_seed = validate.whole("feature_seed", feature_seed)
        self.feature_seed = feature_seed
        self._dim: int | None = None
        self.density_ = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            raise RuntimeError("DiffusionModel has no dimension before fit")
        return self._dim

    def fit(self, X: np.ndarray, rng: np.random.Generator) -> DiffusionModel:
        """Draw the features, assemble the DSM normal equations on ``X`` and flow A to tau."""
        X = _check_points("X", X)
        if self.sampler == "sde" and X.shape[1] != 1:
            raise ValueError(
                f"sampler='sde' computes its output density in dimension 1 only, got X of "
                f"dimension {X.shape[1]}; use sampler='ode'"
            )
        feature_rng = rng if self.feature_seed is None else np.random.default_rng(self.feature_seed)
        self.features_ = RandomFeatures.draw(self.width, X.shape[1], feature_rng, self.bias_scale)
        eqs = assemble(self.features_, X, self.draws, self.t0, self.T, rng)
        self.tau_ = float(tau_star(len(X), self.width)) if self.tau == "optimal" else self.tau
        self.A_ = gradient_flow(eqs, self.tau_)
        self.train_loss_ = eqs.loss(self.A_)
        self.n_train_ = len(X)
        self.score_ = RandomFeatureScore(self.features_, self.A_ / self.width)
        self._dim = X.shape[1]
        self.density_ = None
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "score_"):
            raise RuntimeError("DiffusionModel must be fitted before use: call fit(X, rng)")

    def _density(self):
        if self.density_ is None:
            if self.sampler == "sde":
                self.density_ = SDEGridDensity1D(self.score_, self.grid)
            elif self.dim == 1:
                self.density_ = Pushforward1D(self.score_, self.grid)
            else:
                self.density_ = PushforwardNewton(self.score_, self.grid)
        return self.density_

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """The sampler's output density at the rows of ``x`` (shape (k, d)), computed exactly."""
        self._fitted()
        x = _check_points("x", x, self.dim, allow_empty=True)
        density = self._density()
        return density.pdf(x[:, 0] if self.dim == 1 else x)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` draws of the sampler, started from the prior N(0, I) (in d = 1 stepped
        piece by piece, the same Euler steps as ``ode_flow``/``sde_sample`` up to rounding)."""
        self._fitted()
        size = validate.whole("size", size)
        z = rng.standard_normal((size, self.dim))
        if self.sampler == "ode":
            flow = ode_flow_by_pieces if self.dim == 1 else ode_flow
            return flow(self.score_, z, self.grid)
        return sde_sample_by_pieces(self.score_, z, self.grid, rng)

    def get_params(self) -> dict[str, object]:
        """The hyper-parameters, as passed to ``__init__``."""
        return {
            "width": self.width,
            "T": self.T,
            "t0": self.t0,
            "steps": self.steps,
            "sampler": self.sampler,
            "tau": self.tau,
            "draws": self.draws,
            "bias_scale": self.bias_scale,
            "feature_seed": self.feature_seed,
        }

    @property
    def outside_mass(self):
        """d = 1 only: ``outside_mass(lo, hi)``, the exact output mass outside [lo, hi] (plus the
        prior mass the density leaves out). In d > 1 the attribute does not exist (AttributeError),
        so callers fall back to integrating the density."""
        if getattr(self, "_dim", None) != 1 or not hasattr(self, "score_"):
            raise AttributeError("outside_mass exists for fitted one-dimensional models only")
        density = self._density()

        def outside_mass(lo: np.ndarray, hi: np.ndarray) -> float:
            return density.outside_mass(float(np.ravel(lo)[0]), float(np.ravel(hi)[0]))

        return outside_mass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"DiffusionModel({args})"


def _check_points(name: str, x: object, dim: int | None = None, allow_empty: bool = False):
    """Return ``x`` as a finite float array of shape (k, d) (d = ``dim`` when given)."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim):
        want = f"(k, {dim})" if dim is not None else "(k, d)"
        raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    if (len(arr) == 0 and not allow_empty) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty array of finite numbers, got {arr.shape}")
    return arr

"""``DiffusionModel``: the random-feature diffusion of Li et al. (2023) as a loop ``Model``."""

from __future__ import annotations

from collections.abc import Sequence

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
from empirical.diffusion.training import (
    TARGETS,
    assemble,
    check_tau,
    flow_from_spectrum,
    kernel_spectrum,
)

SAMPLERS = ("ode", "sde")
TAU_RULES = ("theorem1",)
HYPER_PARAMETERS = (
    "width",
    "T",
    "t0",
    "steps",
    "sampler",
    "tau",
    "draws",
    "bias_scale",
    "feature_seed",
    "whiten",
    "target",
)


class DiffusionModel:
    """OU diffusion on [0, T] with score (1/M) A relu(W u + U e(t)), A trained in closed form.

    Hyper-parameters: ``width`` M; horizon ``T`` and smallest time ``t0`` (both of training and
    of sampling); ``steps`` Euler steps of the ``sampler`` ("sde": reverse SDE, "ode":
    probability flow); training time ``tau`` (a number >= 0, ``math.inf`` for least squares, or
    "theorem1" for Li et al.'s tau*(N, M) from ``bounds.stopping.tau_star`` at the training-set
    size N, which is not a good stopping time for this model, see docs/diffusion.md; all in the
    kernel-time convention of ``empirical.diffusion.training``); ``draws`` (t, z) pairs per data
    point; ``bias_scale`` the standard deviation of U; ``feature_seed`` fixes W and U (else they
    are drawn from the ``rng`` given to ``fit``); ``whiten``: train on u = (x - mean) / sd of
    the training set (per coordinate) and map the output back, so the features see data of unit
    scale whatever the truth's (TV is invariant under the affine map); ``target``: the
    regression target of ``training.assemble`` ("empirical": E[-z | x_t] under the training set,
    "noise": -z).

    Learned state: ``features_``, ``A_``, ``score_`` (in whitened coordinates), ``loc_``,
    ``scale_``, ``tau_``, ``train_loss_``, ``n_train_``. After ``fit`` the hyper-parameters are
    frozen (setting one raises: build a new model), and ``get_params()["tau"]`` is the training
    time actually used, a number. The density is the sampler's exact output density
    (``empirical.diffusion.density``), built on first use and kept in ``density_``.
    """

    def __init__(
        self,
        width: int = 512,
        T: float = 5.0,
        t0: float = 1e-3,
        steps: int = 400,
        sampler: str = "sde",
        tau: float | str = 1e8,
        draws: int = 8,
        bias_scale: float = 1.0,
        feature_seed: int | None = None,
        whiten: bool = False,
        target: str = "empirical",
    ) -> None:
        self.width = validate.whole("width", width, minimum=1)
        self.grid = time_grid(T, t0, steps)
        self.T, self.t0, self.steps = float(T), float(t0), int(steps)
        self.sampler = validate.choice("sampler", sampler, SAMPLERS)
        if isinstance(tau, str):
            if tau not in TAU_RULES:
                raise ValueError(
                    f"tau must be a number >= 0, math.inf or one of {TAU_RULES}, got {tau!r}"
                    " (Theorem 1's tau* is 'theorem1'; measure the best tau, see"
                    " empirical.diffusion.study)"
                )
            self.tau = tau
        else:
            self.tau = check_tau(tau)
        self.draws = validate.whole("draws", draws, minimum=1)
        self.bias_scale = validate.positive("bias_scale", bias_scale)
        if feature_seed is not None:
            feature_seed = validate.whole("feature_seed", feature_seed)
        self.feature_seed = feature_seed
        if not isinstance(whiten, bool | np.bool_):
            raise TypeError(f"whiten must be True or False, got {whiten!r}")
        self.whiten = bool(whiten)
        self.target = validate.choice("target", target, TARGETS)
        self._dim: int | None = None
        self.density_ = None

    def __setattr__(self, name: str, value: object) -> None:
        if name in HYPER_PARAMETERS and "A_" in self.__dict__:
            raise AttributeError(
                f"{name} cannot change after fit (the learned state would describe the old"
                f" value); build a new DiffusionModel({name}={value!r}, ...)"
            )
        super().__setattr__(name, value)

    @property
    def dim(self) -> int:
        if self._dim is None:
            raise RuntimeError("DiffusionModel has no dimension before fit")
        return self._dim

    def fit(self, X: np.ndarray, rng: np.random.Generator) -> DiffusionModel:
        """Whiten ``X``, draw the features, assemble the DSM normal equations, flow A to tau."""
        if "A_" in self.__dict__:
            raise RuntimeError("DiffusionModel is already fitted: build a new one to refit")
        return fit_path(X, rng, [self.tau], **self._init_params())[0]._adopt_into(self)

    def _init_params(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in HYPER_PARAMETERS if name != "tau"}

    def _adopt_into(self, other: DiffusionModel) -> DiffusionModel:
        for name in LEARNED_STATE:
            object.__setattr__(other, name, self.__dict__[name])
        return other

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
        """The sampler's output density at the rows of ``x`` (shape (k, d)), computed exactly:
        p(x) = p_u((x - loc) / scale) / prod(scale), p_u the density in whitened coordinates."""
        self._fitted()
        x = _check_points("x", x, self.dim, allow_empty=True)
        u = (x - self.loc_) / self.scale_
        density = self._density()
        values = density.pdf(u[:, 0] if self.dim == 1 else u)
        return values / float(np.prod(self.scale_))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` draws of the sampler, started from the prior N(0, I) (in d = 1 stepped
        piece by piece, the same Euler steps as ``ode_flow``/``sde_sample`` up to rounding),
        mapped back from whitened coordinates."""
        self._fitted()
        size = validate.size("size", size, minimum=0)
        rng = _generator(rng)
        z = rng.standard_normal((size, self.dim))
        if self.sampler == "ode":
            flow = ode_flow_by_pieces if self.dim == 1 else ode_flow
            u = flow(self.score_, z, self.grid)
        else:
            u = sde_sample_by_pieces(self.score_, z, self.grid, rng)
        return self.loc_ + self.scale_ * u

    def get_params(self) -> dict[str, object]:
        """The hyper-parameters as passed to ``__init__``, except that after ``fit`` "tau" is the
        training time actually used (a number, also when a rule such as "theorem1" chose it)."""
        params = {name: getattr(self, name) for name in HYPER_PARAMETERS}
        if "tau_" in self.__dict__:
            params["tau"] = self.tau_
        return params

    @property
    def outside_mass(self):
        """d = 1 only: ``outside_mass(lo, hi)``, the exact output mass outside [lo, hi] (plus the
        prior mass the density leaves out). In d > 1 the attribute does not exist (AttributeError),
        so callers fall back to integrating the density."""
        if getattr(self, "_dim", None) != 1 or not hasattr(self, "score_"):
            raise AttributeError("outside_mass exists for fitted one-dimensional models only")
        density = self._density()
        loc, scale = float(self.loc_[0]), float(self.scale_[0])

        def outside_mass(lo: np.ndarray, hi: np.ndarray) -> float:
            lo_u = (float(np.ravel(lo)[0]) - loc) / scale
            hi_u = (float(np.ravel(hi)[0]) - loc) / scale
            return density.outside_mass(lo_u, hi_u)

        return outside_mass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"DiffusionModel({args})"


LEARNED_STATE = (
    "features_",
    "loc_",
    "scale_",
    "tau_",
    "train_loss_",
    "n_train_",
    "score_",
    "_dim",
    "density_",
    "A_",
)


def fit_path(
    X: np.ndarray, rng: np.random.Generator, taus: list, **params: object
) -> list[DiffusionModel]:
    """``DiffusionModel(tau=tau, **params).fit(X, rng)`` for every tau in ``taus``, sharing one
    assembly of the normal equations and one eigen-decomposition of H (the closed-form flow
    read at several times). Each model equals the one fitted alone with the same ``rng`` state."""
    if isinstance(taus, str | bytes) or not isinstance(taus, Sequence):
        raise TypeError(f"taus must be a list of training times, got {validate.shown(taus)}")
    rng = _generator(rng)
    models = [DiffusionModel(tau=tau, **params) for tau in taus]
    if not models:
        raise ValueError("taus must name at least one training time")
    first = models[0]
    X = _check_points("X", X)
    if first.sampler == "sde" and X.shape[1] != 1:
        raise ValueError(
            f"sampler='sde' computes its output density in dimension 1 only, got X of "
            f"dimension {X.shape[1]}; use sampler='ode'"
        )
    loc, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if first.whiten:
        loc, scale = X.mean(axis=0), X.std(axis=0)
        if np.any(scale <= 0):
            raise ValueError(f"X must vary in every coordinate to be whitened, sd {scale}")
    U = (X - loc) / scale
    seed = first.feature_seed
    feature_rng = rng if seed is None else np.random.default_rng(seed)
    features = RandomFeatures.draw(first.width, X.shape[1], feature_rng, first.bias_scale)
    eqs = assemble(features, U, first.draws, first.t0, first.T, rng, first.target)
    spectrum = kernel_spectrum(eqs)
    for model in models:
        tau = float(tau_star(len(X), model.width)) if model.tau == "theorem1" else model.tau
        A = flow_from_spectrum(eqs, spectrum, tau)
        state = {
            "features_": features,
            "loc_": loc,
            "scale_": scale,
            "tau_": tau,
            "train_loss_": eqs.loss(A),
            "n_train_": len(X),
            "score_": RandomFeatureScore(features, A / model.width),
            "_dim": X.shape[1],
            "density_": None,
            "A_": A,
        }
        for name in LEARNED_STATE:
            object.__setattr__(model, name, state[name])
    return models


def _check_points(name: str, x: object, dim: int | None = None, allow_empty: bool = False):
    """Return ``x`` as a finite float array of shape (k, d) (d = ``dim`` when given)."""
    return validate.points(name, x, dim, allow_empty=allow_empty)


def _generator(rng: object) -> np.random.Generator:
    """The model's randomness: a numpy Generator, never a seed or None (fit and sample draw
    from the caller's stream, so the loop's draws stay reproducible)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {validate.shown(rng)}")
    return rng

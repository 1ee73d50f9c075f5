"""Kernel density estimation in the loop, with every constant explicit (d = 1, Gaussian kernel).

Generation i fits p_i = K_h * P_{N_i}, the Gaussian-kernel KDE of bandwidth h on N_i points whose
law, given the past, is q_i = sum_j w_ij p_j. Splitting

    p_i - p_0 = (p_i - K_h*q_i) + (K_h*p_0 - p_0) + sum_{j>=1} w_ij K_h*(p_j - p_0)

and using ||K_h * f||_1 <= ||f||_1 gives, in TV = L1/2,

    E TV(p_i, p_0) <= (V_i + B)/2 + sum_{j>=1} w_ij E TV(p_j, p_0),

Theorem R with a learning error made explicit: the bias B = ||K_h*p_0 - p_0||_1 and the variance
V_i >= E ||p_i - K_h*q_i||_1. Pointwise Var p_i(x) <= (K_h^2 * q_i)(x)/N_i, so by Cauchy-Schwarz and
Jensen V_i <= N_i^(-1/2) int sqrt(K_h^2 * Q_i), Q_i = E q_i the population mixture. For the truth
p_0 = sum_c pi_c N(mu_c, s_c^2), Q_i is a mixture of N(mu_c, s_c^2 + k h^2), k = 0..i, and
K_h^2 = N(0, h^2/2)/(2 sqrt(pi) h), so K_h^2 * Q_i is again a Gaussian mixture; its root is
integrated by the trapezoid rule (spectrally accurate for Gaussians). For one Gaussian the integral
is (2 s^2 + h^2)^(1/4) / sqrt(h) exactly (``variance_l1_expr``).

The variance step needs only that each training point is drawn from its source given everything
drawn before it (stratified by source is fine: it only lowers the variance). Then the points'
errors K_h(x - X) - (K_h * p_k)(x) are orthogonal martingale differences, so the pointwise second
moment of p_i - K_h*q_i is a sum over points, also when a sample is reused by later generations
(a fixed real set, ``accumulate``'s kept synthetic sets; see docs/kde-bound.md). The tighter
quadrature bound lives in ``bounds.kde_martingale``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import ndtr

from bounds import validate
from bounds.scenarios import Scenario

s, h, N, sigma = sp.symbols("s h N sigma", positive=True)
MAX_GENERATIONS = 1000
"""The most generations ``kde_loop_bound`` computes: generation i integrates a mixture of i
variance levels, so the cost grows as G^2 (about 4 s at G = 1000)."""
SCALE_RANGE = (1e-100, 1e100)
"""Bandwidths and sds must lie in it, and means within +-1e100, so that their squares and the
variance levels s^2 + k h^2 stay well inside the float range."""
MAX_GRID_POINTS = 10**6
"""The most points of the quadrature grid (spacing min sd / 8 over the mixture +- 40 sd)."""


def bias_l1_expr() -> sp.Expr:
    """||N(0, s^2 + h^2) - N(0, s^2)||_1 = 4 (Phi(c/s) - Phi(c/sqrt(s^2+h^2))), exactly.

    The two densities cross at +-c, c^2 = s^2 (s^2+h^2) log(1 + h^2/s^2) / h^2; the narrower one is
    above inside, so the L1 distance is twice its excess mass there.
    """
    wide = sp.sqrt(s**2 + h**2)
    c = s * wide * sp.sqrt(sp.log(1 + h**2 / s**2)) / h
    phi = lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2  # noqa: E731
    return 4 * (phi(c / s) - phi(c / wide))


def bias_taylor_expr() -> sp.Expr:
    """(h^2/2) mu_2(K) ||p_0''||_1 for p_0 = N(0, s^2) and the Gaussian kernel (mu_2 = 1).

    ||p_0''||_1 = E|Z^2 - 1| / s^2 = 4 phi(1) / s^2, so the expansion is 2 phi(1) h^2 / s^2.
    """
    return 2 * sp.exp(-sp.Rational(1, 2)) / sp.sqrt(2 * sp.pi) * h**2 / s**2


def variance_l1_expr() -> sp.Expr:
    """N^(-1/2) int sqrt(K_h^2 * N(0, sigma^2)) = (2 sigma^2 + h^2)^(1/4) / sqrt(N h)."""
    return (2 * sigma**2 + h**2) ** sp.Rational(1, 4) / sp.sqrt(N * h)


def _bias_l1(sd: np.ndarray, bandwidth: float) -> np.ndarray:
    """Numeric ``bias_l1_expr`` (scipy's normal CDF)."""
    wide = np.sqrt(sd**2 + bandwidth**2)
    c = sd * wide * np.sqrt(np.log1p(bandwidth**2 / sd**2)) / bandwidth
    return 4 * (ndtr(c / sd) - ndtr(c / wide))


@dataclass(frozen=True)
class GaussianTruth:
    """p_0 = sum_c weights[c] N(means[c], sds[c]^2) on the real line."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]

    def __post_init__(self) -> None:
        low, high = SCALE_RANGE
        weights = validate.array("weights", self.weights, low=0.0, high=1.0, ndim=1)
        means = validate.array("means", self.means, low=-high, high=high, ndim=1)
        sds = validate.array("sds", self.sds, low=low, high=high, ndim=1)
        if not len(weights) == len(means) == len(sds):
            raise ValueError(
                "weights, means and sds must have one entry per component, got "
                f"{len(weights)}, {len(means)} and {len(sds)}"
            )
        if abs(weights.sum() - 1) > 1e-12:
            raise ValueError(f"weights must sum to 1, got {float(weights.sum())!r}")
        for name, values in (("weights", weights), ("means", means), ("sds", sds)):
            object.__setattr__(self, name, tuple(values.tolist()))

    @classmethod
    def normal(cls, mean: float = 0.0, sd: float = 1.0) -> GaussianTruth:
        return cls((1.0,), (mean,), (sd,))


@dataclass(frozen=True)
class KDELoopBound:
    """E TV(p_i, p_0) <= ``total[i-1]`` for a Gaussian KDE loop, with its parts per generation."""

    bias: float  # B = ||K_h*p_0 - p_0||_1
    variance: np.ndarray  # V_i, i = 1..G
    total: np.ndarray  # the bound on E TV(p_i, p_0), i = 1..G
    population: np.ndarray  # Q_i[k]: weight of variance level s^2 + k h^2 in E q_i

    def population_variance(self, truth: GaussianTruth, h_value: float) -> np.ndarray:
        """Var of E p_i = K_h * Q_i: the truth's variance plus (k+1) h^2 averaged over Q_i
        (``h_value`` the bandwidth, in ``SCALE_RANGE``)."""
        validate.instance("truth", truth, GaussianTruth)
        h_value = _bandwidth("h_value", h_value)
        mean = float(np.dot(truth.weights, truth.means))
        spread = float(np.dot(truth.weights, np.square(truth.sds) + np.square(truth.means)))
        levels = np.arange(self.population.shape[1]) + 1
        return spread - mean**2 + h_value**2 * (self.population @ levels)


VARIANCE_FORMS = ("second_moment", "variance")


def _bandwidth(name: str, value: object) -> float:
    return validate.real(name, value, *SCALE_RANGE)


def _mixture_pdf(x: np.ndarray, weights: np.ndarray, means: np.ndarray, variances: np.ndarray):
    z = (x[:, None] - means) / np.sqrt(variances)
    return np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi * variances) @ weights


def _root_integral(
    truth: GaussianTruth, levels: np.ndarray, h_value: float, form: str = "second_moment"
) -> float:
    """int sqrt(K_h^2 * Q) dx, or int sqrt(K_h^2 * Q - (K_h * Q)^2) dx for ``form="variance"``,
    for Q = sum_{c,k} pi_c levels[k] N(mu_c, s_c^2 + k h^2)."""
    k = np.nonzero(levels)[0]
    weights = np.outer(truth.weights, levels[k]).ravel()
    means = np.repeat(truth.means, len(k))
    base = (np.square(truth.sds)[:, None] + k * h_value**2).ravel()
    sds = np.sqrt(base + 0.5 * h_value**2)
    low, high, step = means.min() - 40 * sds.max(), means.max() + 40 * sds.max(), sds.min() / 8
    if (high - low) / step > MAX_GRID_POINTS:
        raise ValueError(
            f"the truth and the bandwidth span too many scales: the quadrature grid would hold "
            f"{(high - low) / step:.3g} points (at most {MAX_GRID_POINTS:g}); means spread over "
            f"[{means.min():g}, {means.max():g}] for a smallest sd of {sds.min():g}"
        )
    x = np.arange(low, high, step)
    # K_h^2 * Q = c_h * (mixture density), c_h = 1/(2 sqrt(pi) h): the factor sqrt(c_h) is taken
    # out of the root, so a tiny h gives a large finite value instead of inf * 0
    density = _mixture_pdf(x, weights, means, base + 0.5 * h_value**2)
    if form == "variance":
        square = _mixture_pdf(x, weights, means, base + h_value**2) ** 2
        density = np.maximum(density - 2 * np.sqrt(np.pi) * h_value * square, 0)
    return float(np.sqrt(density).sum() * (x[1] - x[0]) / np.sqrt(2 * np.sqrt(np.pi) * h_value))


def kde_loop_bound(
    scenario: Scenario,
    truth: GaussianTruth,
    bandwidth: float,
    generations: int,
    *,
    variance: str = "second_moment",
) -> KDELoopBound:
    """The explicit bound on E TV(p_i, p_0), i = 1..G, for the Gaussian KDE of ``bandwidth``.

    T_i = (B + V_i)/2 + sum_{j>=1} w_ij T_j, with B by convexity sum_c pi_c ||K_h*N_c - N_c||_1
    (each term exact, ``bias_l1_expr``) and V_i = N_i^(-1/2) int sqrt(K_h^2 * Q_i);
    ``variance="variance"`` uses the tighter V_i = N_i^(-1/2) int sqrt(K_h^2 * Q_i - (K_h * Q_i)^2)
    (Var instead of the second moment; still a bound by Jensen, see docs/kde-bound.md).
    ``bandwidth`` is in ``SCALE_RANGE`` and 1 <= G <= ``MAX_GENERATIONS``.
    """
    if variance not in VARIANCE_FORMS:
        raise ValueError(f"variance must be one of {VARIANCE_FORMS}, got {variance!r}")
    validate.instance("scenario", scenario, Scenario)
    validate.instance("truth", truth, GaussianTruth)
    h_value = _bandwidth("bandwidth", bandwidth)
    generations = validate.whole("generations", generations, 1, MAX_GENERATIONS)
    pi, sd = np.asarray(truth.weights), np.asarray(truth.sds)
    bias = float(pi @ _bias_l1(sd, h_value))
    mixture = np.zeros((generations, generations + 1))  # Q_i over variance levels k
    model = np.zeros((generations, generations + 1))  # E p_i = K_h * Q_i: levels shifted by one
    form, variance, total = variance, np.zeros(generations), np.zeros(generations)
    for g in range(1, generations + 1):
        w = np.asarray(scenario.weights(g))
        mixture[g - 1, 0] = w[0]
        mixture[g - 1] += w[1:] @ model[: g - 1]
        model[g - 1, 1:] = mixture[g - 1, :-1]
        root = _root_integral(truth, mixture[g - 1], h_value, form)
        variance[g - 1] = root / np.sqrt(scenario.size(g))
        total[g - 1] = (bias + variance[g - 1]) / 2 + w[1:] @ total[: g - 1]
    return KDELoopBound(bias, variance, total, mixture)

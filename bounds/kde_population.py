"""The population recursion of a Gaussian KDE loop: E p_i, its variance, and bandwidth rules.

Generation i fits the Gaussian-kernel KDE of bandwidth h_i on N_i points, ``counts(i)[j]`` of them
from source p_j (p_0 the truth). Whatever the dependence between generations, taking expectations
of p_i = K_{h_i} * P_{D_i} gives the *population recursion*

    A_0 = p_0,   A_i = E p_i = K_{h_i} * Q_i,   Q_i = sum_j w_ij A_j,   w_ij = counts(i)[j] / N_i,

with the weights the loop realises. Every A_i has the truth's mean (the kernel is symmetric), so
the mixture's variance is the weighted mean of its parts' and

    Var A_i = h_i^2 + sum_j w_ij Var A_j.

``accumulate_variance_expr`` solves it in closed form for ``accumulate`` with a fixed bandwidth;
``scott_bandwidths`` is the deterministic stand-in for Scott's rule that the predictions use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from bounds import validate
from bounds.kde import MAX_GENERATIONS, SCALE_RANGE, GaussianTruth, h, s
from bounds.scenarios import Scenario
from bounds.symbols import i, m, n

SCOTT_SCALES = ("population", "truth")


def realised_weights(scenario: Scenario, generation: int) -> np.ndarray:
    """(w_i0, ..., w_i,i-1) = counts(i) / N_i: the shares the loop draws from each source."""
    counts = np.asarray(
        validate.instance("scenario", scenario, Scenario).counts(generation), dtype=float
    )
    return counts / counts.sum()


def truth_variance(truth: GaussianTruth) -> float:
    """Var p_0 = sum_c pi_c (s_c^2 + mu_c^2) - (sum_c pi_c mu_c)^2."""
    pi, mu, sd = (
        np.asarray(v)
        for v in (validate.instance("truth", truth, GaussianTruth).weights, truth.means, truth.sds)
    )
    return float(pi @ (sd**2 + mu**2) - (pi @ mu) ** 2)


def check_inputs(scenario: object, truth: object, generations: object) -> int:
    """The generation count G, checked with the scenario and the truth: 1 <= G <=
    ``bounds.kde.MAX_GENERATIONS`` (and the scenario's horizon)."""
    validate.instance("scenario", scenario, Scenario)
    validate.instance("truth", truth, GaussianTruth)
    generations = validate.whole("generations", generations, 1, MAX_GENERATIONS)
    if scenario.horizon is not None and generations > scenario.horizon:
        raise ValueError(f"generations must be <= {scenario.horizon} here, got {generations}")
    return generations


def scott_bandwidths(
    scenario: Scenario, truth: GaussianTruth, generations: int, scale: str = "population"
) -> np.ndarray:
    """h_i = sigma_i N_i^(-1/5), Scott's rule in d = 1 with a deterministic scale sigma_i.

    The rule proper uses the training set's sample sd, a random number within O(N_i^(-1/2)) of
    its population value. ``scale="population"``: sigma_i^2 = Var Q_i = sum_j w_ij Var A_j,
    the population training mixture (tracks the loop's widening); ``"truth"``: sigma_i^2 = Var p_0.
    """
    generations = check_inputs(scenario, truth, generations)
    scale = validate.choice("scale", scale, SCOTT_SCALES)
    variances = [truth_variance(truth)]
    bandwidths = np.zeros(generations)
    for g in range(1, generations + 1):
        mixed = realised_weights(scenario, g) @ np.asarray(variances)
        sigma2 = mixed if scale == "population" else variances[0]
        bandwidths[g - 1] = np.sqrt(sigma2) * scenario.size(g) ** -0.2
        variances.append(mixed + bandwidths[g - 1] ** 2)
    return bandwidths


def bandwidth_sequence(
    scenario: Scenario, truth: GaussianTruth, bandwidth: object, generations: int
) -> np.ndarray:
    """h_1..h_G from a number (fixed), ``"scott"`` (``scott_bandwidths``) or a sequence of G."""
    generations = check_inputs(scenario, truth, generations)
    if isinstance(bandwidth, str):
        if bandwidth != "scott":
            raise ValueError(
                f"bandwidth must be a number > 0, 'scott' or G numbers, got {bandwidth!r}"
            )
        return scott_bandwidths(scenario, truth, generations)
    if isinstance(bandwidth, Sequence) or (isinstance(bandwidth, np.ndarray) and bandwidth.ndim):
        low, high = SCALE_RANGE
        values = validate.array("bandwidth", bandwidth, low=low, high=high, ndim=1)
        if len(values) != generations:
            raise ValueError(
                f"bandwidth must hold one value per generation ({generations}), got {len(values)}"
            )
        return values
    return np.full(generations, validate.real("bandwidth", bandwidth, *SCALE_RANGE))


def population_variances(
    scenario: Scenario, truth: GaussianTruth, bandwidth: object, generations: int
) -> np.ndarray:
    """Var A_i for i = 1..G by the recursion Var A_i = h_i^2 + sum_j w_ij Var A_j."""
    bandwidths = bandwidth_sequence(scenario, truth, bandwidth, generations)
    variances = [truth_variance(truth)]
    for g, h_g in enumerate(bandwidths, start=1):
        variances.append(h_g**2 + realised_weights(scenario, g) @ np.asarray(variances))
    return np.asarray(variances[1:])


def accumulate_variance_expr() -> sp.Expr:
    """Var A_i under ``accumulate(n, m)``, m > 0, fixed h, truth variance s^2, in closed form:

    s^2 + h^2 (1 + psi(n/m + i) - psi(n/m + 1)) = s^2 + h^2 (1 + sum_{k=1}^{i-1} 1/(n/m + k)),

    psi the digamma function; for n = m it is s^2 + h^2 H_i, H_i the harmonic number. It solves
    V_i = h^2 + (n s^2 + m sum_{j<i} V_j) / (n + (i-1) m), equivalently V_1 = s^2 + h^2 and
    V_{i+1} - V_i = h^2 / (n/m + i).
    """
    rho = n / m
    return s**2 + h**2 * (1 + sp.polygamma(0, rho + i) - sp.polygamma(0, rho + 1))


def accumulate_variances(
    n_real: int, m_synthetic: int, s2: float, h_value: float, generations: int
):
    """``accumulate_variance_expr`` evaluated at i = 1..G (m = 0 gives s^2 + h^2 throughout)."""
    n_real = validate.size("n", n_real)
    m_synthetic = validate.size("m", m_synthetic, minimum=0)
    s2 = validate.real("s2", s2, *SCALE_RANGE)
    h_value = validate.real("h", h_value, *SCALE_RANGE)
    generations = validate.whole("generations", generations, 1, MAX_GENERATIONS)
    increments = np.zeros(generations)
    if m_synthetic > 0:
        rho = n_real / m_synthetic
        increments[1:] = np.cumsum(1.0 / (rho + np.arange(1, generations)))
    return s2 + h_value**2 * (1 + increments)

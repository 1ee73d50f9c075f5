"""The samplers' output densities: exact, normalised, and equal to what the samplers draw."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr
from scipy.stats import norm

from empirical.diffusion import (
    DiffusionModel,
    GaussianScore,
    Pushforward1D,
    PushforwardNewton,
    RandomFeatureScore,
    SDEGridDensity1D,
    ode_flow,
    ode_flow_by_pieces,
    sde_sample,
    sde_sample_by_pieces,
    time_grid,
)
from empirical.diffusion.process import mean_factor, noise_variance

FAILURE = 1e-6  # every statistical check below fails with probability at most this


@pytest.fixture(scope="module")
def model():
    X = np.random.default_rng(0).normal(0.5, 0.8, size=(500, 1))
    model = DiffusionModel(width=64, steps=100, feature_seed=1, tau=1e4, bias_scale=2.0)
    return model.fit(X, np.random.default_rng(2))


@pytest.fixture(scope="module")
def pushforward(model):
    return Pushforward1D(model.score_, model.grid)


@pytest.fixture(scope="module")
def ode_samples(model):
    z = np.random.default_rng(3).standard_normal((100_000, 1))
    return ode_flow(model.score_, z, model.grid)[:, 0]


def dkw_radius(n: int, failure: float = FAILURE) -> float:
    """Dvoretzky-Kiefer-Wolfowitz (Massart): P(sup |F_n - F| > e) <= 2 exp(-2 n e^2) = failure."""
    return math.sqrt(math.log(2 / failure) / (2 * n))


def bernstein_radius(n: int, p: np.ndarray, bins: int, failure: float = FAILURE) -> np.ndarray:
    """|count/n - p| <= e for every bin, except with probability ``failure``.

    Bernstein: P(|count/n - p| >= e) <= 2 exp(-n e^2 / (2 p + 2e/3)); a union bound over the bins
    sets each bin's level to failure / bins, i.e. n e^2 = L (2p + 2e/3) with L = log(2 bins /
    failure), whose positive root is e = (2L/3 + sqrt((2L/3)^2 + 8 n L p)) / (2n).
    """
    L = math.log(2 * bins / failure)
    return (2 * L / 3 + np.sqrt((2 * L / 3) ** 2 + 8 * n * L * p)) / (2 * n)


def bin_masses(pdf, edges: np.ndarray, per_bin: int) -> tuple[np.ndarray, float]:
    """Midpoint-rule integrals of ``pdf`` over each bin, and their largest change under halving
    the node spacing (the quadrature allowance added to the statistical tolerance)."""

    def midpoint(nodes_per_bin):
        u = (np.arange(nodes_per_bin) + 0.5) / nodes_per_bin
        x = edges[:-1, None] + np.diff(edges)[:, None] * u
        return pdf(x.reshape(-1)).reshape(x.shape).mean(axis=1) * np.diff(edges)

    coarse, fine = midpoint(per_bin), midpoint(2 * per_bin)
    return fine, float(np.abs(fine - coarse).max())


def histogram_agrees(samples: np.ndarray, pdf, edges: np.ndarray) -> bool:
    n = len(samples)
    counts = np.histogram(samples, bins=edges)[0]
    probs, quad = bin_masses(pdf, edges, 400)
    tolerance = bernstein_radius(n, probs, len(probs)) + quad
    return bool(np.all(np.abs(counts / n - probs) <= tolerance))


def test_score_pieces_reproduce_the_score(model):
    score = model.score_
    for t in (model.t0, 0.3, 2.0, model.T):
        kinks, slopes, intercepts = score.pieces(t)
        assert np.all(np.diff(kinks) >= 0) and len(slopes) == len(kinks) + 1
        x = np.random.default_rng(1).uniform(-8, 8, size=500)
        piece = np.searchsorted(kinks, x)
        np.testing.assert_allclose(
            slopes[piece] * x + intercepts[piece], score(x[:, None], t)[:, 0], atol=1e-10
        )


def test_density_integrates_to_one_piece_by_piece(pushforward):
    # Gauss-Legendre on every image piece, where the density is smooth (pi(z(y)) / |slope|)
    nodes, weights = np.polynomial.legendre.leggauss(8)
    a, b = pushforward.y_[:-1], pushforward.y_[1:]
    y = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * nodes  # interior nodes only
    assert np.all(np.abs(b - a) > 0)
    values = pushforward.pdf(y.reshape(-1)).reshape(y.shape)
    total = np.sum(0.5 * np.abs(b - a) * (values @ weights))
    assert total == pytest.approx(1.0 - pushforward.lost_mass_, abs=1e-9)


def test_cdf_is_exact_and_normalised(pushforward):
    assert pushforward.cdf(np.array([np.inf]))[0] == pytest.approx(1.0, abs=1e-15)
    assert pushforward.cdf(np.array([-np.inf]))[0] == 0.0
    assert pushforward.lost_mass_ < 1e-18


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=-3.0, max_value=4.0))
def test_density_is_the_derivative_of_the_cdf(pushforward, y):
    h = 1e-5
    y = np.array([y - h, y, y + h])
    slope = (pushforward.cdf(y[2:])[0] - pushforward.cdf(y[:1])[0]) / (2 * h)
    left, right = pushforward.pdf(y[:1])[0], pushforward.pdf(y[2:])[0]
    # the density jumps at breakpoints: the difference quotient lies between its one-sided values
    assert min(left, right) - 1e-6 <= slope <= max(left, right) + 1e-6


def test_cdf_matches_the_ode_sampler_within_the_dkw_radius(pushforward, ode_samples):
    y = np.sort(ode_samples)
    empirical_cdf = np.arange(1, len(y) + 1) / len(y)
    gap = np.max(np.abs(empirical_cdf - pushforward.cdf(y)))
    assert gap <= dkw_radius(len(y))


def test_density_matches_a_large_sample_histogram(pushforward, ode_samples):
    edges = np.linspace(-2.5, 3.5, 61)
    assert histogram_agrees(ode_samples, pushforward.pdf, edges)


def test_histogram_check_rejects_a_perturbed_jacobian(pushforward, ode_samples):
    # negative control: the same breakpoints with every slope 10% too steep (at n = 1e5 and bins
    # of mass ~0.04 the tolerance is ~7% of a bin's mass)
    edges = np.linspace(-2.5, 3.5, 61)

    def wrong_pdf(y):
        return pushforward.pdf(y) / 1.10

    assert not histogram_agrees(ode_samples, wrong_pdf, edges)


def test_checks_reject_the_density_of_a_perturbed_score(model, ode_samples):
    # negative control: the density of a score 5% off, against the true sampler's draws
    off = RandomFeatureScore(model.features_, 1.05 * model.score_.readout)
    wrong = Pushforward1D(off, model.grid)
    y = np.sort(ode_samples)
    gap = np.max(np.abs(np.arange(1, len(y) + 1) / len(y) - wrong.cdf(y)))
    assert gap > dkw_radius(len(y))
    assert not histogram_agrees(ode_samples, wrong.pdf, np.linspace(-2.5, 3.5, 61))


def test_newton_inversion_agrees_with_the_exact_breakpoint_density(model, pushforward):
    y = np.random.default_rng(5).uniform(-2.0, 3.0, size=200)
    newton = PushforwardNewton(model.score_, model.grid).pdf(y[:, None])
    np.testing.assert_allclose(newton, pushforward.pdf(y), rtol=1e-7)


def _gaussian_tv(m1, s1, m2, s2):
    x = np.linspace(min(m1 - 12 * s1, m2 - 12 * s2), max(m1 + 12 * s1, m2 + 12 * s2), 400_001)
    return 0.5 * np.trapezoid(np.abs(norm.pdf(x, m1, s1) - norm.pdf(x, m2, s2)), x)


def test_exact_score_gives_the_truth_up_to_discretisation_and_prior_terms():
    """Truth N(mu, s^2), exact score. The ODE sampler is then an affine map, so its output is
    N(b, a^2): check a and b against an independent scalar recursion; then

    TV(output, p_0) <= TV(output, continuous-time output) + TV(pi, p_T) + TV(p_t0, p_0),

    where the continuous-time flow maps p_T onto p_t0 affinely (TV(pi, p_T) is carried over
    unchanged), and the discretisation term is first order in the step h."""
    mu, s, T, t0 = 0.5, 0.8, 5.0, 1e-3
    score = GaussianScore([mu], [[s * s]])

    def sd(t):
        return math.sqrt(mean_factor(t) ** 2 * s * s + noise_variance(t))

    cont_a = sd(t0) / sd(T)
    cont_b = mean_factor(t0) * mu - cont_a * mean_factor(T) * mu
    disc = []
    for steps in (100, 200, 400):
        grid = time_grid(T, t0, steps)
        push = Pushforward1D(score, grid)
        assert push.breakpoints == 2  # one affine piece
        a, b = 1.0, 0.0
        for t, h in zip(grid[:-1], -np.diff(grid), strict=True):
            v = sd(t) ** 2
            a, b = (1 + h - h / v) * a, (1 + h - h / v) * b + h * mean_factor(t) * mu / v
        assert push.slope_[0] == pytest.approx(a, rel=1e-12)
        assert push.y_[1] == pytest.approx(a * 9.0 + b, rel=1e-12)
        disc.append(_gaussian_tv(b, a, cont_b, cont_a))
    assert 1.8 < disc[0] / disc[1] < 2.2 and 1.8 < disc[1] / disc[2] < 2.2
    prior = _gaussian_tv(0.0, 1.0, mean_factor(T) * mu, sd(T))
    cont_vs_pt0 = _gaussian_tv(cont_b, cont_a, mean_factor(t0) * mu, sd(t0))
    assert cont_vs_pt0 == pytest.approx(prior, rel=1e-6, abs=1e-10)
    early = _gaussian_tv(mean_factor(t0) * mu, sd(t0), mu, s)
    total = _gaussian_tv(b, a, mu, s)
    assert total <= disc[-1] + prior + early + 1e-9
    assert total < 5e-3


@pytest.fixture(scope="module")
def sde_density(model):
    return SDEGridDensity1D(model.score_, model.grid)


def test_sde_density_is_normalised_and_stable_under_grid_refinement(model, sde_density):
    assert abs(1.0 - sde_density.mass_) < 1e-6
    finer = SDEGridDensity1D(model.score_, model.grid, spacing=0.0125)
    y = np.linspace(-3, 4, 301)
    assert np.max(np.abs(finer.pdf(y) - sde_density.pdf(y))) < 1e-5
    x = np.linspace(-12, 12, 48_001)
    assert np.trapezoid(sde_density.pdf(x), x) == pytest.approx(sde_density.mass_, abs=1e-9)


def test_sde_density_matches_the_sde_sampler(model, sde_density):
    z = np.random.default_rng(8).standard_normal((100_000, 1))
    samples = sde_sample(model.score_, z, model.grid, np.random.default_rng(9))[:, 0]
    edges = np.linspace(-2.5, 3.5, 41)
    assert histogram_agrees(samples, sde_density.pdf, edges)
    # negative control: the ODE sampler's law is a different distribution at this sample size
    assert not histogram_agrees(samples, Pushforward1D(model.score_, model.grid).pdf, edges)


def test_sde_with_the_exact_score_recovers_the_truth():
    mu, s = 0.5, 0.8
    grid = time_grid(5.0, 1e-3, 400)
    density = SDEGridDensity1D(GaussianScore([mu], [[s * s]]), grid)
    x = np.linspace(-6, 7, 26_001)
    tv = 0.5 * np.trapezoid(np.abs(density.pdf(x) - norm.pdf(x, mu, s)), x)
    assert tv < 1e-2
    outside = density.outside_mass(-1.0, 2.0)
    assert outside == pytest.approx(1 - (ndtr((2 - mu) / s) - ndtr((-1 - mu) / s)), abs=tv)


def test_two_dimensional_density_is_normalised_and_matches_the_sampler():
    rng = np.random.default_rng(11)
    X = rng.multivariate_normal([0.3, -0.2], [[0.6, 0.25], [0.25, 0.5]], size=400)
    model = DiffusionModel(
        width=48, steps=40, feature_seed=4, sampler="ode", tau=1e4, bias_scale=2.0
    )
    model.fit(X, np.random.default_rng(12))
    # normalisation by the trapezoid rule; the allowance is its change under halving the spacing
    axis = np.linspace(-5, 5, 101)
    pts = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    values = model.pdf(pts).reshape(101, 101)
    mass = np.trapezoid(np.trapezoid(values, axis, axis=1), axis)
    coarse = np.trapezoid(np.trapezoid(values[::2, ::2], axis[::2], axis=1), axis[::2])
    assert abs(mass - 1.0) <= abs(mass - coarse) + 2e-3
    # histogram on 6 x 6 cells of [-2, 2]^2, cell masses from a 12 x 12 midpoint rule
    samples = model.sample(40_000, np.random.default_rng(13))
    edges = np.linspace(-2, 2, 7)
    counts = np.histogram2d(samples[:, 0], samples[:, 1], bins=[edges, edges])[0].reshape(-1)
    u = (np.arange(12) + 0.5) / 12 * (edges[1] - edges[0])
    sub = (edges[:-1, None] + u).reshape(-1)
    grid = np.stack(np.meshgrid(sub, sub, indexing="ij"), axis=-1).reshape(-1, 2)
    cells = model.pdf(grid).reshape(6, 12, 6, 12) * (edges[1] - edges[0]) ** 2
    probs = cells.mean(axis=(1, 3)).reshape(-1)
    coarse = cells[:, 1::2][:, :, :, 1::2].mean(axis=(1, 3)).reshape(-1)  # a 6 x 6 Riemann sum
    tolerance = bernstein_radius(len(samples), probs, 36) + np.abs(probs - coarse).max()
    assert np.all(np.abs(counts / len(samples) - probs) <= tolerance)


def test_piecewise_samplers_take_the_same_steps_as_the_dense_ones(model):
    z = np.random.default_rng(21).standard_normal((2000, 1))
    np.testing.assert_allclose(
        ode_flow_by_pieces(model.score_, z, model.grid),
        ode_flow(model.score_, z, model.grid),
        rtol=1e-9,
        atol=1e-9,
    )
    by_pieces = sde_sample_by_pieces(model.score_, z, model.grid, np.random.default_rng(22))
    dense = sde_sample(model.score_, z, model.grid, np.random.default_rng(22))
    np.testing.assert_allclose(by_pieces, dense, rtol=1e-9, atol=1e-9)

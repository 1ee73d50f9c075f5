"""Metrics beside TV: NLL against scikit-learn and scipy, KL and chi-square against closed forms
and adaptive quadrature, W2 against the quantile formula, moments against the data."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from empirical.kde import KDE
from empirical.metrics import (
    chi2,
    gelbrich_bound,
    held_out_set,
    kl,
    kl_on_grid,
    moment_drift,
    nll,
    w2_gaussian,
)
from empirical.truths import Blobs, Gaussian, GaussianMixture
from empirical.tv import Grid, tv


def test_held_out_set_is_fixed_by_its_seed():
    truth = Blobs(3, seed=1)
    a, b = held_out_set(truth, 500, 7), held_out_set(truth, 500, 7)
    assert a.shape == (500, 2) and a.tobytes() == b.tobytes()
    assert held_out_set(truth, 500, 8).tobytes() != a.tobytes()


def test_nll_matches_scikit_learn_and_scipy_on_the_same_points():
    from sklearn.neighbors import KernelDensity

    truth = Blobs(3, seed=0)
    X = truth.sample(89, np.random.default_rng(1))
    test = held_out_set(truth, 500, 2)
    ours = nll(KDE(0.75).fit(X), test)
    sk = -KernelDensity(bandwidth=0.75).fit(X).score_samples(test).mean()
    assert ours.value == pytest.approx(sk, rel=1e-12)
    # scipy's kernel covariance is factor^2 times the sample covariance, h^2 I only in 1-D
    x1 = X[:, :1]
    ours1 = nll(KDE(0.75).fit(x1), test[:, :1]).value
    ref1 = -stats.gaussian_kde(x1[:, 0], bw_method=0.75 / x1.std(ddof=1)).logpdf(test[:, 0]).mean()
    assert ours1 == pytest.approx(ref1, rel=1e-10)
    assert 0 < ours.error < 0.2 * abs(ours.value)
    # negative control: another bandwidth gives another NLL, far outside the agreement above
    assert abs(nll(KDE(0.5).fit(X), test).value - sk) > 1e-2


def test_nll_of_the_truth_is_its_entropy_within_the_standard_error():
    truth = Gaussian(0.0, 4.0)
    est = nll(truth, held_out_set(truth, 4000, 3))
    entropy = 0.5 * math.log(2 * math.pi * math.e * 4.0)
    # |z| < 3.29 fails with probability 1e-3 for a correct standard error
    assert abs(est.value - entropy) < 3.29 * est.error


def _kl_gauss(m0, s0, m1, s1):
    return math.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2) - 0.5


@pytest.mark.parametrize("m1, s1", [(0.5, 1.0), (-1.0, 2.0), (0.3, 0.7)])
def test_kl_and_chi2_match_closed_forms_and_quadrature(m1, s1):
    p, q = Gaussian(0.0, 1.0), Gaussian(m1, s1**2)
    grid = Grid(-14.0, 14.0, 4097)
    est = kl(p, q, grid)
    exact = _kl_gauss(0.0, 1.0, m1, s1)
    assert abs(est.value - exact) <= max(est.error, 1e-12)
    assert est.error < 1e-6 and est.outside < 1e-40
    ref, _ = integrate.quad(
        lambda x: (p.pdf([x])[0] - q.pdf([x])[0]) ** 2 / q.pdf([x])[0], -14, 14, limit=200
    )
    c = chi2(p, q, grid)
    assert abs(c.value - ref) <= max(c.error, 1e-10)
    # negative control: the closed form without its -1/2 is outside the error
    assert abs(est.value - (exact + 0.5)) > 100 * est.error


def test_kl_in_two_dimensions_matches_the_gaussian_formula():
    c0, c1 = np.array([[1.0, 0.3], [0.3, 0.8]]), np.array([[1.5, 0.0], [0.0, 1.2]])
    m1 = np.array([0.4, -0.2])
    grid = Grid([-9.0, -9.0], [9.0, 9.0], 257)
    est = kl(Gaussian([0.0, 0.0], c0), Gaussian(m1, c1), grid)
    inv = np.linalg.inv(c1)
    exact = 0.5 * (
        np.trace(inv @ c0) + m1 @ inv @ m1 - 2 + math.log(np.linalg.det(c1) / np.linalg.det(c0))
    )
    assert abs(est.value - exact) <= max(est.error, 1e-10)


@settings(max_examples=20, deadline=None)
@given(m=st.floats(-2, 2), s=st.floats(0.8, 2.0))  # chi^2 is infinite for s^2 < 1/2
def test_divergences_order_pinsker_and_chi2(m, s):
    p, q = Gaussian(0.0, 1.0), Gaussian(m, s * s)
    grid = Grid(-16.0, 16.0, 2049)
    k, c = kl(p, q, grid), chi2(p, q, grid)
    t = tv(p, q)
    # Pinsker TV <= sqrt(KL / 2) and KL <= log(1 + chi^2), each up to the measurement errors
    assert t.value - t.error <= math.sqrt(max(k.value + k.error, 0) / 2) + 1e-12
    assert k.value - k.error <= math.log1p(c.value + c.error) + 1e-12


def test_kl_is_infinite_where_q_vanishes_and_errors_carry_the_binned_error():
    grid = Grid(0.0, 1.0, 5)
    assert kl_on_grid(np.ones(5), np.array([1, 1, 0, 1, 1.0]), grid)[0] == math.inf
    _, e0 = kl_on_grid(np.ones(5), np.ones(5), grid)
    _, e1 = kl_on_grid(np.ones(5), np.ones(5), grid, q_error=1e-3)
    assert e1 == pytest.approx(e0 + 1e-3)
    with pytest.raises(ValueError, match="shape"):
        kl_on_grid(np.ones(4), np.ones(5), grid)


def _w2_quantiles(p_ppf, q_ppf) -> float:
    value, _ = integrate.quad(lambda u: (p_ppf(u) - q_ppf(u)) ** 2, 0, 1, limit=400)
    return math.sqrt(value)


def test_w2_matches_the_one_dimensional_quantile_formula():
    exact = _w2_quantiles(stats.norm(1.0, 2.0).ppf, stats.norm(-0.5, 0.5).ppf)
    assert w2_gaussian([1.0], [[4.0]], [-0.5], [[0.25]]) == pytest.approx(exact, rel=1e-7)
    # commuting covariances: W2^2 = |dm|^2 + ||C1^1/2 - C2^1/2||_F^2
    c1, c2 = np.diag([4.0, 1.0]), np.diag([1.0, 9.0])
    assert w2_gaussian([0, 0], c1, [1, 1], c2) == pytest.approx(math.sqrt(2 + 1 + 4))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_w2_is_rotation_invariant_and_symmetric(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    c1, c2 = a @ a.T + 0.1 * np.eye(2), b @ b.T + 0.1 * np.eye(2)
    m1, m2 = rng.normal(size=2), rng.normal(size=2)
    theta = rng.uniform(0, 2 * math.pi)
    r = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    w = w2_gaussian(m1, c1, m2, c2)
    assert w == pytest.approx(w2_gaussian(m2, c2, m1, c1), rel=1e-7, abs=1e-9)
    assert w == pytest.approx(w2_gaussian(r @ m1, r @ c1 @ r.T, r @ m2, r @ c2 @ r.T), rel=1e-7)


def test_gelbrich_bound_is_below_the_exact_w2_of_a_mixture():
    mix = GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [0.25, 0.25])
    gauss = Gaussian(0.0, 1.0)
    grid = np.linspace(-8, 8, 20001)
    cdf = np.cumsum(mix.pdf(grid)) * (grid[1] - grid[0])
    mix_ppf = lambda u: np.interp(u, cdf / cdf[-1], grid)  # noqa: E731
    exact = _w2_quantiles(mix_ppf, stats.norm.ppf)
    bound = gelbrich_bound(mix, gauss)
    assert bound < exact - 0.1  # strictly below: the mixture is far from Gaussian
    assert gelbrich_bound(Gaussian(1.0, 4.0), gauss) == pytest.approx(math.sqrt(1 + 1))


def test_moment_drift_of_a_kde_is_its_bandwidth():
    X = np.random.default_rng(5).normal(size=(400, 2))
    model = KDE(0.5).fit(X)
    mean, cov = model.moments()
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(cov, np.cov(X.T, ddof=0) + 0.25 * np.eye(2))
    drift = moment_drift(model, Gaussian(X.mean(axis=0), np.cov(X.T, ddof=0)))
    assert drift["mean"] == pytest.approx(0, abs=1e-12)
    assert drift["cov"] == pytest.approx(0.25 * math.sqrt(2))

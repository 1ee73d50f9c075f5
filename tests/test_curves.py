"""Moons and circles: closed-form arc densities against quadrature along the curve, samplers
against marginal CDFs, exact moments against the density integrated on a grid."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from empirical.curves import Circles, Moons, _arc_mass
from empirical.tv import Grid
from empirical.tv import integrate as grid_integrate

KS_LEVEL = 1e-3  # each KS test would fail with probability 1e-3 were the sampler right


def _arc_by_quadrature(x: np.ndarray, arc: np.ndarray, s: float) -> float:
    """(1/(b - a)) int_a^b N(x; c + r (cos t, sin t), s^2 I) dt by adaptive quadrature."""
    cx, cy, r, a, b = arc

    def integrand(t):
        d2 = (x[0] - cx - r * math.cos(t)) ** 2 + (x[1] - cy - r * math.sin(t)) ** 2
        return math.exp(-d2 / (2 * s * s)) / (2 * math.pi * s * s)

    value, _ = integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-12, limit=400)
    return value / (b - a)


def _by_quadrature(truth, x: np.ndarray) -> np.ndarray:
    return np.array(
        [np.mean([_arc_by_quadrature(p, arc, truth.noise) for arc in truth.arcs]) for p in x]
    )


POINTS = np.array([[0.0, 0.0], [1.0, 0.1], [-0.9, 0.3], [0.5, -0.4], [2.1, 0.6], [0.3, 1.05]])


@pytest.mark.parametrize("truth", [Moons(0.1), Moons(0.4), Circles(0.05), Circles(0.2, 0.5)])
def test_closed_form_density_matches_quadrature_along_the_curve(truth):
    ref = _by_quadrature(truth, POINTS)
    peak = 1 / (2 * math.pi * truth.noise**2)  # no arc's density exceeds this
    np.testing.assert_allclose(truth.pdf(POINTS), ref, rtol=1e-9, atol=1e-12 * peak)
    near = ref > 1e-6 * peak
    np.testing.assert_allclose(truth.logpdf(POINTS)[near], np.log(ref[near]), rtol=1e-10)


def test_dropping_the_von_mises_mass_is_caught():
    # negative control: the full-circle formula (M = 1, span 2 pi) applied to one moon's arc
    moons = Moons(0.1)
    x = np.array([[0.9, -0.2]])
    cx, cy, r, a, b = moons.arcs[0]
    rho, s2 = math.hypot(x[0, 0] - cx, x[0, 1] - cy), moons.noise**2
    wrong = math.exp(-((rho - r) ** 2) / (2 * s2)) * special.i0e(rho * r / s2) / (2 * math.pi * s2)
    right = _arc_by_quadrature(x[0], moons.arcs[0], moons.noise)
    assert abs(wrong - right) > 1e-3 * right


@pytest.mark.parametrize("truth", [Moons(0.15), Circles(0.1)])
def test_density_integrates_to_one_and_moments_are_exact(truth):
    lo, hi = truth.bounding_box(1e-14)
    grid = Grid(lo, hi, 401)
    values = truth.pdf(grid.points()).reshape(grid.shape)
    assert grid_integrate(values, grid) == pytest.approx(1.0, abs=1e-9)
    pts = grid.points()
    mean, cov = truth.moments()
    num_mean = [grid_integrate(values * pts[:, k].reshape(grid.shape), grid) for k in range(2)]
    np.testing.assert_allclose(mean, num_mean, atol=1e-9)
    centred = pts - mean
    for i in range(2):
        for j in range(2):
            prod = (centred[:, i] * centred[:, j]).reshape(grid.shape)
            assert cov[i, j] == pytest.approx(grid_integrate(values * prod, grid), abs=1e-9)


def _marginal_cdf(truth, axis: int):
    """P(X_axis <= x) = mean over arcs of (1/(b-a)) int_a^b Phi((x - c - r u_axis(t)) / s) dt,
    by 400-node Gauss-Legendre on each arc."""
    nodes, weights = np.polynomial.legendre.leggauss(400)

    def cdf(x):
        x = np.atleast_1d(x)[:, None]
        total = 0.0
        for cx, cy, r, a, b in truth.arcs:
            t = a + (b - a) * (nodes + 1) / 2
            curve = (cx + r * np.cos(t)) if axis == 0 else (cy + r * np.sin(t))
            total = (
                total + np.einsum("ij,j->i", special.ndtr((x - curve) / truth.noise), weights) / 2
            )
        return total / len(truth.arcs)

    return cdf


@pytest.mark.parametrize("truth", [Moons(0.1), Circles(0.05, 0.6)])
def test_samples_follow_the_marginal_cdfs(truth):
    x = truth.sample(4000, np.random.default_rng(11))
    assert x.shape == (4000, 2)
    for axis in (0, 1):
        assert stats.kstest(x[:, axis], _marginal_cdf(truth, axis)).pvalue > KS_LEVEL


def test_marginal_check_has_power_against_a_wider_noise():
    # negative control: samples with twice the noise tested against the noise-0.1 marginal
    x = Moons(0.2).sample(4000, np.random.default_rng(12))
    assert stats.kstest(x[:, 1], _marginal_cdf(Moons(0.1), 1)).pvalue < KS_LEVEL


def test_even_split_puts_half_on_each_curve():
    circles = Circles(0.01, 0.5, split="even")
    x = circles.sample(101, np.random.default_rng(13))
    outer = np.hypot(x[:, 0], x[:, 1]) > 0.75
    assert outer.sum() == 51  # 101 // 2 each, the first component one more
    assert not np.all(outer[:51])  # shuffled, not in blocks
    rows = Circles(0.01, 0.5).sample(101, np.random.default_rng(13))
    assert rows.shape == (101, 2)


def test_outside_mass_bounds_the_mass_outside_a_box():
    moons = Moons(0.2)
    assert moons.outside_mass(*moons.bounding_box(1e-6)) <= 1e-6 * (1 + 1e-9)
    lo, hi = np.array([-1.0, -0.5]), np.array([1.5, 1.0])  # cuts through the curves
    grid = Grid(lo, hi, 401)
    inside = grid_integrate(moons.pdf(grid.points()).reshape(grid.shape), grid)
    assert 1 - inside <= moons.outside_mass(lo, hi)


def test_bad_parameters_name_themselves():
    with pytest.raises(ValueError, match="noise"):
        Moons(0.0)
    with pytest.raises(ValueError, match="factor"):
        Circles(0.1, 1.0)
    with pytest.raises(ValueError, match="split"):
        Moons(0.1, split="stratified")


@settings(max_examples=40, deadline=None)
@given(kappa=st.floats(1e-3, 1e4), phi=st.floats(-math.pi, math.pi))
def test_arc_mass_matches_adaptive_quadrature(kappa, phi):
    # mass of VM(0, kappa) on the half circle [-phi, pi - phi], on both sides of kappa = 50
    lo, hi = -phi, math.pi - phi
    peaks = [p for p in (0.0, 2 * math.pi, -2 * math.pi) if lo < p < hi]
    value, _ = integrate.quad(
        lambda u: math.exp(kappa * (math.cos(u) - 1)),
        lo,
        hi,
        points=peaks or None,
        limit=400,
        epsabs=1e-300,
        epsrel=1e-12,
    )
    exact = value / (2 * math.pi * special.i0e(kappa))
    ours = _arc_mass(np.array([lo]), np.array([hi]), np.array([kappa]))[0]
    assert abs(ours - exact) <= 1e-11

"""The explicit KDE bound: each constant against an independent computation, and the recursion."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from bounds.kde import (
    MAX_GENERATIONS,
    GaussianTruth,
    bias_l1_expr,
    bias_taylor_expr,
    h,
    kde_loop_bound,
    s,
    sigma,
    variance_l1_expr,
)
from bounds.kde import N as N_
from bounds.scenarios import Accumulate, Augment, Proportion, Replace

positive = st.floats(min_value=0.05, max_value=5.0)


@settings(max_examples=25, deadline=None)
@given(positive, positive)
def test_bias_formula_is_the_l1_distance_by_quadrature(s_value, h_value):
    wide = np.hypot(s_value, h_value)

    def difference(x):
        return stats.norm.pdf(x, 0, s_value) - stats.norm.pdf(x, 0, wide)

    # the densities cross once on each side of 0 (found here by root search, not the formula);
    # quadrature between the kinks of |difference| is then smooth and accurate
    cross = optimize.brentq(difference, 0.0, 20 * wide, xtol=1e-15)
    pieces = [(-40 * wide, -cross), (-cross, cross), (cross, 40 * wide)]
    reference = sum(abs(integrate.quad(difference, a, b, epsabs=1e-14)[0]) for a, b in pieces)
    exact = float(bias_l1_expr().subs({s: s_value, h: h_value}))
    assert exact == pytest.approx(reference, rel=1e-9, abs=1e-13)


@settings(max_examples=50, deadline=None)
@given(positive, positive)
def test_taylor_bias_bounds_the_exact_bias_and_is_sharp_for_small_h(s_value, h_value):
    exact = float(bias_l1_expr().subs({s: s_value, h: h_value}))
    taylor = float(bias_taylor_expr().subs({s: s_value, h: h_value}))
    assert exact <= taylor * (1 + 1e-12)
    small = {s: s_value, h: s_value * 1e-3}
    assert float(bias_l1_expr().subs(small)) == pytest.approx(
        float(bias_taylor_expr().subs(small)), rel=1e-4
    )


def test_sympy_integrates_the_variance_term_to_its_closed_form():
    x = sp.Symbol("x", real=True)
    # K_h^2 = phi(x/h)^2/h^2 = N(0, h^2/2)/(2 sqrt(pi) h); convolved with N(0, sigma^2)
    var = sigma**2 + h**2 / 2
    smoothed = sp.exp(-(x**2) / (2 * var)) / sp.sqrt(2 * sp.pi * var) / (2 * sp.sqrt(sp.pi) * h)
    integral = sp.integrate(sp.sqrt(smoothed), (x, -sp.oo, sp.oo)) / sp.sqrt(N_)
    assert sp.simplify(integral / variance_l1_expr()) == 1


@settings(max_examples=25, deadline=None)
@given(positive, positive)
def test_variance_formula_matches_quadrature_of_the_kernel_square(sigma_value, h_value):
    def kernel_sq(x):
        return stats.norm.pdf(x, 0, h_value) ** 2

    def smoothed(x):
        spread = np.sqrt(sigma_value**2 + h_value**2 / 2)
        return stats.norm.pdf(x, 0, spread) / (2 * np.sqrt(np.pi) * h_value)

    at = 0.3
    direct = integrate.quad(
        lambda u: kernel_sq(at - u) * stats.norm.pdf(u, 0, sigma_value), -50, 50
    )
    assert smoothed(at) == pytest.approx(direct[0], rel=1e-7)
    width = 12 * np.hypot(sigma_value, h_value)
    reference = integrate.quad(lambda x: np.sqrt(smoothed(x)), -width, width, limit=200)[0]
    value = float(variance_l1_expr().subs({sigma: sigma_value, h: h_value, N_: 1}))
    assert value == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize("lam", [0.0, 0.2, 0.5, 1.0])
def test_population_variance_follows_the_closed_form(lam):
    s_value, h_value, G = 1.3, 0.4, 12
    result = kde_loop_bound(Proportion(1000, lam), GaussianTruth.normal(2.0, s_value), h_value, G)
    i = np.arange(1, G + 1)
    growth = i if lam == 0 else (1 - (1 - lam) ** i) / lam
    expected = s_value**2 + h_value**2 * growth
    got = result.population_variance(GaussianTruth.normal(2.0, s_value), h_value)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert np.allclose(result.population.sum(axis=1), 1)


@pytest.mark.parametrize(("s_value", "h_value"), [(1.0, 0.3), (0.05, 2.0), (7.0, 0.01)])
def test_one_generation_bound_is_bias_plus_variance_of_the_truth(s_value, h_value):
    n = 500
    result = kde_loop_bound(Replace(n), GaussianTruth.normal(3.0, s_value), h_value, 1)
    B = float(bias_l1_expr().subs({s: s_value, h: h_value}))
    V = float(variance_l1_expr().subs({sigma: s_value, h: h_value, N_: n}))
    assert result.bias == pytest.approx(B, rel=1e-12)
    assert result.variance[0] == pytest.approx(V, rel=1e-12)  # trapezoid rule, spectrally exact


def test_bound_grows_without_real_data_and_levels_off_with_it():
    truth = GaussianTruth.normal()
    replace = kde_loop_bound(Replace(2000), truth, 0.2, 40).total
    proportion = kde_loop_bound(Proportion(2000, 0.5), truth, 0.2, 40).total
    assert np.all(np.diff(replace) > 0) and replace[-1] > 20 * replace[0]
    assert proportion[-1] < 2.5 * proportion[0]  # the limit is (B + V_oo)/(2 lam), V_oo ~ V_1
    assert proportion[-1] - proportion[-2] < 1e-6 * proportion[-1]
    assert np.all(proportion <= replace + 1e-15)


def test_more_data_and_mixtures_behave():
    truth = GaussianTruth((0.3, 0.7), (-2.0, 1.0), (0.5, 1.0))
    small = kde_loop_bound(Augment(200, 400), truth, 0.25, 5).total
    large = kde_loop_bound(Augment(20000, 40000), truth, 0.25, 5).total
    assert np.all(large < small)
    accumulate = kde_loop_bound(Accumulate(200, 100), truth, 0.25, 5)
    assert accumulate.total.shape == (5,)


@pytest.mark.parametrize(
    ("call", "exception", "match"),
    [
        (
            lambda: kde_loop_bound(Replace(10), GaussianTruth.normal(), -1.0, 3),
            ValueError,
            "bandwidth",
        ),
        (
            lambda: kde_loop_bound(Replace(10), GaussianTruth.normal(), 0.1, 0),
            ValueError,
            "generations",
        ),
        (lambda: kde_loop_bound("replace", GaussianTruth.normal(), 0.1, 3), TypeError, "scenario"),
        (lambda: kde_loop_bound(Replace(10), (0.0, 1.0), 0.1, 3), TypeError, "truth"),
        (lambda: GaussianTruth((0.5, 0.6), (0, 1), (1, 1)), ValueError, "sum to 1"),
        (lambda: GaussianTruth((1.0,), (0.0,), (0.0,)), ValueError, "sds"),
        (lambda: GaussianTruth((1.0,), (0.0, 1.0), (1.0,)), ValueError, "one entry per component"),
    ],
)
def test_bad_inputs_raise_naming_the_parameter(call, exception, match):
    with pytest.raises(exception, match=match):
        call()


def _linear_reference(N, s_value, h_value, G, variance_factor=1.0):
    """Replace(N), fresh data, truth N(0, s^2): T_i = (B + V_i)/2 + T_{i-1} with
    V_i = N^(-1/2) int sqrt(K_h^2 * Q_i - (K_h * Q_i)^2), Q_i = N(0, s^2 + (i-1) h^2), the
    integral by scipy quadrature of the closed-form integrand."""
    B = float(bias_l1_expr().subs({s: s_value, h: h_value}))

    def root(x, a):
        second = stats.norm.pdf(x, 0, np.sqrt(a + h_value**2 / 2)) / (2 * np.sqrt(np.pi) * h_value)
        first = stats.norm.pdf(x, 0, np.sqrt(a + h_value**2))
        return np.sqrt(max(second - first**2, 0.0))

    totals, carried = [], 0.0
    for i in range(1, G + 1):
        a = s_value**2 + (i - 1) * h_value**2
        width = 40 * np.sqrt(a + h_value**2)
        V = integrate.quad(root, -width, width, args=(a,), limit=400)[0] / np.sqrt(N)
        carried += (B + variance_factor * V) / 2
        totals.append(carried)
    return np.array(totals)


def test_variance_form_total_is_pinned_by_quadrature():
    result = kde_loop_bound(
        Replace(400), GaussianTruth.normal(0.7, 1.3), 0.3, 3, variance="variance"
    )
    np.testing.assert_allclose(result.total, _linear_reference(400, 1.3, 0.3, 3), rtol=1e-6)
    halved = _linear_reference(400, 1.3, 0.3, 3, variance_factor=0.5)  # negative control
    assert np.all(np.abs(result.total / halved - 1) > 1e-2)
    second_moment = kde_loop_bound(Replace(400), GaussianTruth.normal(0.7, 1.3), 0.3, 3).total
    assert np.all(result.total < second_moment)


@pytest.mark.parametrize(("h_value", "factor"), [(1.0, 1.68), (3.0, 3.88)])
def test_subtracting_the_squared_mean_removes_the_stated_factor(h_value, factor):
    truth = GaussianTruth.normal()
    old = kde_loop_bound(Replace(100), truth, h_value, 1).variance[0]
    new = kde_loop_bound(Replace(100), truth, h_value, 1, variance="variance").variance[0]
    assert old / new == pytest.approx(factor, abs=0.01)


def test_variance_form_must_be_named():
    with pytest.raises(ValueError, match="variance must be one of"):
        kde_loop_bound(Replace(10), GaussianTruth.normal(), 0.1, 2, variance="var")


@pytest.mark.parametrize("name", ["weights", "means", "sds"])
def test_truth_parameters_that_are_not_lists_of_numbers_are_refused_by_name(name):
    good = {"weights": (1.0,), "means": (0.0,), "sds": (1.0,)}
    for bad in (float("nan"), 1.0, None, "abc", [float("nan")]):
        with pytest.raises((TypeError, ValueError), match=f"^{name} must"):
            GaussianTruth(**{**good, name: bad})


@pytest.mark.parametrize("h_value", [1e-100, 1e-10, 1e10, 1e100])
def test_extreme_bandwidths_give_the_exact_variance_term(h_value):
    # one Gaussian: V_1 = (2 s^2 + h^2)^(1/4) / sqrt(N h) (variance_l1_expr), finite either way
    result = kde_loop_bound(Replace(50), GaussianTruth.normal(), h_value, 1)
    exact = (2 + h_value**2) ** 0.25 / np.sqrt(50 * h_value)
    assert result.variance[0] == pytest.approx(exact, rel=1e-9)
    assert np.isfinite(result.total).all()


def test_sizes_beyond_the_stated_limits_are_refused_by_name():
    truth = GaussianTruth.normal()
    for bandwidth in (5e-324, 1e300):
        with pytest.raises(ValueError, match=r"bandwidth must be a finite number in \[1e-100"):
            kde_loop_bound(Replace(50), truth, bandwidth, 2)
    for generations in (MAX_GENERATIONS + 1, 1e300, 2**63):
        with pytest.raises(ValueError, match=f"generations must be .* {MAX_GENERATIONS}"):
            kde_loop_bound(Replace(50), truth, 0.3, generations)
    result = kde_loop_bound(Replace(50), truth, 0.3, 2)
    for h_value in (float("nan"), 1e300, "0.3"):
        with pytest.raises((TypeError, ValueError), match="h_value must be"):
            result.population_variance(truth, h_value)
    spread = GaussianTruth((0.5, 0.5), (0.0, 1e9), (1.0, 1.0))
    with pytest.raises(ValueError, match="quadrature grid would hold"):
        kde_loop_bound(Replace(50), spread, 0.3, 1)

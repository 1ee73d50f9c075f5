"""The population recursion of a KDE loop: accumulate's closed form (sympy), the recursion against
it and against proportion/augment closed forms, Scott's deterministic bandwidths, bad inputs."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds.kde import GaussianTruth, h, s
from bounds.kde_population import (
    accumulate_variance_expr,
    accumulate_variances,
    bandwidth_sequence,
    population_variances,
    realised_weights,
    scott_bandwidths,
    truth_variance,
)
from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace
from bounds.symbols import i, m, n


def test_sympy_proves_the_accumulate_recursion_is_a_first_difference():
    # V_i = h^2 + (rho s^2 + S_{i-1}) / (rho + i - 1), rho = n/m, S the partial sums: eliminating
    # S_{i-1} from the equations for V_i and V_{i+1} leaves V_{i+1} - V_i = h^2 / (rho + i)
    rho, V, S = sp.symbols("rho V S", positive=True)
    S_prev = sp.solve(sp.Eq(V, h**2 + (rho * s**2 + S) / (rho + i - 1)), S)[0]
    V_next = h**2 + (rho * s**2 + S_prev + V) / (rho + i)
    assert sp.simplify(V_next - V - h**2 / (rho + i)) == 0


def test_sympy_proves_the_closed_form_solves_it():
    V = accumulate_variance_expr()
    assert sp.simplify(V.subs(i, 1) - (s**2 + h**2)) == 0
    step = sp.expand_func(V.subs(i, i + 1) - V)
    assert sp.simplify(step - h**2 / (n / m + i)) == 0
    # n = m: the harmonic number
    harmonic = sp.expand_func(V.subs(n, m)).rewrite(sp.harmonic)
    difference = sp.expand_func(harmonic - (s**2 + h**2 * sp.harmonic(i)))
    assert sp.simplify(difference) == 0


@pytest.mark.parametrize(("n_real", "m_synth"), [(100, 100), (100, 37), (50, 400), (80, 0)])
def test_recursion_matches_the_closed_form(n_real, m_synth):
    s_value, h_value, G = 1.3, 0.25, 40
    truth = GaussianTruth.normal(-1.0, s_value)
    recursion = population_variances(Accumulate(n_real, m_synth), truth, h_value, G)
    closed = accumulate_variances(n_real, m_synth, s_value**2, h_value, G)
    np.testing.assert_allclose(recursion, closed, rtol=1e-12)
    if m_synth:
        symbolic = accumulate_variance_expr().subs({s: s_value, h: h_value, n: n_real, m: m_synth})
        assert float(symbolic.subs(i, G)) == pytest.approx(closed[-1], rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 500), st.integers(1, 500), st.floats(0.1, 3.0), st.floats(0.01, 1.0))
def test_recursion_matches_the_closed_form_for_any_sizes(n_real, m_synth, s_value, h_value):
    truth = GaussianTruth.normal(0.0, s_value)
    recursion = population_variances(Accumulate(n_real, m_synth), truth, h_value, 12)
    closed = accumulate_variances(n_real, m_synth, s_value**2, h_value, 12)
    np.testing.assert_allclose(recursion, closed, rtol=1e-11)
    assert np.all(np.diff(recursion) > 0)  # grows without limit, by h^2 / (n/m + i) each step


def test_negative_controls_for_accumulate():
    s_value, h_value, G = 1.0, 0.3, 30
    recursion = population_variances(Accumulate(100, 37), GaussianTruth.normal(), h_value, G)
    harmonic = s_value**2 + h_value**2 * np.cumsum(1.0 / np.arange(1, G + 1))
    assert not np.allclose(recursion, harmonic, rtol=1e-3)  # H_i holds only for n = m
    # equal weights 1/i (accumulate-subsample) is another loop: it must not match accumulate
    subsample = population_variances(
        Custom.accumulate_subsample(100, G), GaussianTruth.normal(), h_value, G
    )
    assert not np.allclose(subsample, recursion, rtol=1e-3)
    equal = population_variances(Accumulate(100, 100), GaussianTruth.normal(), h_value, G)
    np.testing.assert_allclose(equal, harmonic, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_proportion_and_augment_recursions_match_their_closed_form(lam):
    truth, h_value, G = GaussianTruth((0.3, 0.7), (-1.0, 2.0), (0.5, 1.0)), 0.2, 15
    k = np.arange(1, G + 1)
    growth = k if lam == 0 else (1 - (1 - lam) ** k) / lam
    expected = truth_variance(truth) + h_value**2 * growth
    got = population_variances(Proportion(1000, lam), truth, h_value, G)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    if lam > 0:
        augment = population_variances(
            Augment(300, round(300 * (1 - lam) / lam)), truth, h_value, G
        )
        np.testing.assert_allclose(augment, expected, rtol=1e-12)


def test_scott_bandwidths_follow_the_rule():
    truth = GaussianTruth.normal(0.0, 2.0)
    hs = scott_bandwidths(Augment(200, 800), truth, 4)
    assert hs[0] == pytest.approx(2.0 * 200**-0.2, rel=1e-12)
    v1 = 4.0 + hs[0] ** 2
    sigma2 = 0.2 * 4.0 + 0.8 * v1  # the population training mixture of generation 2
    assert hs[1] == pytest.approx(np.sqrt(sigma2) * 1000**-0.2, rel=1e-12)
    fixed = scott_bandwidths(Augment(200, 800), truth, 4, scale="truth")
    np.testing.assert_allclose(fixed[1:], 2.0 * 1000**-0.2, rtol=1e-12)
    assert hs[1] > fixed[1]  # the loop's widening raises the population scale


@pytest.mark.parametrize(
    ("call", "exception", "match"),
    [
        (
            lambda: scott_bandwidths(Replace(10), GaussianTruth.normal(), 2, "sample"),
            ValueError,
            "scale",
        ),
        (
            lambda: bandwidth_sequence(Replace(10), GaussianTruth.normal(), "silverman", 2),
            ValueError,
            "bandwidth",
        ),
        (
            lambda: bandwidth_sequence(Replace(10), GaussianTruth.normal(), [0.1], 2),
            ValueError,
            "one value per",
        ),
        (
            lambda: bandwidth_sequence(Replace(10), GaussianTruth.normal(), [0.1, -1], 2),
            ValueError,
            r"bandwidth .* at index 1",
        ),
        (
            lambda: population_variances("replace", GaussianTruth.normal(), 0.1, 2),
            TypeError,
            "scenario",
        ),
        (
            lambda: population_variances(Replace(10), GaussianTruth.normal(), 0.1, 0),
            ValueError,
            "generations",
        ),
        (lambda: accumulate_variances(10, -1, 1.0, 0.1, 3), ValueError, "m"),
    ],
)
def test_bad_inputs_raise_naming_the_parameter(call, exception, match):
    with pytest.raises(exception, match=match):
        call()


def test_bad_inputs_are_refused_by_name_with_the_limits():
    truth, scenario = GaussianTruth.normal(), Augment(10, 5)
    with pytest.raises(TypeError, match="scenario must be a Scenario"):
        realised_weights("augment", 2)
    with pytest.raises(TypeError, match="truth must be a GaussianTruth"):
        truth_variance(1.0)
    with pytest.raises(ValueError, match=r"generations must be a whole number in \[1, 1000\]"):
        population_variances(scenario, truth, 0.3, 10**6)  # a hang and a huge array before
    with pytest.raises(ValueError, match="bandwidth"):
        population_variances(scenario, truth, 1e300, 3)  # its square overflowed to inf
    with pytest.raises(TypeError, match="bandwidth"):
        population_variances(scenario, truth, [[1.0], [1.0, 2.0]], 2)  # ragged
    with pytest.raises(ValueError, match="n must be"):
        accumulate_variances(10**400, 5, 1.0, 0.3, 3)  # n / m overflowed
    assert np.all(np.isfinite(accumulate_variances(10, 5, 1.0, 1e100, 3)))

"""Optimal early stopping: tau* is the stationary point of Li et al.'s training-time bracket."""

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import errors, stopping
from bounds import symbols as S

sizes = st.floats(1.0, 1e12, allow_nan=False, allow_infinity=False)


def test_stationarity_condition_is_the_derivative_of_the_bracket():
    t, N, M = S.tau, S.N, S.M
    bracket = t**4 / (M * N) + t**3 / M**2 + 1 / t
    condition = 4 * M * t**5 + 3 * N * t**4 - M**2 * N
    assert sp.simplify(sp.diff(bracket, t) * t**2 * M**2 * N - condition) == 0


@settings(max_examples=200, deadline=None)
@given(N=sizes, M=sizes)
def test_tau_star_satisfies_the_stationarity_condition(N, M):
    tau = stopping.tau_star(N, M)
    assert isinstance(tau, float)
    assert abs(stopping.stationarity_residual(tau, N, M)) <= 1e-10


@settings(max_examples=100, deadline=None)
@given(N=sizes, M=sizes)
def test_tau_star_minimises_the_bracket(N, M):
    tau = stopping.tau_star(N, M)
    centre = stopping.kl_bracket(tau, N, M)
    for factor in (0.99, 1.01):
        assert stopping.kl_bracket(tau * factor, N, M) > centre


def _scaled_condition(N, M):
    return lambda t: 4 * t**5 / (M * N) + 3 * t**4 / M**2 - 1


def test_tau_star_matches_an_independent_mpmath_root():
    for N, M in [(1.0, 1.0), (100.0, 7.0), (1e4, 1e3), (3e7, 2e9), (1e12, 5.0)]:
        with mp.workdps(40):
            # the root lies in (0, (M N/4)^(1/5)]: the condition is -1 at 0 and >= 0 there
            bracket = (mp.mpf(0), mp.mpf(stopping.tau_star_asymptotic(N, M)) * (1 + 1e-12))
            root = mp.findroot(_scaled_condition(mp.mpf(N), mp.mpf(M)), bracket, solver="bisect")
        assert stopping.tau_star(N, M) == pytest.approx(float(root), rel=1e-13)


def test_tau_star_vectorises_and_broadcasts():
    N = np.logspace(0, 10, 7)
    M = np.logspace(0, 10, 5)[:, None]
    grid = stopping.tau_star(N, M)
    assert grid.shape == (5, 7)
    assert grid[3, 2] == stopping.tau_star(N[2], float(M[3, 0]))
    assert np.all(np.diff(grid, axis=1) > 0)  # increasing in N
    assert np.all(np.diff(grid, axis=0) > 0)  # increasing in M


def test_asymptotic_form_is_approached_when_width_dominates():
    # M >> N^(2/3): the relative gap shrinks with M at fixed N, and is always an overestimate
    N = 1e4
    gaps = [
        stopping.tau_star_asymptotic(N, M) / stopping.tau_star(N, M) - 1
        for M in (1e3, 1e5, 1e7, 1e9)
    ]
    assert all(g > 0 for g in gaps)
    assert all(b < a for a, b in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] < 1e-4


def test_a_perturbed_root_fails_the_stationarity_check():
    tau = stopping.tau_star(1e4, 1e3)
    assert abs(stopping.stationarity_residual(tau * (1 + 1e-8), 1e4, 1e3)) > 1e-8


def test_early_stopped_error_is_the_error_model_at_tau_star():
    N = np.array([10.0, 1e3, 1e6])
    result = stopping.early_stopped_error(N, 500, C1=2.0, C2=0.5, approx=0.01)
    for k, size in enumerate(N):
        model = errors.diffusion_random_features(
            M=500, tau=float(result.tau[k]), C1=2.0, C2=0.5, approx=0.01
        )
        assert result.epsilon[k] == pytest.approx(float(model(size)), rel=1e-12)
    assert not result.clipped.any()
    assert np.all(np.diff(result.epsilon) < 0)


def test_early_stopped_error_beats_every_other_admissible_time():
    result = stopping.early_stopped_error(1e4, 1e3)
    for tau in (1.0, 5.0, 20.0, 100.0):
        other = errors.diffusion_random_features(M=1000, tau=tau)(1e4)
        assert result.epsilon[()] <= float(other) + 1e-15


def test_tau_below_one_is_clipped_and_said():
    result = stopping.early_stopped_error([5.0, 1e4], [1.0, 1e3])
    assert result.tau_exact[0] < 1 and result.tau[0] == 1.0
    assert list(result.clipped) == [True, False]
    assert "tau = 1" in result.note and "1 of 2" in result.note


@pytest.mark.parametrize(
    ("N", "M", "error", "word"),
    [
        (0, 1, ValueError, "N"),
        (10, 0.5, ValueError, "M"),
        (np.nan, 1, ValueError, "N"),
        ("10", 1, TypeError, "N"),
        (True, 1, TypeError, "N"),
        (10, [], ValueError, "M"),
    ],
)
def test_bad_sizes_are_rejected_by_name(N, M, error, word):
    with pytest.raises(error, match=word):
        stopping.tau_star(N, M)


def test_huge_sizes_give_finite_values_in_log_space():
    """N = M = 1e300 (the reproduced NaN): eps matches an mpmath evaluation at the same tau."""
    import mpmath as mp

    result = stopping.early_stopped_error(1e300, 1e300)
    eps = float(result.epsilon)
    tau = mp.mpf(float(result.tau))
    n = m = mp.mpf(1e300)
    expected = mp.sqrt((tau**4 / (m * n) + tau**3 / m**2 + 1 / tau + 1 / m) / 2)
    assert np.isfinite(eps) and eps == pytest.approx(float(expected), rel=1e-12)
    assert stopping.tau_star_asymptotic(1e300, 1e300) == pytest.approx(
        float((m * n / 4) ** mp.mpf(0.2)), rel=1e-13
    )
    assert stopping.stationarity_residual(result.tau, 1e300, 1e300) == pytest.approx(0, abs=1e-12)


def test_log_space_bracket_agrees_with_the_plain_formula():
    tau, N, M = np.array([0.5, 3.0, 40.0]), np.array([10.0, 1e4, 1e6]), np.array([1.0, 300.0, 5.0])
    plain = tau**4 / (M * N) + tau**3 / M**2 + 1 / tau
    assert np.allclose(stopping.kl_bracket(tau, N, M), plain, rtol=1e-14)
    wrong = tau**4 / (M * N) + tau**3 / M + 1 / tau  # negative control: M instead of M^2
    assert not np.allclose(stopping.kl_bracket(tau, N, M), wrong, rtol=1e-6)


@pytest.mark.parametrize("tau", [-1.0, 0.0, float("nan"), float("inf"), "2", None, [1.0, -2.0]])
def test_bad_times_are_refused(tau):
    with pytest.raises((ValueError, TypeError), match="tau"):
        stopping.kl_bracket(tau, 10.0, 10.0)
    with pytest.raises((ValueError, TypeError), match="tau"):
        stopping.stationarity_residual(tau, 10.0, 10.0)


def test_a_bracket_beyond_floats_is_refused_not_inf():
    with pytest.raises(ValueError, match="float range"):
        stopping.kl_bracket(1e300, 1.0, 1.0)


@pytest.mark.parametrize(
    ("name", "value"), [("C1", 0.0), ("C2", float("nan")), ("approx", -1.0), ("prior", "x")]
)
def test_bad_constants_are_refused_by_name(name, value):
    with pytest.raises((ValueError, TypeError), match=name):
        stopping.early_stopped_error(10.0, 10.0, **{name: value})

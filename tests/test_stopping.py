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

"""Error models: formulas, numeric agreement, stopping-time consistency, validation."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import symbols as S
from bounds.errors import (
    diffusion_early_stopped,
    diffusion_random_features,
    from_expression,
    power_law,
)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=1e-3, max_value=1e3),
    st.floats(min_value=0.01, max_value=2.0),
    st.floats(min_value=1.0, max_value=1e12),
)
def test_power_law_is_c_times_n_to_minus_alpha(C, alpha, N):
    assert power_law(C, alpha)(N) == pytest.approx(C * N**-alpha, rel=1e-13)


def test_diffusion_model_is_pinsker_of_li_et_al_kl():
    M, tau, N = 256, 12.0, 5000.0
    kl = 2.0 * (tau**4 / (M * N) + tau**3 / M**2 + 1 / tau) + 3.0 / M + 0.01 + 0.02
    error = diffusion_random_features(M, tau, C1=2.0, C2=3.0, approx=0.01, prior=0.02)
    assert error(N) == pytest.approx(np.sqrt(kl / 2), rel=1e-14)


@pytest.mark.parametrize(("M", "N"), [(4096, 300.0), (1, 1.0)])
def test_early_stopped_model_is_the_bound_at_the_asymptotic_time(M, N):
    tau = max(1.0, (M * N / 4) ** 0.2)
    assert diffusion_early_stopped(M)(N) == pytest.approx(diffusion_random_features(M, tau)(N))


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=10**6), st.floats(min_value=1.0, max_value=1e8))
def test_any_training_time_is_at_least_the_minimum_over_times(M, N):
    # the early-stopped form plugs one particular tau in, so it can only be >= the exact minimum
    tau = np.logspace(0, 4, 400)
    kl = tau**4 / (M * N) + tau**3 / M**2 + 1 / tau
    best = np.sqrt((kl.min() + 1 / M) / 2)
    assert diffusion_early_stopped(M)(N) >= best * (1 - 1e-3)


def test_early_stopped_model_is_not_monotone_in_n_at_fixed_width():
    # tau ~ (M N)^(1/5) makes tau^3/M^2 grow like N^(3/5): the form holds only while M >> N^(2/3)
    error = diffusion_early_stopped(64)
    values = error(np.logspace(0, 10, 50))
    assert np.argmin(values) not in (0, len(values) - 1)
    assert not error.decreasing


def test_with_constants_replaces_values_and_keeps_the_formula():
    error = power_law(1.0, 0.2).with_constants(C=3.0)
    assert error.values[S.C] == 3.0 and error.expr == S.C * S.N**-S.alpha
    with pytest.raises(ValueError, match="unknown constant 'D'"):
        error.with_constants(D=1.0)
    with pytest.raises(ValueError, match="C"):
        error.with_constants(C=-1.0)


def test_user_expression_with_constants():
    error = from_expression("A/sqrt(N) + B", {"A": 2.0, "B": 0.5}, decreasing=True)
    assert error(16.0) == pytest.approx(1.0)
    assert error.epsilon.free_symbols == {S.N}
    assert from_expression(3 / sp.Symbol("N"))(3.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("make", "exception", "match"),
    [
        (lambda: power_law(0.0), ValueError, "C"),
        (lambda: power_law(1.0, -0.2), ValueError, "alpha"),
        (lambda: power_law("1"), TypeError, "C"),
        (lambda: diffusion_random_features(0, 10.0), ValueError, "M"),
        (lambda: diffusion_random_features(16, 0.5), ValueError, "tau"),
        (lambda: diffusion_random_features(16, 2.0, approx=-1), ValueError, "approx"),
        (lambda: from_expression("1 - N"), ValueError, "positive"),
        (lambda: from_expression("N/(N+1)", decreasing=True), ValueError, "decreasing"),
        (lambda: from_expression("x/N"), ValueError, "x"),
        (lambda: from_expression(42), TypeError, "expr"),
        (lambda: power_law()(np.array([1.0, 0.0])), ValueError, "N"),
    ],
)
def test_bad_inputs_raise_naming_the_parameter(make, exception, match):
    with pytest.raises(exception, match=match):
        make()

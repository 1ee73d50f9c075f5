"""The OU forward process, checked deterministically three ways (a wrong noise variance, e.g.
1 - e^(-t) for 1 - e^(-2t), fails each): sympy (the transition kernel solves the Fokker-Planck
equation), numerics (the variance ODE integrated by scipy) and the prior's invariance."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from empirical.diffusion import GaussianScore
from empirical.diffusion.process import mean_factor, noise_variance


def _wrong_variance(t):
    return -np.expm1(-np.asarray(t, dtype=float))  # 1 - e^(-t): the deliberate error


def _fokker_planck_residual(variance) -> sp.Expr:
    """d/dt p - d/dx (x p) - d^2/dx^2 p for p = N(x; e^(-t) x0, v(t)), simplified (0 iff p is the
    transition density of dx = -x dt + sqrt(2) dW)."""
    x, x0, t = sp.symbols("x x0 t", real=True)
    v = variance(t)
    p = sp.exp(-((x - sp.exp(-t) * x0) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    residual = sp.diff(p, t) - sp.diff(x * p, x) - sp.diff(p, x, 2)
    return sp.simplify(residual / p)


def test_transition_kernel_solves_the_fokker_planck_equation_symbolically():
    assert _fokker_planck_residual(lambda t: 1 - sp.exp(-2 * t)) == 0
    assert _fokker_planck_residual(lambda t: 1 - sp.exp(-t)) != 0  # negative control


def _variance_by_ode(times):
    """Var(x_t | x_0) from dV/dt = -2 V + 2, V(0) = 0 (Ito for dx = -x dt + sqrt(2) dW)."""
    sol = solve_ivp(
        lambda t, v: -2 * v + 2, (0, times[-1]), [0.0], t_eval=times, rtol=1e-12, atol=1e-14
    )
    return sol.y[0]


def test_noise_variance_is_the_variance_ode_solution_and_a_wrong_one_is_not():
    times = np.array([1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0])
    reference = _variance_by_ode(times)
    assert np.allclose(noise_variance(times), reference, rtol=1e-9, atol=1e-12)
    assert not np.allclose(_wrong_variance(times), reference, rtol=1e-3)
    assert np.allclose(mean_factor(times), np.exp(-times), rtol=1e-15)


@given(st.floats(1e-6, 20.0))
def test_the_prior_is_invariant_exactly(t):
    """x_0 ~ N(0, 1) gives Var x_t = e^(-2t) + sigma_t^2 = 1 at every t; 1 - e^(-t) does not."""
    assert mean_factor(t) ** 2 + noise_variance(t) == pytest.approx(1.0, abs=1e-14)


def test_wrong_variance_breaks_prior_invariance():
    t = np.array([0.1, 1.0])
    assert np.all(np.abs(mean_factor(t) ** 2 + _wrong_variance(t) - 1) > 0.05)


def test_gaussian_score_equals_the_derivative_of_the_convolved_log_density():
    """The exact score of p_t for p_0 = N(mu, s^2), against d/dx log p_t with p_t computed by
    quadrature of p_0 against the transition kernel N(x; e^(-t) x0, 1 - e^(-2t))."""
    mu, s, t = 0.7, 0.4, 0.3
    x0 = np.linspace(mu - 10 * s, mu + 10 * s, 20_001)
    p0 = np.exp(-0.5 * ((x0 - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    x = np.linspace(-2.0, 2.5, 9)
    v = 1 - np.exp(-2 * t)  # written out here, independent of process.noise_variance

    def log_pt(points):
        kern = np.exp(-0.5 * (points[:, None] - np.exp(-t) * x0) ** 2 / v) / np.sqrt(2 * np.pi * v)
        return np.log(np.trapezoid(kern * p0, x0, axis=1))

    h = 1e-4
    numeric = (log_pt(x + h) - log_pt(x - h)) / (2 * h)
    exact = GaussianScore([mu], [[s * s]])(x[:, None], t)[:, 0]
    assert np.allclose(exact, numeric, rtol=1e-6, atol=1e-8)

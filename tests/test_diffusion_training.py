"""Denoising score matching for the random-feature score and its closed-form gradient flow."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empirical.diffusion import (
    GaussianScore,
    NormalEquations,
    RandomFeatures,
    RandomFeatureScore,
    assemble,
    gradient_descent,
    gradient_flow,
    weighted_score_error,
)
from empirical.diffusion.process import mean_factor, noise_variance
from empirical.diffusion.training import check_tau

T, T0 = 5.0, 1e-3


def _equations(width=24, n=150, draws=4, seed=0):
    rng = np.random.default_rng(seed)
    features = RandomFeatures.draw(width, 1, rng, bias_scale=2.0)
    X = rng.normal(0.5, 0.8, size=(n, 1))
    return features, X, assemble(features, X, draws, T0, T, np.random.default_rng(seed + 1))


def _explicit_design(width, rows, dim, seed):
    """A random design: G = Phi^T Phi / P and B = Y^T Phi / P for rows phi_p and targets y_p."""
    rng = np.random.default_rng(seed)
    phi = np.maximum(rng.standard_normal((rows, width)), 0.0)
    Y = rng.standard_normal((rows, dim))
    eqs = NormalEquations(phi.T @ phi / rows, Y.T @ phi / rows, float(np.mean(Y * Y) * dim), rows)
    return phi, Y, eqs


def test_assembled_loss_equals_the_direct_weighted_denoising_loss():
    # 1200 * 8 rows in chunks of 1000 rows exercise the chunked accumulation
    rng = np.random.default_rng(5)
    features = RandomFeatures.draw(16, 1, rng)
    X = rng.normal(size=(1200, 1))
    eqs = assemble(features, X, 8, T0, T, np.random.default_rng(6), chunk_bytes=8 * 16 * 1000)
    # the same draws, in the same order, straight from the definition
    draw = np.random.default_rng(6)
    x0 = np.repeat(X, 8, axis=0)
    t = draw.uniform(T0, T, size=len(x0))
    z = draw.standard_normal(x0.shape)
    sigma = np.sqrt(noise_variance(t))[:, None]
    xt = mean_factor(t)[:, None] * x0 + sigma * z
    A = rng.standard_normal((1, 16))
    s = features(xt, t) @ A.T / 16
    direct = 0.5 * np.mean(np.sum((sigma * s + z) ** 2, axis=1))
    assert eqs.rows == len(x0)
    assert eqs.loss(A) == pytest.approx(direct, rel=1e-10)


def test_closed_form_flow_equals_small_step_gradient_descent():
    _, _, eqs = _equations()
    tau = 200.0
    exact = gradient_flow(eqs, tau)
    coarse = gradient_descent(eqs, tau, 4000)
    fine = gradient_descent(eqs, tau, 8000)
    err_coarse = np.abs(coarse - exact).max()
    err_fine = np.abs(fine - exact).max()
    assert err_fine < 1e-3 * np.abs(exact).max()
    # explicit Euler is first order: halving the step halves the error (ratio 2 up to O(eta))
    assert 1.8 < err_coarse / err_fine < 2.2


def test_gradient_descent_to_another_time_does_not_match_the_flow():
    # negative control: the comparison above is sensitive to tau
    _, _, eqs = _equations()
    exact = gradient_flow(eqs, 200.0)
    wrong = gradient_descent(eqs, 180.0, 8000)
    assert np.abs(wrong - exact).max() > 1e-2 * np.abs(exact).max()


def test_flow_at_zero_is_zero_and_at_infinity_is_the_minimum_norm_least_squares():
    width, rows = 40, 25  # fewer rows than features: the least-squares problem is underdetermined
    phi, Y, eqs = _explicit_design(width, rows, 2, seed=3)
    assert np.all(gradient_flow(eqs, 0.0) == 0.0)
    readout = gradient_flow(eqs, math.inf) / width  # s = (A / M) phi
    reference = np.linalg.lstsq(phi, Y, rcond=None)[0].T
    np.testing.assert_allclose(readout, reference, rtol=1e-6, atol=1e-8)
    # and the flow tends to it
    np.testing.assert_allclose(gradient_flow(eqs, 1e9) / width, reference, rtol=1e-4, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=1e4),
    st.floats(min_value=1e-3, max_value=1e4),
    st.integers(min_value=0, max_value=10**6),
)
def test_loss_decreases_along_the_flow(tau, extra, seed):
    _, _, eqs = _explicit_design(12, 30, 1, seed)
    before, after = eqs.loss(gradient_flow(eqs, tau)), eqs.loss(gradient_flow(eqs, tau + extra))
    assert after <= before + 1e-12 * max(1.0, abs(before))


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.0, max_value=1e3), st.floats(min_value=0.0, max_value=1e3))
def test_flow_is_a_semigroup(tau1, tau2):
    # A(tau1 + tau2) = e^{-H tau2}-evolution of A(tau1): A(t1 + t2) - A(t2) = A(t1) e^{-H t2}
    _, _, eqs = _explicit_design(10, 40, 1, seed=7)
    mu, V = np.linalg.eigh(eqs.kernel)
    propagator = (V * np.exp(-np.clip(mu, 0, None) * tau2)) @ V.T
    lhs = gradient_flow(eqs, tau1 + tau2) - gradient_flow(eqs, tau2)
    rhs = gradient_flow(eqs, tau1) @ propagator
    scale = max(1.0, np.abs(gradient_flow(eqs, tau1 + tau2)).max())
    assert np.abs(lhs - rhs).max() <= 1e-8 * scale


def test_learned_score_error_decreases_with_width_and_sample_size():
    """Gaussian truth N(0.5, 0.8^2): its forward scores are linear in x (``GaussianScore``).

    The sigma_t^2-weighted L2 error on the forward marginals, averaged over three seeds, falls
    as (M, N) grows; measured ~4.4e-3, 4.9e-4, 1.1e-4 (a factor ~9 then ~4.5). The evaluation
    sample is shared, and its Monte-Carlo error (20 000 draws) is far below these gaps.
    """
    from empirical.diffusion import DiffusionModel

    reference = GaussianScore([0.5], [[0.64]])
    x_eval = np.random.default_rng(99).normal(0.5, 0.8, size=(20_000, 1))
    errors = []
    for width, n in [(16, 100), (64, 1000), (256, 6000)]:
        runs = []
        for seed in range(3):
            X = np.random.default_rng(seed).normal(0.5, 0.8, size=(n, 1))
            model = DiffusionModel(
                width=width,
                tau=1e4,
                feature_seed=seed,
                draws=4,
                whiten=False,
                target="noise",
                bias_scale=2.0,
            )
            model.fit(X, np.random.default_rng(seed + 10))
            error_rng = np.random.default_rng(3)
            runs.append(weighted_score_error(model.score_, reference, x_eval, T0, T, error_rng))
        errors.append(np.mean(runs))
    assert errors[0] > 3 * errors[1] > 3 * 1.5 * errors[2]


def test_exact_score_has_zero_error_and_a_perturbed_one_does_not():
    reference = GaussianScore([0.5], [[0.64]])
    x0 = np.random.default_rng(1).normal(0.5, 0.8, size=(2000, 1))
    assert weighted_score_error(reference, reference, x0, T0, T, np.random.default_rng(2)) == 0.0

    def perturbed(x, t):
        return 1.01 * reference(x, t)

    assert weighted_score_error(perturbed, reference, x0, T0, T, np.random.default_rng(2)) > 0


def test_features_and_their_score_jacobian_agree_with_finite_differences():
    rng = np.random.default_rng(4)
    features = RandomFeatures.draw(30, 2, rng)
    score = RandomFeatureScore(features, rng.standard_normal((2, 30)))
    x = rng.standard_normal((5, 2))
    h = 1e-6
    numeric = np.stack(
        [(score(x + h * e, 0.7) - score(x - h * e, 0.7)) / (2 * h) for e in np.eye(2)], axis=2
    )
    np.testing.assert_allclose(score.jacobian(x, 0.7), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("tau", [-1.0, math.nan, "7", True])
def test_bad_tau_is_rejected_with_its_name(tau):
    with pytest.raises((ValueError, TypeError), match="tau"):
        check_tau(tau)

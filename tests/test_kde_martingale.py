"""The martingale (quadrature) KDE bound: pinned totals, exact special cases, the reused-sample
structure, and a Monte Carlo check of the pointwise mean square with a negative control."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from bounds.kde import GaussianTruth, kde_loop_bound
from bounds.kde_martingale import Block, augment_across_m, kde_martingale_bound, sample_blocks
from bounds.scenarios import Accumulate, Augment, Proportion, Replace


def _phi(x, mean, var):
    return np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


def _one_hot_reference(N, lam, s, h, G, mean=0.0, noise_factor=1.0):
    """(1/2) int sqrt(M_i) by scipy quadrature of the defining integrand, written out for
    replace/proportion with fresh data: E p_i is the mixture of THEORY §5, and the block drawn
    at generation j from source k contributes |B| ((1-lam)^(i-j)/N)^2 (phi_v^2 * A_k -
    (phi_v * A_k)^2) with v = (i-j+1) h^2 and phi_v^2 = phi_{v/2} / (2 sqrt(pi v))."""
    pops = [[(1.0, s * s)]]
    for i in range(1, G + 1):
        share = 1.0 if i == 1 else lam
        mixed = [(share * w, v) for w, v in pops[0]]
        mixed += [((1 - share) * w, v) for w, v in pops[i - 1]] if i > 1 else []
        pops.append([(w, v + h * h) for w, v in mixed if w > 0])
    totals = []
    for i in range(1, G + 1):

        def root(x, i=i):
            bias = sum(w * _phi(x, mean, v) for w, v in pops[i]) - _phi(x, mean, s * s)
            square = bias**2
            for j in range(1, i + 1):
                coefficient = (1 - lam) ** (i - j) / N
                v = (i - j + 1) * h * h
                for k, size in [(0, N)] if j == 1 else [(0, lam * N), (j - 1, (1 - lam) * N)]:
                    second = sum(w * _phi(x, mean, a + v / 2) for w, a in pops[k])
                    first = sum(w * _phi(x, mean, a + v) for w, a in pops[k])
                    square += (
                        noise_factor
                        * size
                        * coefficient**2
                        * (second / (2 * np.sqrt(np.pi * v)) - first**2)
                    )
            return np.sqrt(square)

        width = 40 * np.sqrt(s * s + G * h * h)
        value = integrate.quad(root, mean - width, mean + width, limit=500, epsabs=1e-13)[0]
        totals.append(value / 2)
    return np.array(totals)


def test_sympy_confirms_the_kernel_square_used_by_the_reference():
    x = sp.Symbol("x", real=True)
    v = sp.Symbol("v", positive=True)
    phi = sp.exp(-(x**2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    half = sp.exp(-(x**2) / v) / sp.sqrt(sp.pi * v)  # the N(0, v/2) density
    assert sp.simplify(phi**2 - half / (2 * sp.sqrt(sp.pi * v))) == 0


CASES = [(Replace(500), 0.0, 1.3, 0.3), (Proportion(400, 0.25), 0.25, 0.7, 0.2)]


@pytest.mark.parametrize(("scenario", "lam", "s_value", "h_value"), CASES)
def test_total_is_pinned_by_quadrature_of_the_defining_integral(scenario, lam, s_value, h_value):
    result = kde_martingale_bound(scenario, GaussianTruth.normal(0.5, s_value), h_value, 3)
    reference = _one_hot_reference(scenario.N, lam, s_value, h_value, 3, mean=0.5)
    np.testing.assert_allclose(result.total, reference, rtol=1e-6)
    # negative control: the same integral with half the noise term is far from the bound
    halved = _one_hot_reference(scenario.N, lam, s_value, h_value, 3, mean=0.5, noise_factor=0.5)
    assert np.all(np.abs(result.total / halved - 1) > 1e-2)


def test_generation_one_splits_into_the_linear_bounds_exact_parts():
    truth = GaussianTruth((0.4, 0.6), (-1.0, 1.5), (0.6, 1.1))
    martingale = kde_martingale_bound(Replace(300), truth, 0.25, 1)
    linear = kde_loop_bound(Replace(300), truth, 0.25, 1, variance="variance")
    one = kde_loop_bound(Replace(300), GaussianTruth.normal(0.0, 0.6), 0.25, 1)
    # ||K_h*p_0 - p_0||_1 is exact here (the linear bound only bounds it for a mixture)
    assert martingale.noise_total[0] == pytest.approx(linear.variance[0] / 2, rel=1e-6)
    assert martingale.population_tv[0] <= linear.bias / 2
    single = kde_martingale_bound(Replace(300), GaussianTruth.normal(0.0, 0.6), 0.25, 1)
    assert single.population_tv[0] == pytest.approx(one.bias / 2, rel=1e-6)
    assert martingale.total[0] <= (linear.bias + linear.variance[0]) / 2


@pytest.mark.parametrize("real", ["fresh", "fixed"])
def test_no_synthetic_data_repeats_generation_one(real):
    result = kde_martingale_bound(Augment(150, 0), GaussianTruth.normal(), 0.3, 5, real=real)
    np.testing.assert_allclose(result.total, result.total[0], rtol=1e-10)
    first = kde_martingale_bound(Replace(150), GaussianTruth.normal(), 0.3, 1)
    assert result.total[0] == pytest.approx(first.total[0], rel=1e-7)  # another grid


def test_blocks_follow_the_loops_sampling():
    assert sample_blocks(Proportion(10, 0.3), 3, "fixed")[:2] == [
        Block(0, 3, frozenset({1, 2, 3})),
        Block(0, 7, frozenset({1})),
    ]
    fresh = sample_blocks(Proportion(10, 0.3), 3, "fresh")
    assert [b.size for b in fresh if b.source == 0] == [10, 3, 3]
    kept = sample_blocks(Accumulate(5, 2), 4, "fresh")
    assert Block(1, 2, frozenset({2, 3, 4})) in kept and Block(3, 2, frozenset({4})) in kept
    with pytest.raises(ValueError, match="real"):
        sample_blocks(Replace(3), 2, "reused")


def test_a_fixed_real_set_adds_its_noise_coherently():
    truth, h_value = GaussianTruth.normal(), 0.3
    fresh = kde_martingale_bound(Augment(200, 400), truth, h_value, 6, real="fresh")
    fixed = kde_martingale_bound(Augment(200, 400), truth, h_value, 6, real="fixed")
    assert fixed.total[0] == pytest.approx(fresh.total[0], rel=1e-12)
    assert np.all(fixed.total[1:] > fresh.total[1:])
    np.testing.assert_allclose(fixed.population_tv, fresh.population_tv, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(20, 3000),
    st.floats(0.0, 1.0),
    st.floats(0.1, 1.0),
    st.sampled_from(["fresh", "fixed"]),
)
def test_lower_bound_prediction_and_bound_are_ordered(N, lam, h_value, real):
    result = kde_martingale_bound(Proportion(N, lam), GaussianTruth.normal(), h_value, 4, real=real)
    assert np.all(result.population_tv <= result.predicted * (1 + 1e-12))
    assert np.all(result.predicted <= result.total * (1 + 1e-12))
    assert np.all(np.isfinite(result.total)) and np.all(result.total > 0)


def _augment_fixed_at(x, n, m, h_value, generations, reps, rng):
    """p_G(x) for ``reps`` independent augment loops with a fixed real set (vectorised)."""
    real = rng.standard_normal((reps, n))
    points = real
    for _ in range(1, generations):
        pick = rng.integers(0, points.shape[1], (reps, m))
        synthetic = np.take_along_axis(points, pick, axis=1) + h_value * rng.standard_normal(
            (reps, m)
        )
        points = np.concatenate([real, synthetic], axis=1)
    return _phi(x, points, h_value**2).mean(axis=1)


def test_pointwise_mean_square_against_monte_carlo_and_the_fresh_formula():
    n, m, h_value, G, reps = 30, 60, 0.4, 4, 40_000
    truth = GaussianTruth.normal()
    fixed = kde_martingale_bound(Augment(n, m), truth, h_value, G, real="fixed")
    fresh = kde_martingale_bound(Augment(n, m), truth, h_value, G, real="fresh")
    k = int(np.argmin(np.abs(fixed.x)))
    x = fixed.x[k]
    assert fresh.x[k] == x
    errors = (
        _augment_fixed_at(x, n, m, h_value, G, reps, np.random.default_rng(7)) - _phi(x, 0, 1)
    ) ** 2
    mean, se = errors.mean(), errors.std(ddof=1) / np.sqrt(reps)
    z = stats.norm.ppf(1 - 1e-3 / 2)  # two one-sided checks, failure probability 1e-3 each
    assert mean - z * se <= fixed.mean_square[-1, k]  # the bound covers the fixed real set
    assert mean - z * se > fresh.mean_square[-1, k]  # treating it as fresh would not


def test_augment_across_m_fixed_bandwidth_follows_the_closed_form():
    n, i, s_value, h_value = 100, 5, 1.2, 0.3
    ms = [0, 100, 400, 3200]
    across = augment_across_m(n, ms, GaussianTruth.normal(0.0, s_value), h_value, i)
    lam = n / (n + np.asarray(ms, dtype=float))
    np.testing.assert_allclose(
        across.population_variance, s_value**2 + h_value**2 * (1 - (1 - lam) ** i) / lam, rtol=1e-12
    )
    assert np.all(np.diff(across.population_tv) > 0)  # with a fixed h the bias only compounds
    wrong = s_value**2 + h_value**2 * (1 - lam**i) / (1 - lam + 1e-300)  # shares swapped
    assert not np.allclose(across.population_variance[1:], wrong[1:], rtol=1e-3)


def test_augment_across_m_with_scott_rises_then_returns():
    n, i = 200, 5
    across = augment_across_m(n, [0, n, 4 * n, 1000 * n], GaussianTruth.normal(), "scott", i)
    v = across.population_variance
    assert v[1] > v[0] and v[2] > v[0] and v[3] < v[1]
    assert v[0] == pytest.approx(1 + n**-0.4, rel=1e-12)  # m = 0: A_i = A_1, h_1^2 = n^(-2/5)


def test_level_two_check_of_loops_with_a_fixed_real_set():
    from functools import partial

    from empirical.kde import KDE
    from empirical.loop import run_loop
    from empirical.truths import Gaussian
    from empirical.verify import check_expected_tv

    scenario, h_value, G = Augment(300, 600), 0.2, 4
    records = [
        r
        for seed in range(20)
        for r in run_loop(scenario, partial(KDE, h_value), Gaussian(0.0, 1.0), G, seed, "fixed")
    ]
    result = kde_martingale_bound(scenario, GaussianTruth.normal(), h_value, G, real="fixed")
    assert all(row["holds"] for row in check_expected_tv(records, result.total, 0.01))
    # negative control: the noise-free part alone is a lower bound, and the check says so
    rows = check_expected_tv(records, result.population_tv, 0.01)
    assert not any(row["holds"] for row in rows)


@pytest.mark.parametrize(
    ("call", "exception", "match"),
    [
        (
            lambda: kde_martingale_bound(Replace(10), GaussianTruth.normal(), 1e-5, 2),
            ValueError,
            "bandwidth",
        ),
        (
            lambda: kde_martingale_bound(Replace(10), GaussianTruth.normal(), 0.1, 2, real="x"),
            ValueError,
            "real",
        ),
        (lambda: kde_martingale_bound(Replace(10), "normal", 0.1, 2), TypeError, "truth"),
        (lambda: augment_across_m(10, [], GaussianTruth.normal(), 0.1, 2), ValueError, "ms"),
        (lambda: augment_across_m(10, [-1], GaussianTruth.normal(), 0.1, 2), ValueError, "m"),
    ],
)
def test_bad_inputs_raise_naming_the_parameter(call, exception, match):
    with pytest.raises(exception, match=match):
        call()


def test_bad_inputs_are_refused_by_name_with_the_limits():
    truth = GaussianTruth.normal()
    with pytest.raises(TypeError, match="scenario must be a Scenario"):
        sample_blocks(None, 3)
    with pytest.raises(ValueError, match=r"generations must be a whole number in \[1, 1000\]"):
        sample_blocks(Replace(10), 1e300)  # hung building the counts
    with pytest.raises(TypeError, match="real must be one of"):
        kde_martingale_bound(Replace(10), truth, 0.3, 2, real=[])
    with pytest.raises(ValueError, match="bandwidths in .* need a grid"):
        kde_martingale_bound(Replace(10), truth, 2.0**63, 2)  # overflowed sizing the FFT
    with pytest.raises(ValueError, match="ms must be a non-empty sequence"):
        augment_across_m(10, np.array(np.nan), truth, 0.3, 2)
    with pytest.raises(ValueError, match="generation must be"):
        augment_across_m(10, [0, 5], truth, 0.3, 0)

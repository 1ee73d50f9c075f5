"""KDE: agreement with scipy, mass 1, the binned FFT within its stated error, sampling, rules."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from scipy.stats import gaussian_kde

from empirical.kde import KDE
from empirical.model import Model
from empirical.tv import Grid, integrate


def _data(n=500, d=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    if d == 2:
        x = x @ np.array([[1.0, 0.6], [0.0, 1.5]]) + [1.0, -1.0]
    return x


def test_fixed_bandwidth_matches_scipy_gaussian_kde():
    X = _data(800)
    h = 0.3
    ours = KDE(h).fit(X)
    ref = gaussian_kde(X[:, 0], bw_method=h / X[:, 0].std(ddof=1))  # kernel sd = factor * sd = h
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(ours.pdf(x), ref(x), rtol=1e-10)
    np.testing.assert_allclose(ours.logpdf(x), ref.logpdf(x), rtol=1e-10)
    assert isinstance(ours, Model)


def test_scott_rule_matches_scipy_in_two_dimensions():
    X = _data(600, d=2)
    ours = KDE("scott").fit(X)
    ref = gaussian_kde(X.T)
    np.testing.assert_allclose(ours.covariance_, ref.covariance, rtol=1e-12)
    x = np.random.default_rng(1).normal(size=(30, 2)) * 2
    np.testing.assert_allclose(ours.pdf(x), ref(x.T), rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(1e-3, 1e3), rule=st.sampled_from(["scott", "silverman"]))
def test_rules_scale_with_the_data(scale, rule):
    X = _data(300, d=2, seed=2)
    a = KDE(rule).fit(X)
    b = KDE(rule).fit(scale * X)
    np.testing.assert_allclose(b.covariance_, scale**2 * a.covariance_, rtol=1e-9)
    x = np.array([[0.5, -0.5], [1.0, 0.0]])
    np.testing.assert_allclose(b.pdf(scale * x), a.pdf(x) / scale**2, rtol=1e-9)


def test_silverman_is_robust_to_an_outlier_where_scott_is_not():
    X = _data(1000)
    with_outlier = np.vstack([X, [[1000.0]]])
    change = {
        r: KDE(r).fit(with_outlier).covariance_[0, 0] / KDE(r).fit(X).covariance_[0, 0]
        for r in ("scott", "silverman")
    }
    assert change["silverman"] < 1.01
    assert change["scott"] > 100


@pytest.mark.parametrize("d", [1, 2])
def test_density_integrates_to_one(d):
    X = _data(400, d=d)
    kde = KDE(0.25).fit(X)
    lo, hi = kde.bounding_box(1e-12)
    grid = Grid(lo, hi, (4097,) if d == 1 else (257, 257))
    values, _ = kde.grid_pdf(grid, exact=True)
    # the trapezoid rule is spectrally accurate for a Gaussian mixture decaying at the box edges
    assert integrate(values, grid) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    "d, shape, box",
    [
        (1, (2049,), ([-5.0], [5.0])),
        (1, (513,), ([-2.0], [3.0])),
        (2, (129, 129), ([-4, -7], [6, 5])),
    ],
)
def test_binned_fft_matches_the_exact_sum_within_its_stated_error(d, shape, box):
    # the second case puts data outside the box (their kernels are then added exactly)
    kde = KDE(0.3).fit(_data(3000, d=d, seed=3))
    grid = Grid(*box, shape)
    fast, bound = kde.grid_pdf(grid, method="fft")
    exact, _ = kde.grid_pdf(grid, exact=True)
    l1 = integrate(np.abs(fast - exact), grid)
    assert l1 <= bound
    # the reported error is the leading binning error, which grid_pdf also subtracts: the
    # remaining error is of higher order, far below it; the estimate itself is small here
    assert bound < 5e-3 and 0 < l1 < bound / 10


def test_fft_error_estimate_shrinks_with_the_square_of_the_spacing():
    kde = KDE(0.3).fit(_data(500))
    coarse = Grid(-5.0, 5.0, 513)
    ratio = kde.grid_pdf(coarse, method="fft")[1] / kde.grid_pdf(coarse.refined(), method="fft")[1]
    assert 3.6 < ratio < 4.4  # leading-order term D^2 / 2 ... : ratio 4 up to binning noise


def test_fft_error_estimate_is_below_its_a_priori_bound():
    # int |E| <= sum_k (D_k^2 / 8) 4 phi(1) (H^{-1})_kk, with int |u^2 - 1| phi(u) du = 4 phi(1)
    kde = KDE("scott").fit(_data(2000, d=2, seed=9))
    grid = Grid([-5.0, -8.0], [7.0, 6.0], 65)
    four_phi_1 = 4 * math.exp(-0.5) / math.sqrt(2 * math.pi)
    a_priori = np.sum(grid.spacing**2 / 8 * four_phi_1 * np.diag(np.linalg.inv(kde.covariance_)))
    assert kde.grid_pdf(grid)[1] <= a_priori


@pytest.mark.parametrize(
    "d, n, h, shape",
    [
        (1, 40, 0.4, (513,)),
        (1, 40, 0.02, (2049,)),
        (2, 89, 0.4, (129, 97)),
        (2, 89, 0.05, (97, 97)),
    ],
)
def test_product_density_is_the_exact_sum(d, n, h, shape):
    kde = KDE(h).fit(_data(n, d=d, seed=10))
    grid = Grid([-4.0] * d, [3.0] * d, shape)  # some data fall outside the box: still exact
    values, error = kde.grid_pdf(grid, method="product")
    exact, _ = kde.grid_pdf(grid, exact=True)
    # only kernel values beyond 12 sds (below e^-72 of a kernel's peak) are left out
    assert 0 < error < 1e-30
    np.testing.assert_allclose(values, exact, rtol=1e-12, atol=1e-28 * exact.max())
    rounding = 1e-14 * integrate(exact, grid)
    assert integrate(np.abs(values - exact), grid) <= error + rounding


def test_auto_takes_the_product_for_few_points_and_the_fft_for_many():
    grid = Grid([-6.0, -6.0], [6.0, 6.0], 257)
    few, many = KDE(0.75).fit(_data(89, d=2)), KDE(0.75).fit(_data(5000, d=2))
    assert few.grid_pdf(grid)[1] < 1e-30  # the product: exact up to 12-sd windows
    assert many.grid_pdf(grid)[1] > 1e-12  # binned FFT, with its binning error
    with pytest.raises(ValueError, match="diagonal"):
        KDE("scott").fit(_data(50, d=2)).grid_pdf(grid, method="product")
    with pytest.raises(ValueError, match="method"):
        few.grid_pdf(grid, method="direct")


def test_kernel_spectra_are_cached_across_models_with_the_same_bandwidth():
    from empirical.kde import _spectra

    grid = Grid(-5.0, 5.0, 1025)
    _spectra.cache_clear()
    for seed in range(3):
        KDE(0.2).fit(_data(1000, seed=seed)).grid_pdf(grid, method="fft")
    info = _spectra.cache_info()
    assert info.misses == 1 and info.hits == 2


def test_truncated_kernel_changes_the_density_below_the_reported_error():
    # kernels cut at 12 sds (a few hundred nodes of 4097): still within the stated error
    X = _data(2000, seed=11)
    kde = KDE(0.05).fit(X)
    grid = Grid(-4.0, 4.0, 4097)
    values, error = kde.grid_pdf(grid, method="fft")
    exact, _ = kde.grid_pdf(grid, exact=True)
    assert integrate(np.abs(values - exact), grid) <= error
    assert kde._half_widths(grid)[0] < grid.shape[0] - 1  # the kernel is truncated here


def test_samples_follow_the_kde_cdf():
    X = _data(200, seed=4)
    kde = KDE(0.4).fit(X)
    draws = kde.sample(5000, np.random.default_rng(5))[:, 0]

    def cdf(x):
        return special.ndtr((np.asarray(x)[:, None] - X[:, 0]) / 0.4).mean(axis=1)

    # fixed seed; rejects at p < 1e-3 (a correct sampler fails with probability 1e-3 over seeds)
    assert stats.kstest(draws, cdf).pvalue > 1e-3
    # negative control: the same test rejects a sampler whose noise is twice too wide
    rng = np.random.default_rng(5)
    wrong = X[rng.integers(0, 200, 5000), 0] + 0.8 * rng.standard_normal(5000)
    assert stats.kstest(wrong, cdf).pvalue < 1e-3


def test_sample_moments_in_two_dimensions():
    X = _data(300, d=2, seed=6)
    kde = KDE("silverman").fit(X)
    n = 40_000
    draws = kde.sample(n, np.random.default_rng(7))
    mean = X.mean(axis=0)
    cov = np.cov(X, rowvar=False, ddof=0) + kde.covariance_
    # each coordinate mean: sd sqrt(cov_kk / n); 4.5 sd gives failure probability < 1e-5
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 4.5 * np.sqrt(np.diag(cov) / n))
    # sample covariance entries: sd <= sqrt(2 * max var^2 / n) for a near-Gaussian law
    # (a generous 6 sd margin covers the KDE's heavier-than-Gaussian fourth moment)
    tol = 6 * math.sqrt(2 / n) * np.max(np.diag(cov))
    assert np.all(np.abs(np.cov(draws, rowvar=False) - cov) < tol)


def test_same_seed_same_samples():
    kde = KDE("scott").fit(_data(100, d=2))
    assert (
        kde.sample(50, np.random.default_rng(8)).tobytes()
        == kde.sample(50, np.random.default_rng(8)).tobytes()
    )


def test_logpdf_stays_finite_far_in_the_tails():
    kde = KDE(0.1).fit(_data(100))
    far = np.array([50.0])
    assert kde.pdf(far)[0] == 0.0
    assert np.isfinite(kde.logpdf(far)[0])
    x0 = kde.data_[:, 0].max()
    expected = -0.5 * ((50 - x0) / 0.1) ** 2 - math.log(100 * 0.1 * math.sqrt(2 * math.pi))
    assert kde.logpdf(far)[0] == pytest.approx(expected, rel=1e-6)


def test_outside_mass_is_exact_in_one_dimension():
    kde = KDE(0.5).fit(_data(50))
    expected = (
        stats.norm.cdf(-1.0, kde.data_[:, 0], 0.5).mean()
        + stats.norm.sf(2.0, kde.data_[:, 0], 0.5).mean()
    )
    assert kde.outside_mass(-1.0, 2.0) == pytest.approx(expected, rel=1e-12)


def test_bad_input_is_rejected_with_the_parameter_name():
    with pytest.raises(ValueError, match="bandwidth"):
        KDE("normal_reference")
    with pytest.raises(ValueError, match="bandwidth"):
        KDE(-0.1)
    with pytest.raises(ValueError, match="X must be"):
        KDE().fit(np.array([[np.nan]]))
    with pytest.raises(RuntimeError, match="not fitted"):
        KDE().pdf([0.0])
    with pytest.raises(ValueError, match="grid must have dim"):
        KDE(1.0).fit(_data(10)).grid_pdf(Grid([0, 0], [1, 1], 5))


def test_large_spectra_are_not_kept(monkeypatch):
    import empirical.kde as kde_module

    grid = Grid(-5.0, 5.0, 1025)
    kde = KDE(0.2).fit(_data(300))
    kde_module._spectra.cache_clear()
    monkeypatch.setattr(kde_module, "_CACHE_BYTES", 0)
    small_cache, _ = kde.grid_pdf(grid, method="fft")
    assert kde_module._spectra.cache_info().currsize == 0
    monkeypatch.undo()
    cached, _ = kde.grid_pdf(grid, method="fft")
    assert kde_module._spectra.cache_info().currsize == 1
    assert cached.tobytes() == small_cache.tobytes()


def test_outside_mass_and_tails_refuse_bad_boxes():
    """Issue 12: KDE.outside_mass(lo=nan) gave a number (0.0996 for this fit), tail=5e-324 an
    infinite box; far from the data logpdf is -inf (log 0), never NaN."""
    kde = KDE(0.3).fit(np.random.default_rng(0).normal(size=(20, 1)))
    for lo, hi in ((math.nan, 1.0), (-1.0, math.inf), (1.0, -1.0), ("a", 1.0), ([], 1.0)):
        with pytest.raises((ValueError, TypeError), match="lo|hi|box"):
            kde.outside_mass(lo, hi)
    with pytest.raises(ValueError, match="tail"):
        kde.bounding_box(tail=5e-324)
    assert kde.logpdf([[1e300]])[0] == -math.inf
    with pytest.raises(ValueError, match="bandwidth"):
        KDE(5e-324)  # its square, the kernel variance, would be 0
    with pytest.raises(TypeError, match="rng"):
        KDE(0.3).fit(np.zeros((3, 1)), rng=0)

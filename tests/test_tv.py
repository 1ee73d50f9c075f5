"""TV: closed forms within the reported error, metric properties, Monte Carlo coverage."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from bounds import validate
from empirical.kde import KDE
from empirical.truths import Bump, Gaussian, GaussianMixture
from empirical.tv import (
    Grid,
    check_values,
    tv,
    tv_monte_carlo,
    tv_on_checked_grid,
    tv_on_grid,
)


def _equal_variance_tv(shift: float, sd: float) -> float:
    """TV(N(0, s^2 I), N(mu, s^2 I)) = 2 Phi(|mu| / (2 s)) - 1 in every dimension."""
    return 2 * special.ndtr(shift / (2 * sd)) - 1


@settings(max_examples=15, deadline=None)
@given(shift=st.floats(0.0, 8.0), sd=st.floats(0.1, 5.0))
def test_one_dimensional_gaussians_within_reported_error_below_1e4(shift, sd):
    est = tv(Gaussian(0.0, sd**2), Gaussian(shift * sd, sd**2))
    assert est.error <= 1e-4
    assert abs(est.value - _equal_variance_tv(shift * sd, sd)) <= est.error


def test_two_dimensional_gaussians_within_reported_error():
    est = tv(Gaussian([0.0, 0.0]), Gaussian([0.6, 0.8]))
    assert est.error <= 1e-3
    assert abs(est.value - _equal_variance_tv(1.0, 1.0)) <= est.error


def test_disjoint_bumps_are_at_distance_one():
    est = tv(Bump(0.0, 1.0), Bump(3.0, 1.0))
    assert abs(est.value - 1.0) <= est.error <= 1e-4


mixtures = st.builds(
    lambda w, m1, m2, v: GaussianMixture([w, 1 - w], [m1, m2], [v, 1.0]),
    st.floats(0.05, 0.95),
    st.floats(-3, 3),
    st.floats(-3, 3),
    st.floats(0.2, 3.0),
)


@settings(max_examples=10, deadline=None)
@given(p=mixtures, q=mixtures)
def test_tv_is_symmetric_bounded_and_zero_on_the_diagonal(p, q):
    pq, qp = tv(p, q), tv(q, p)
    assert 0 <= pq.value <= 1
    assert abs(pq.value - qp.value) <= pq.error + qp.error
    assert tv(p, p).value == 0.0


def test_reported_quadrature_error_covers_the_true_error_on_coarse_grids():
    p, q = Gaussian(0.0, 1.0), Gaussian(0.7, 1.0)
    exact = _equal_variance_tv(0.7, 1.0)
    for n in (17, 33, 65, 129):
        grid = Grid(-9.0, 9.0, n)
        value, error = tv_on_grid(p.pdf(grid.points()), q.pdf(grid.points()), grid)
        assert abs(value - exact) <= error


def test_kde_against_its_truth_counts_the_fft_error():
    kde = KDE(0.2).fit(Gaussian(0.0, 1.0).sample(2000, np.random.default_rng(0)))
    fast = tv(kde, Gaussian(0.0, 1.0))
    lo, hi = kde.bounding_box(1e-9)
    grid = Grid(lo, hi, 8193)
    exact_values, _ = kde.grid_pdf(grid, exact=True)
    reference, ref_error = tv_on_grid(exact_values, Gaussian(0.0, 1.0).pdf(grid.points()), grid)
    assert fast.error <= 1e-4
    assert abs(fast.value - reference) <= fast.error + ref_error


def test_monte_carlo_interval_covers_the_exact_value_in_three_dimensions():
    p, q = Gaussian(np.zeros(3)), Gaussian([0.5, 0.5, 0.5])
    exact = _equal_variance_tv(math.sqrt(0.75), 1.0)
    # 99.9% interval with a fixed seed: a correct estimator misses with probability 1e-3
    est = tv(p, q, rng=np.random.default_rng(1), samples=50_000, confidence=0.999)
    assert est.method == "monte-carlo"
    assert est.low <= exact <= est.high
    assert est.error < 0.01
    # negative control: the interval does not cover a wrong value 0.02 away
    assert not est.low <= exact + 0.02 <= est.high


def test_monte_carlo_is_symmetric_within_its_intervals():
    p, q = Gaussian(np.zeros(3)), GaussianMixture([0.5, 0.5], [[1, 0, 0], [-1, 0, 0]])
    a = tv_monte_carlo(p, q, 40_000, np.random.default_rng(2), confidence=0.999)
    b = tv_monte_carlo(q, p, 40_000, np.random.default_rng(3), confidence=0.999)
    assert abs(a.value - b.value) <= a.error + b.error


def test_bad_input():
    with pytest.raises(ValueError, match="must have dimension 1"):
        tv(Gaussian(0.0), Gaussian([0.0, 0.0]))
    with pytest.raises(ValueError, match="rng"):
        tv(Gaussian(np.zeros(3)), Gaussian(np.ones(3)))
    with pytest.raises(ValueError, match="odd"):
        Grid(0.0, 1.0, 10)
    with pytest.raises(ValueError, match="tol"):
        tv(Gaussian(0.0), Gaussian(1.0), tol=0)
    with pytest.raises(ValueError, match="confidence"):
        tv_monte_carlo(Gaussian(0.0), Gaussian(1.0), 10, np.random.default_rng(), confidence=1.0)


def test_nan_densities_on_a_grid_are_refused_not_read_as_tv_0():
    """Issue 12: tv_on_grid treated NaN densities as TV 0."""
    grid = Grid(-1.0, 1.0, (5,))
    p = np.full(5, 0.5)
    with pytest.raises(ValueError, match="q_values"):
        tv_on_grid(p, np.full(5, math.nan), grid)
    with pytest.raises(TypeError, match="grid"):
        tv_on_grid(p, p, None)


def test_the_checked_grid_path_gives_the_numbers_of_tv_on_grid():
    grid = Grid(np.array([-3.0, -2.0]), np.array([3.0, 2.0]), (41, 33))
    rng = np.random.default_rng(5)
    p, q = rng.random(grid.shape), rng.random(grid.shape)
    assert tv_on_checked_grid(p, q, grid) == tv_on_grid(p, q, grid)
    assert tv_on_checked_grid(p, q, grid) != tv_on_grid(p, q[::-1], grid)  # control


def test_values_are_checked_without_a_copy_and_never_written():
    """check_values reads the caller's float array itself (copy=False); the TV leaves it as is."""
    grid = Grid(np.array([0.0]), np.array([1.0]), (9,))
    values = np.linspace(0.0, 1.0, 9)
    before = values.copy()
    assert check_values("values", values, grid) is values
    assert validate.array("values", values) is not values  # the default still copies
    tv_on_grid(values, before[::-1].copy(), grid)
    np.testing.assert_array_equal(values, before)
    ints = np.arange(9)
    assert check_values("values", ints, grid).dtype == float  # other dtypes are converted

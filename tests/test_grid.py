"""Grid resolution: refuse grids too coarse for the density (the h = 1e-4 case), build grids
whose errors meet the tolerance, and boxes that hold a loop's spread."""

import numpy as np
import pytest

from bounds import Replace
from empirical.grid import (
    a_priori_error,
    check_resolution,
    grid_for,
    length_scale_of,
    loop_grid,
    refined_to_resolve,
    spread_box,
)
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.truths import Blobs, Gaussian
from empirical.tv import Grid, integrate, tv_on_grid


def _kde(h: float, n: int = 100, seed: int = 0) -> KDE:
    return KDE(h).fit(Gaussian(0.0, 1.0).sample(n, np.random.default_rng(seed)))


def test_the_loop_grid_at_bandwidth_1e_4_is_refused():
    # the reported case: bandwidth 1e-4, N = 100, a 1-D Gaussian truth. On the loop's default
    # grid (8193 nodes) a kernel is one node wide and the TV error bar meant nothing (~240); the
    # loop now refines its grid to resolve the bandwidth, and the default grid is refused here
    records = run_loop(Replace(100), lambda: KDE(1e-4), Gaussian(0.0, 1.0), 1, seed=0)
    assert records[0]["grid"]["shape"] == [2**20 + 1] and records[0]["delta_error"] < 1e-3
    lo, hi = records[0]["grid"]["lo"], records[0]["grid"]["hi"]
    grid = Grid(lo, hi, (8193,))
    with pytest.raises(ValueError, match="too coarse .* length scale 0.0001"):
        check_resolution(grid, length_scale_of(_kde(1e-4)), 1e-3)
    with pytest.raises(ValueError, match="needs .* more than max_points"):
        grid_for(grid.lo, grid.hi, 1e-4, tol=1e-3)


def test_a_grid_built_for_bandwidth_1e_4_meets_its_tolerance():
    tol = 1e-3
    p, q = _kde(1e-4, 50, 1), _kde(1e-4, 50, 2)
    p.data_ *= 1e-3  # 50 points within a few thousandths: a box the cap allows
    q.data_ *= 1e-3
    lo = np.minimum(p.bounding_box(1e-12)[0], q.bounding_box(1e-12)[0])
    hi = np.maximum(p.bounding_box(1e-12)[1], q.bounding_box(1e-12)[1])
    grid = grid_for(lo, hi, 1e-4, tol=tol)
    check_resolution(grid, 1e-4, tol)
    pv, p_err = p.grid_pdf(grid, method="fft")
    qv, q_err = q.grid_pdf(grid, method="fft")
    exact, _ = p.grid_pdf(grid, exact=True)
    assert p_err <= tol and integrate(np.abs(pv - exact), grid) <= p_err
    _, quad = tv_on_grid(pv, qv, grid)
    assert quad <= tol
    # negative control: the same box at 24 times the spacing is badly wrong
    coarse = Grid(lo, hi, 4 * (grid.shape[0] // 96) + 1)
    bad, _ = p.grid_pdf(coarse, method="fft")
    exact_coarse, _ = p.grid_pdf(coarse, exact=True)
    assert integrate(np.abs(bad - exact_coarse), coarse) > 10 * tol
    with pytest.raises(ValueError, match="too coarse"):
        check_resolution(coarse, 1e-4, tol)


@pytest.mark.parametrize("ratio", [0.05, 0.1, 0.2])
def test_a_priori_error_bounds_the_reported_errors(ratio):
    p, q = _kde(0.3, 400, 3), _kde(0.3, 400, 4)
    grid = Grid(-5.0, 5.0, 4 * round(2.5 / (0.3 * ratio)) + 1)
    bound = a_priori_error(grid.spacing, 0.3)
    pv, p_err = p.grid_pdf(grid, method="fft")
    qv, _ = q.grid_pdf(grid, method="fft")
    assert p_err <= bound
    assert tv_on_grid(pv, qv, grid)[1] <= bound


def test_spread_box_holds_a_replace_loop():
    h, n, generations = 0.5, 200, 30
    truth = Gaussian(0.0, 1.0)
    lo, hi = spread_box(*truth.bounding_box(1e-10), h, generations, 1e-10)
    rng = np.random.default_rng(5)
    X = truth.sample(n, rng)
    for _ in range(generations):
        model = KDE(h).fit(X)
        X = model.sample(n, rng)
    assert model.outside_mass(lo, hi) < 1e-8
    # negative control: the truth's own box leaves much of generation 30 outside
    assert model.outside_mass(*truth.bounding_box(1e-10)) > 1e-3


def test_loop_grid_for_the_blobs_experiment():
    truth = Blobs(3, seed=0)
    grid = loop_grid(truth, 0.75, 30, tol=0.025)
    lo, hi = truth.bounding_box(1e-10)
    assert np.all(grid.lo < lo) and np.all(grid.hi > hi)
    assert a_priori_error(grid.spacing, 0.75) <= 0.025
    assert grid.size < 600**2


def test_loop_grid_from_a_start_grid_keeps_its_nodes():
    truth = Blobs(3, seed=0)
    start = Grid([-12.0, -10.0], [9.0, 11.0], (257, 257))
    grid = loop_grid(truth, 0.75, 30, tol=0.02, start=start, tail=1e-10)
    base = refined_to_resolve(start, 0.75, 0.02)
    assert np.allclose(grid.spacing, base.spacing, rtol=1e-12, atol=0)
    offset = (base.lo - grid.lo) / grid.spacing  # base's first node, counted from the grid's
    assert np.allclose(offset, np.round(offset), atol=1e-6) and np.all(np.round(offset) % 4 == 0)
    assert all(n % 4 == 1 for n in grid.shape)
    lo, hi = spread_box(*truth.bounding_box(1e-10), 0.75, 30, 1e-10)
    assert np.all(grid.lo <= lo) and np.all(grid.hi >= hi)
    # extended by no more than it takes: less than 4 cells past the spread box on each side
    assert np.all(grid.lo > lo - 4 * grid.spacing) and np.all(grid.hi < hi + 4 * grid.spacing)
    with pytest.raises(ValueError, match="max_points"):
        loop_grid(truth, 0.75, 30, tol=0.02, start=start, max_points=500**2)
    with pytest.raises(TypeError, match="start"):
        loop_grid(truth, 0.75, 30, start=Grid(0.0, 1.0, 5))


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="length_scale"):
        a_priori_error(0.1, 0.0)
    with pytest.raises(TypeError, match="length_scale"):
        length_scale_of(object())
    with pytest.raises(ValueError, match="generations"):
        spread_box(0.0, 1.0, 0.1, 0)
    with pytest.raises(ValueError, match="box"):
        grid_for(1.0, 0.0, 0.1)


def test_refined_to_resolve_halves_the_spacing_or_refuses():
    grid = Grid(-1.0, 1.0, 65)
    assert refined_to_resolve(grid, 1.0, 1e-3) is grid
    finer = refined_to_resolve(grid, 0.01, 1e-3)
    assert np.all(finer.lo == grid.lo) and np.all(finer.hi == grid.hi)
    assert a_priori_error(finer.spacing, 0.01) <= 1e-3
    assert a_priori_error(finer.coarsened().spacing, 0.01) > 1e-3  # the coarsest that passes
    with pytest.raises(ValueError, match="too coarse"):
        refined_to_resolve(grid, 1e-4, 1e-3, max_points=10**5)

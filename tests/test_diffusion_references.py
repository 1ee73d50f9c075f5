"""The fast paths of the diffusion model against independent slow references.

- ``Pushforward1D``'s step-by-step inversion against F's forward-tracked breakpoints (evaluated
  here by the per-run search the density used to do) and against the sampler itself;
- ``banded_gaussian_sum`` (factorised exponentials) against direct sums of exponentials, and the
  SDE grid density against a recursion written with them and with dense score calls;
- ``assemble`` against the unchunked definition, at several chunk sizes, and its memory.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from empirical.diffusion import (
    DiffusionModel,
    Pushforward1D,
    RandomFeatures,
    RandomFeatureScore,
    SDEGridDensity1D,
    assemble,
    ode_flow_by_pieces,
    time_grid,
)
from empirical.diffusion.gauss_sum import BAND_SDS, banded_gaussian_sum
from empirical.diffusion.process import mean_factor, noise_variance
from empirical.diffusion.training import MIN_CHUNK_ROWS, posterior_noise

T, T0 = 5.0, 1e-3


def _score(seed: int, width: int, scale: float) -> RandomFeatureScore:
    rng = np.random.default_rng(seed)
    features = RandomFeatures.draw(width, 1, rng, bias_scale=2.0)
    return RandomFeatureScore(features, scale * rng.standard_normal((1, width)))


def _breakpoint_pdf(push: Pushforward1D, y: np.ndarray) -> np.ndarray:
    """sum over monotone runs of F's tracked pieces of pi(z) / |F'| at the preimage in the run."""
    z_, y_, slope_ = push.z_, push.y_, push.slope_
    out = np.zeros_like(y)
    sign = np.sign(slope_)
    cuts = np.flatnonzero(np.diff(sign)) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(slope_)], strict=True):
        ys = y_[start : stop + 1]
        # a decreasing run is searched in reverse order
        order = slice(None) if slope_[start] > 0 else slice(None, None, -1)
        pos = np.searchsorted(ys[order], y, side="left" if order.step else "right")
        hit = (pos > 0) & (pos < len(ys))
        pos = np.clip(pos - 1, 0, len(ys) - 2)
        i = start + (pos if order.step is None else len(ys) - 2 - pos)
        z = z_[i] + (y - y_[i]) / slope_[i]
        out += np.where(hit, np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) / np.abs(slope_[i]), 0.0)
    return out


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(4, 40),
    st.floats(0.1, 1.5),
    st.integers(5, 60),
)
def test_inverted_ode_density_equals_the_breakpoint_density(seed, width, scale, steps):
    score, grid = _score(seed, width, scale), time_grid(T, T0, steps)
    push = Pushforward1D(score, grid)
    assume(push.monotone_)
    y = np.random.default_rng(seed).uniform(-4.0, 4.0, size=300)
    reference = _breakpoint_pdf(push, y)
    np.testing.assert_allclose(push.pdf(y), reference, rtol=1e-10, atol=1e-300)
    # the preimages are the sampler's: F(z) = y through the Euler steps themselves
    z, _ = push.invert(y)
    inside = np.abs(z) < push.radius
    pushed = ode_flow_by_pieces(score, z[inside, None], grid)[:, 0]
    np.testing.assert_allclose(pushed, y[inside], rtol=1e-10, atol=1e-12)
    # the CDF: Phi(z) - Phi(-L) on [-L, L]
    np.testing.assert_allclose(
        push.cdf(y), ndtr(np.clip(z, -push.radius, push.radius)) - ndtr(-push.radius), atol=1e-15
    )


def test_breakpoint_reference_rejects_a_slightly_different_score():
    # negative control: a readout 1e-6 off moves the density far beyond the tolerance above
    score, grid = _score(3, 24, 1.0), time_grid(T, T0, 40)
    off = RandomFeatureScore(score.features, (1 + 1e-6) * score.readout)
    y = np.linspace(-3.0, 3.0, 200)
    exact = Pushforward1D(score, grid).pdf(y)
    moved = _breakpoint_pdf(Pushforward1D(off, grid), y)
    assert np.max(np.abs(moved - exact)[exact > 0] / exact[exact > 0]) > 1e-8


class _AffineScore:
    """s(x, t) = slope x + intercept, the same at every t: no kinks, one affine piece."""

    def __init__(self, slope: float, intercept: float) -> None:
        self.slope, self.intercept = slope, intercept

    def pieces(self, t: float):
        return np.empty(0), np.array([self.slope]), np.array([self.intercept])


def test_a_decreasing_affine_map_takes_the_breakpoint_path_and_is_exact():
    """Every step x -> x + h (x + s x + c) with factor 1 + h (1 + s) = -0.8: F(z) = a z + b with
    a = (-0.8)^9 < 0 over 9 steps, so the output law is N(b, a^2) and the CDF is reversed."""
    grid = time_grid(T, T0, 9)
    h = -np.diff(grid)[0]
    score = _AffineScore(-1.8 / h - 1.0, 0.3)
    push = Pushforward1D(score, grid)
    assert not push.monotone_
    a, b = 1.0, 0.0
    for step in -np.diff(grid):
        factor = 1 + step * (1 + score.slope)
        a, b = factor * a, factor * b + step * score.intercept
    assert a < 0
    z = np.linspace(-4, 4, 101)
    y = a * z + b
    np.testing.assert_allclose(
        push.pdf(y), np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) / abs(a), rtol=1e-9
    )
    np.testing.assert_allclose(push.cdf(y), ndtr(push.radius) - ndtr(z), atol=1e-12)


def _direct_gaussian_sum(nodes, means, variance, mass, within_reach, offset=0, step=None):
    """Every (node, mean) pair of the band rule, one exponential each (``offset``: every band
    starts that many nodes later, a wrong rule for the negative controls). ``step``: the grid's
    spacing as given to the sum (default nodes[1] - nodes[0])."""
    sd = np.sqrt(variance)
    step = nodes[1] - nodes[0] if step is None else step
    diff = nodes[:, None] - means[None, :]
    if within_reach:
        use = np.abs(diff) <= BAND_SDS * sd
    else:
        band = int(np.ceil(2.0 * BAND_SDS * sd / step)) + 1
        first = np.ceil((means - BAND_SDS * sd - nodes[0]) / step)
        k = np.arange(len(nodes))[:, None] - first[None, :] - offset
        use = (k >= 0) & (k < band)
    terms = np.where(use, mass * np.exp(-0.5 * diff * diff / variance), 0.0)
    return terms.sum(axis=1) / np.sqrt(2 * np.pi * variance)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(20, 300),
    st.floats(0.2, 30.0),
    st.booleans(),
)
def test_banded_gaussian_sum_equals_the_direct_sum(seed, count, sds_per_step, within_reach):
    rng = np.random.default_rng(seed)
    lo, step = rng.uniform(-5, 0), rng.uniform(0.01, 0.1)
    nodes = lo + step * np.arange(count)
    variance = (sds_per_step * step) ** 2
    span = nodes[-1] - nodes[0]
    means = rng.uniform(nodes[0] - 0.3 * span, nodes[-1] + 0.3 * span, size=150)
    mass = rng.exponential(size=150)
    fast = banded_gaussian_sum(lo, step, count, means, variance, mass, within_reach)
    direct = _direct_gaussian_sum(nodes, means, variance, mass, within_reach)
    np.testing.assert_allclose(fast, direct, rtol=1e-12, atol=1e-300)


def _transition_means(nodes, slope, wiggle, shift):
    """A smooth image of the nodes, as a transition step's drift is: slopes below 1 crowd
    several means into one starting node, above 1 leave nodes without one."""
    return shift + slope * nodes + wiggle * np.sin(3.0 * nodes)


@pytest.mark.parametrize("slope", [0.3, 0.97, 1.6])
@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10**6), st.integers(80, 400), st.floats(0.0, 0.1), st.floats(2.0, 20.0))
def test_banded_gaussian_sum_by_columns_equals_the_direct_sum(slope, seed, count, wiggle, sds):
    """Means from a smooth map of the nodes (the transition steps' case) go through the
    diagonal sum over columns, the crowded ones (slope < 1) through the scattered sum (0.3:
    many) or one exponential each (0.97: few); every value agrees with the direct sum of the
    band rule."""
    rng = np.random.default_rng(seed)
    lo, step = rng.uniform(-5, 0), rng.uniform(0.01, 0.1)
    nodes = lo + step * np.arange(count)
    variance = (sds * step) ** 2
    means = _transition_means(nodes, slope, wiggle * (1 - slope) ** 2, rng.uniform(-0.5, 0.5))
    mass = rng.exponential(size=count) * np.exp(-0.5 * ((nodes - nodes.mean()) / 2.0) ** 2)
    fast = banded_gaussian_sum(lo, step, count, means, variance, mass)
    direct = _direct_gaussian_sum(nodes, means, variance, mass, False, step=step)
    np.testing.assert_allclose(fast, direct, rtol=1e-12, atol=1e-300)


def test_banded_gaussian_sum_by_columns_rejects_a_band_one_node_late():
    # negative control: the band rule with every band one node later (its first node dropped,
    # one beyond its end added) is told apart from the sum at the tolerance above
    nodes = -4.0 + 0.02 * np.arange(400)
    variance = (5 * 0.02) ** 2
    means = _transition_means(nodes, 0.8, 0.05, 0.1)
    mass = np.where(np.abs(nodes) < 0.5, 1.0, 0.0)  # the nodes past the bands' ends see it
    fast = banded_gaussian_sum(nodes[0], 0.02, 400, means, variance, mass)
    late = _direct_gaussian_sum(nodes, means, variance, mass, within_reach=False, offset=1)
    exact = _direct_gaussian_sum(nodes, means, variance, mass, within_reach=False)
    np.testing.assert_allclose(fast, exact, rtol=1e-12, atol=1e-300)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(fast, late, rtol=1e-12, atol=1e-300)


def test_banded_gaussian_sum_check_rejects_a_narrower_band():
    # negative control: summing over 7 sds instead of 8 leaves e^{-24.5} ~ 2e-11 of a component
    rng = np.random.default_rng(1)
    nodes = np.linspace(-3, 3, 200)
    means, mass, variance = rng.uniform(-4, 4, 300), rng.exponential(size=300), 0.05**2
    fast = banded_gaussian_sum(nodes[0], nodes[1] - nodes[0], 200, means, variance, mass, True)
    diff = nodes[:, None] - means[None, :]
    narrow = np.where(np.abs(diff) <= 7 * 0.05, mass * np.exp(-0.5 * diff**2 / variance), 0.0)
    narrow = narrow.sum(axis=1) / np.sqrt(2 * np.pi * variance)
    assert np.max(np.abs(fast / narrow - 1)) > 1e-12


def test_sde_grid_density_equals_a_direct_recursion():
    """The recursion of ``SDEGridDensity1D`` written with dense score calls and direct sums, for a
    trained score (a random one lets the mass leave the nodes)."""
    X = np.random.default_rng(4).normal(0.5, 0.8, size=(300, 1))
    model = DiffusionModel(width=32, steps=30, feature_seed=1, tau=1e4, target="noise")
    score, grid = model.fit(X, np.random.default_rng(5)).score_, model.grid
    density = SDEGridDensity1D(score, grid)
    assert abs(density.mass_ - 1.0) < 1e-3
    steps = -np.diff(grid)
    spacing = min(0.02, float(np.sqrt(2.0 * steps.min())) / 4.0)
    nodes = np.linspace(-8.0, 8.0, int(np.ceil(16.0 / spacing)) + 1)
    lattice = nodes[0] + (nodes[1] - nodes[0]) * np.arange(len(nodes))  # the kernels' nodes
    quad = np.full(len(nodes), nodes[1] - nodes[0])
    quad[[0, -1]] *= 0.5
    p = np.exp(-0.5 * nodes**2) / np.sqrt(2 * np.pi)
    drift = [
        nodes + h * (nodes + 2.0 * score(nodes[:, None], t)[:, 0])
        for t, h in zip(grid[:-1], steps, strict=True)
    ]
    for means, h in zip(drift[:-1], steps[:-1], strict=True):
        p = _direct_gaussian_sum(lattice, means, 2.0 * h, quad * p, within_reach=False)
    np.testing.assert_allclose(density.means_, drift[-1], rtol=1e-12, atol=1e-12)
    reference = quad * p
    # relative 1e-12 down to 1e-100 of the largest weight (in the far tails the roundings of
    # exponents of order -500 drift further apart)
    np.testing.assert_allclose(
        density.weights_, reference, rtol=1e-12, atol=1e-100 * reference.max()
    )
    # its output density on a grid (banded) and at scattered points (by nearest means) agree
    y = np.linspace(-5, 5, 1001)
    np.testing.assert_allclose(density.pdf(y), density.pdf(y[::-1])[::-1], rtol=1e-12)


def _posterior_direct(xt, t, X):
    """The definition: softmax weights over the rows of X, one (rows, N, d) difference array."""
    a = mean_factor(t)[:, None, None]
    var = noise_variance(t)[:, None]
    diff = a * X[None, :, :] - xt[:, None, :]
    logw = -0.5 * np.sum(diff * diff, axis=2) / var
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("rn,rnd->rd", w, diff) / np.sqrt(var)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 3), st.integers(1, 400))
def test_posterior_noise_equals_its_definition(seed, dim, chunk_rows):
    rng = np.random.default_rng(seed)
    X = rng.normal(0.3, 1.2, size=(50, dim))
    t = np.concatenate([[T0, T], rng.uniform(T0, T, size=98)])
    x0 = X[rng.integers(0, 50, size=100)]
    xt = mean_factor(t)[:, None] * x0 + np.sqrt(noise_variance(t))[:, None] * rng.normal(
        size=(100, dim)
    )
    fast = posterior_noise(xt, t, X, chunk_bytes=8 * 50 * chunk_rows)
    np.testing.assert_allclose(fast, _posterior_direct(xt, t, X), rtol=1e-10, atol=1e-11)


def _definition(features, X, draws, rng_seed, target):
    """G, B and the target energy from all rows at once, as the module docstring defines them."""
    draw = np.random.default_rng(rng_seed)
    x0 = np.repeat(X, draws, axis=0)
    t = draw.uniform(T0, T, size=len(x0))
    z = draw.standard_normal(x0.shape)
    sigma = np.sqrt(noise_variance(t))[:, None]
    xt = mean_factor(t)[:, None] * x0 + sigma * z
    y = -z if target == "noise" else _posterior_direct(xt, t, X)
    weighted = sigma * features(xt, t)
    rows = len(x0)
    return weighted.T @ weighted / rows, y.T @ weighted / rows, float(np.sum(y * y)) / rows


@pytest.mark.parametrize("target", ["noise", "empirical"])
@pytest.mark.parametrize("dim", [1, 2])
def test_assembly_equals_the_definition_at_every_chunk_size(target, dim):
    rng = np.random.default_rng(7)
    features = RandomFeatures.draw(40, dim, rng)
    X = rng.normal(size=(90, dim))
    G, B, energy = _definition(features, X, 4, 8, target)
    for chunk_bytes in (1, 8 * 40 * 300, 2**24):  # 256 rows a chunk (the floor), 300, all 360
        eqs = assemble(features, X, 4, T0, T, np.random.default_rng(8), target, chunk_bytes)
        assert np.array_equal(eqs.G, eqs.G.T)
        np.testing.assert_allclose(eqs.G, G, rtol=0, atol=1e-13 * np.abs(G).max())
        np.testing.assert_allclose(eqs.B, B, rtol=0, atol=1e-12 * np.abs(B).max())
        assert eqs.target_energy == pytest.approx(energy, rel=1e-12)
    # negative control: the same rows without the weight sigma give other equations
    unweighted = assemble(features, X, 4, T0, T, np.random.default_rng(9), target)
    assert np.abs(unweighted.G - G).max() > 1e-3 * np.abs(G).max()


def test_assembly_memory_beyond_G_is_bounded_by_the_chunk():
    """The traced peak minus G (M^2 floats) stays within a few chunk budgets plus the per-row
    draws, whatever M: it may not grow with M by more than the M x M matrix."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 1))
    chunk = 2**18
    extra = []
    for width in (128, 512):
        features = RandomFeatures.draw(width, 1, rng)
        tracemalloc.start()
        assemble(features, X, 8, T0, T, np.random.default_rng(3), "empirical", chunk)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        extra.append(peak - 8 * width * width)
    rows = 500 * 8
    block = max(chunk, 8 * MIN_CHUNK_ROWS * 512)  # the largest (rows x M) block of a chunk
    assert max(extra) <= 4 * block + 8 * 8 * rows
    # (rows x M) temporaries would add 8 rows (512 - 128) bytes = 12 MiB: far above this bound
    assert extra[1] - extra[0] < 8 * rows * (512 - 128) / 4


def test_pieces_of_all_steps_at_once_equal_the_pieces_of_each_step():
    score = _score(11, 50, 1.0)
    times = np.linspace(T, T0, 41)
    stacked = score.pieces_at(times)
    for k, t in enumerate(times):
        for together, alone in zip(stacked, score.pieces(t), strict=True):
            assert np.array_equal(together[k], alone)

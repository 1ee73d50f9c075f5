"""Truths: densities against scipy, sampling against exact CDFs, boxes against their tail mass."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from empirical.model import Density
from empirical.truths import Bump, Gaussian, GaussianMixture

# Every KS test below uses a fixed seed and rejects at p < 1e-3: were the sampler correct, each
# would fail with probability 1e-3 over seeds; with a fixed seed the outcome is deterministic.
KS_LEVEL = 1e-3


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_gaussian_pdf_and_logpdf_match_scipy(d, seed):
    rng = np.random.default_rng(seed)
    mean, cov = rng.normal(size=d), _spd(rng, d)
    truth = Gaussian(mean, cov)
    x = rng.normal(size=(7, d)) * 2
    ref = stats.multivariate_normal(mean, cov)
    np.testing.assert_allclose(truth.pdf(x), ref.pdf(x), rtol=1e-12)
    np.testing.assert_allclose(truth.logpdf(x), ref.logpdf(x), rtol=1e-12, atol=1e-12)


def test_mixture_pdf_is_weighted_sum_of_scipy_components():
    mix = GaussianMixture(
        [0.2, 0.5, 0.3], [[-2, 0], [1, 1], [0, -3]], [1.0, [0.5, 2.0], [[1, 0.3], [0.3, 1]]]
    )
    x = np.random.default_rng(1).normal(size=(9, 2)) * 2
    ref = (
        0.2 * stats.multivariate_normal([-2, 0], np.eye(2)).pdf(x)
        + 0.5 * stats.multivariate_normal([1, 1], np.diag([0.5, 2.0])).pdf(x)
        + 0.3 * stats.multivariate_normal([0, -3], [[1, 0.3], [0.3, 1]]).pdf(x)
    )
    np.testing.assert_allclose(mix.pdf(x), ref, rtol=1e-12)
    np.testing.assert_allclose(mix.logpdf(x), np.log(ref), rtol=1e-12)


@pytest.mark.parametrize(
    "truth", [Gaussian(1.0, 4.0), GaussianMixture([0.3, 0.7], [-2, 1], [1, 0.25]), Bump(0.5, 2.0)]
)
def test_one_dimensional_truths_integrate_to_one(truth):
    lo, hi = truth.bounding_box(1e-13)
    mass, _ = integrate.quad(
        lambda x: truth.pdf([x])[0], lo[0], hi[0], points=[0.0, 1.0], limit=200
    )
    assert abs(mass - 1) < 1e-9
    assert isinstance(truth, Density)


def test_bump_is_zero_outside_its_support_and_positive_inside():
    bump = Bump([0.0, 1.0], 0.5)
    assert np.all(bump.pdf([[0.51, 1.0], [0.0, 1.5], [-0.6, 1.0]]) == 0)
    assert np.all(bump.pdf([[0.49, 1.0], [0.0, 0.7]]) > 0)
    assert bump.outside_mass(*bump.bounding_box()) == 0
    # the 2-D density is the product of two 1-D bumps
    one = Bump(0.0, 0.5)
    x = np.array([[0.1, 1.2], [-0.3, 0.9]])
    np.testing.assert_allclose(bump.pdf(x), one.pdf(x[:, :1]) * one.pdf(x[:, 1:] - 1.0), rtol=1e-12)


def _ks(samples: np.ndarray, cdf) -> float:
    return stats.kstest(samples, cdf).pvalue


def test_gaussian_samples_follow_the_marginal_cdfs():
    truth = Gaussian([1.0, -2.0], [[2.0, 0.8], [0.8, 1.0]])
    x = truth.sample(4000, np.random.default_rng(3))
    assert x.shape == (4000, 2)
    assert _ks(x[:, 0], stats.norm(1.0, math.sqrt(2.0)).cdf) > KS_LEVEL
    assert _ks(x[:, 1], stats.norm(-2.0, 1.0).cdf) > KS_LEVEL
    # the projection on (1, -1) has variance 2 + 1 - 2 * 0.8 = 1.4: checks the correlation
    assert _ks(x[:, 0] - x[:, 1], stats.norm(3.0, math.sqrt(1.4)).cdf) > KS_LEVEL


def test_mixture_and_bump_samples_follow_their_cdfs():
    mix = GaussianMixture([0.3, 0.7], [-2.0, 1.0], [1.0, 0.25])
    cdf = lambda x: 0.3 * stats.norm.cdf(x, -2, 1) + 0.7 * stats.norm.cdf(x, 1, 0.5)  # noqa: E731
    assert _ks(mix.sample(4000, np.random.default_rng(4))[:, 0], cdf) > KS_LEVEL
    bump = Bump(0.5, 2.0)
    xs = np.sort(bump.sample(3000, np.random.default_rng(5))[:, 0])
    bump_cdf = np.vectorize(lambda x: 1 - bump.outside_mass(-10.0, x))
    assert _ks(xs, bump_cdf) > KS_LEVEL


def test_shifted_cdf_is_rejected_by_the_same_ks_check():
    # negative control: the KS check above has power against a small shift of the truth
    x = Gaussian(0.0, 1.0).sample(4000, np.random.default_rng(6))[:, 0]
    assert _ks(x, stats.norm(0.1, 1.0).cdf) < KS_LEVEL


@pytest.mark.parametrize(
    "truth", [Gaussian([0.0, 1.0], 2.0), GaussianMixture([0.5, 0.5], [-1, 1]), Bump(0.0)]
)
def test_same_seed_same_bytes(truth):
    a = truth.sample(100, np.random.default_rng(7))
    b = truth.sample(100, np.random.default_rng(7))
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("tail", [1e-3, 1e-9])
def test_bounding_box_leaves_at_most_tail_outside(tail):
    g = Gaussian(2.0, 9.0)
    lo, hi = g.bounding_box(tail)
    exact = stats.norm.cdf(lo[0], 2, 3) + stats.norm.sf(hi[0], 2, 3)
    assert exact == pytest.approx(tail, rel=1e-6)
    assert g.outside_mass(lo, hi) == pytest.approx(exact, rel=1e-9)
    mix = GaussianMixture([0.4, 0.6], [[0, 0], [3, -1]], [1.0, 2.0])
    assert mix.outside_mass(*mix.bounding_box(tail)) <= tail * (1 + 1e-9)


def test_bad_parameters_name_themselves():
    with pytest.raises(ValueError, match="cov"):
        Gaussian([0, 0], [[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="weights"):
        GaussianMixture([0.5, 0.6], [0, 1])
    with pytest.raises(ValueError, match="radius"):
        Bump(0.0, -1.0)
    with pytest.raises(ValueError, match="x must have shape"):
        Gaussian([0, 0]).pdf(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="rng"):
        Gaussian(0.0).sample(3, 42)
    with pytest.raises(ValueError, match="size"):
        Gaussian(0.0).sample(-1, np.random.default_rng())


# -- blobs, splits and the registry ---------------------------------------------------------------
def _examples():
    from empirical.truths import TRUTHS

    return [
        TRUTHS["gaussian"]([0.5, -1.0], [[2.0, 0.3], [0.3, 1.0]]),
        TRUTHS["mixture"]([0.3, 0.7], [[-1.0], [2.0]], [0.5, 2.0], "even"),
        TRUTHS["blobs"](4, dim=3, seed=5, split="even"),
        TRUTHS["bump"]([0.0, 1.0], 2.0),
        TRUTHS["moons"](0.2),
        TRUTHS["circles"](0.1, 0.5, "even"),
    ]


@pytest.mark.parametrize("truth", _examples(), ids=lambda t: type(t).__name__)
def test_parameters_are_json_and_rebuild_the_same_truth(truth):
    import json

    params = json.loads(json.dumps(truth.parameters()))
    again = type(truth)(**params)
    x = truth.sample(50, np.random.default_rng(2))
    assert again.pdf(x).tobytes() == truth.pdf(x).tobytes()
    assert (
        again.sample(20, np.random.default_rng(3)).tobytes()
        == truth.sample(20, np.random.default_rng(3)).tobytes()
    )
    assert truth.length_scale > 0
    assert isinstance(truth, Density)


def test_registry_holds_every_truth_class():
    from empirical.truths import TRUTHS

    assert set(TRUTHS) == {"gaussian", "mixture", "blobs", "bump", "moons", "circles"}
    assert all(isinstance(cls, type) for cls in TRUTHS.values())


def test_blobs_draws_its_centres_in_the_box_and_matches_make_blobs_counts():
    from sklearn.datasets import make_blobs

    from empirical.points import draw_labels
    from empirical.truths import Blobs

    blobs = Blobs(3, low=-10.0, high=10.0, sd=1.0, seed=4)
    assert blobs.centers.shape == (3, 2)
    assert np.all((blobs.centers >= -10) & (blobs.centers <= 10))
    assert Blobs(3, seed=4).centers.tobytes() == blobs.centers.tobytes()
    for n in (89, 100, 301):
        _, y = make_blobs(n_samples=n, centers=3, random_state=0)
        labels = draw_labels(n, np.full(3, 1 / 3), "even", np.random.default_rng(0))
        assert np.bincount(labels, minlength=3).tolist() == np.bincount(y, minlength=3).tolist()
    # random split: i.i.d. labels, so the counts vary with the seed
    counts = {
        tuple(np.bincount(draw_labels(90, np.full(3, 1 / 3), "random", r), minlength=3))
        for r in map(np.random.default_rng, range(5))
    }
    assert len(counts) > 1


def test_even_split_of_unequal_weights_uses_largest_remainders():
    from empirical.points import draw_labels

    labels = draw_labels(10, np.array([0.25, 0.5, 0.25]), "even", np.random.default_rng(1))
    assert np.bincount(labels).tolist() == [3, 5, 2]  # 2.5, 5, 2.5: the tie goes to the first


def test_moments_are_exact():
    mix = GaussianMixture([0.3, 0.7], [[-1.0, 0.0], [2.0, 1.0]], [0.5, [1.0, 2.0]])
    x = np.array([[-1.0, 0.0], [2.0, 1.0]])
    mean, cov = mix.moments()
    np.testing.assert_allclose(mean, [1.1, 0.7])
    second = 0.3 * (0.5 * np.eye(2) + np.outer(x[0], x[0])) + 0.7 * (
        np.diag([1.0, 2.0]) + np.outer(x[1], x[1])
    )
    np.testing.assert_allclose(cov, second - np.outer(mean, mean))
    bump = Bump(1.0, 2.0)
    var, _ = integrate.quad(lambda t: (t - 1.0) ** 2 * bump.pdf([t])[0], -1.0, 3.0)
    assert bump.moments()[1][0, 0] == pytest.approx(var, rel=1e-9)


def test_bad_blobs_parameters_name_themselves():
    from empirical.truths import Blobs

    with pytest.raises(ValueError, match="centers"):
        Blobs(0)
    with pytest.raises(ValueError, match="sd"):
        Blobs(3, sd=0.0)
    with pytest.raises(ValueError, match="low must be < high"):
        Blobs(3, low=1.0, high=1.0)
    with pytest.raises(ValueError, match="dim"):
        Blobs([[0.0, 1.0]], dim=3)
    with pytest.raises(ValueError, match="split"):
        GaussianMixture([1.0], [0.0], 1.0, "halves")


@pytest.mark.parametrize(
    "truth",
    [
        Gaussian(0.5, 2.0),
        Gaussian([0.0, 1.0], [1.0, 0.5]),
        Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 0.5]]),  # not diagonal: pdf at every node
        GaussianMixture([0.3, 0.7], [[-1.0, 0.0], [2.0, 1.0]], [0.5, [1.0, 2.0]]),
        GaussianMixture([0.4, 0.6], [-1.0, 2.0], [0.5, 2.0]),
    ],
)
def test_grid_pdf_is_the_pdf_at_the_nodes(truth):
    from empirical.tv import Grid

    grid = Grid([-4.0] * truth.dim, [5.0] * truth.dim, 33)
    values, error = truth.grid_pdf(grid)
    assert error == 0 and values.shape == grid.shape
    np.testing.assert_allclose(values.ravel(), truth.pdf(grid.points()), rtol=1e-12, atol=1e-300)


def test_bad_parameters_and_boxes_are_refused_by_name():
    """Issue 12: Gaussian(mean=[]) was a 0-dimensional Gaussian, tail=5e-324 gave an infinite
    box, an integer beyond the float range raised OverflowError."""
    for bad, word in (([], "mean"), (10**400, "mean"), ("abc", "mean"), ([1, math.nan], "mean")):
        with pytest.raises((ValueError, TypeError), match=word):
            Gaussian(mean=bad)
    with pytest.raises(ValueError, match="cov"):
        Gaussian(mean=0.0, cov=10**400)
    for truth in (Gaussian(0.0), GaussianMixture([0.5, 0.5], [-1.0, 1.0])):
        with pytest.raises(ValueError, match="tail"):
            truth.bounding_box(tail=5e-324)
        lo, hi = truth.bounding_box(tail=1e-300)  # the smallest tail allowed: a finite box
        assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
        with pytest.raises(ValueError, match="lo"):
            truth.outside_mass(math.nan, 1.0)
    with pytest.raises(ValueError, match="size"):
        Gaussian(0.0).sample(10**9, np.random.default_rng(0))  # 8 GB: refused by its limit

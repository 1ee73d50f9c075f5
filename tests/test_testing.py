"""The assertion helpers pass on runs that hold, and fail naming what failed on runs that do not."""

import pytest

from bounds import Augment, Replace
from bounds.kde import GaussianTruth
from bounds.kde_martingale import kde_martingale_bound
from empirical.loop import run
from empirical.spec import MODELS, TRUTHS, RunSpec
from empirical.testing import (
    assert_bound_dominates,
    assert_calibrated_bound_holds,
    assert_reproducible,
    assert_theorem_r,
)

KDE = MODELS.component("kde", bandwidth=0.3)
NORMAL = TRUTHS.component("gaussian", mean=0.0, cov=1.0)


@pytest.fixture(scope="module")
def records():
    return run(RunSpec(Replace(300), KDE, NORMAL, 4, 0))


def test_theorem_r_passes_and_a_tampered_run_fails(records):
    assert_theorem_r(records)
    tampered = [dict(r) for r in records]
    tampered[2]["delta"] += 0.5
    with pytest.raises(AssertionError, match="violated at generation 3"):
        assert_theorem_r(tampered)
    noisy = [dict(r, delta_error=1.0) for r in records]
    with pytest.raises(AssertionError, match="inconclusive"):
        assert_theorem_r(noisy)
    assert_theorem_r(noisy, allow_inconclusive=True)


def test_a_bound_below_the_measurements_fails():
    runs = [r for s in range(40) for r in run(RunSpec(Replace(200), KDE, NORMAL, 2, s, "fresh"))]
    bound = kde_martingale_bound(Replace(200), GaussianTruth.normal(), 0.3, 2).total
    assert_bound_dominates(runs, bound)
    with pytest.raises(AssertionError, match="the bound on E delta_i"):
        assert_bound_dominates(runs, bound / 10)  # negative control: a bound ten times too small


def test_calibrated_bound_and_reproducibility(records):
    calibration = [r for r in records if r["generation"] == 1]
    held_out = run(RunSpec(Augment(300, 300), KDE, NORMAL, 3, 1))
    assert_calibrated_bound_holds(calibration, held_out, 0.2)
    with pytest.raises(AssertionError, match="calibrated bound"):
        assert_calibrated_bound_holds([dict(r, epsilon=1e-6) for r in calibration], held_out, 0.2)
    assert_reproducible(records)
    changed = [dict(r) for r in records]
    changed[1]["delta"] += 1e-12
    with pytest.raises(AssertionError, match="other records"):
        assert_reproducible(changed)

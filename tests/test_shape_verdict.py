"""The rise-and-fall verdict: supported on a bump, refused on a dip, calibrated on flat curves."""

import numpy as np
import pytest

from empirical.verify import check_rise_and_fall

X = np.array([0.0, 0.25, 1.0, 4.0, 16.0, 64.0])


def curves(shape, seeds, noise, seed):
    rng = np.random.default_rng(seed)
    return shape + noise * rng.standard_normal((seeds, shape.size))


def test_a_true_bump_is_supported_with_its_peak_located():
    bump = np.array([0.05, 0.06, 0.08, 0.09, 0.07, 0.055])
    result = check_rise_and_fall(X, curves(bump, 200, 0.01, 0))
    assert result["outcome"] == "supported"
    assert result["tested_peak_x"] == 4.0
    lo, hi = result["peak_interval"]
    assert lo <= 4.0 <= hi


def test_a_dip_is_not_supported():
    # the negative control: fall then rise (a fixed-bandwidth KDE's shape) must not pass
    dip = np.array([0.07, 0.06, 0.05, 0.05, 0.055, 0.06])
    assert check_rise_and_fall(X, curves(dip, 200, 0.005, 1))["outcome"] == "not supported"


def test_flat_curves_are_rarely_called_a_bump():
    # no effect: "supported" needs two one-sided errors at once, each at most p/4 = 0.0025, so
    # over 400 trials more than 6 false calls would happen with probability < 1e-4 if calibrated
    flat = np.full(X.size, 0.06)
    calls = sum(
        check_rise_and_fall(X, curves(flat, 40, 0.01, seed), bootstrap=10)["outcome"] == "supported"
        for seed in range(400)
    )
    assert calls <= 6


@pytest.mark.parametrize(
    ("x", "values", "match"),
    [
        (X[:2], np.zeros((10, 2)), "len"),
        (X, np.zeros((3, X.size)), "at least 4"),
        (X, np.full((10, X.size), np.nan), "finite"),
    ],
)
def test_bad_curves_are_refused(x, values, match):
    with pytest.raises(ValueError, match=match):
        check_rise_and_fall(x, values)

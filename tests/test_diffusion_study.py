"""Theorem 1 measured (empirical.diffusion.study) and its calibrated error model in bounds."""

import math

import numpy as np
import pytest

from bounds.errors import diffusion_calibrated


def test_calibrated_diffusion_model_uses_its_measured_constants():
    model = diffusion_calibrated(256, 1e4, 2e-12, 0.0, 0.3, 0.0, 1e-3, "calibrated on test runs")
    n = np.array([100.0, 1000.0])
    kl = 2e-12 * 1e16 / (256 * n) + 0.3 / 1e4 + 1e-3
    assert np.allclose(model(n), np.sqrt(kl / 2), rtol=1e-12)
    assert model.provenance == "calibrated on test runs"
    assert model.with_constants(e_floor=0.0)(1e3) < model(1e3)  # a zero constant is allowed
    with pytest.raises(ValueError, match="provenance"):
        diffusion_calibrated(256, 1e4, 1.0, 0, 0, 0, 0, "assumed")
    with pytest.raises(ValueError, match="at least one constant"):
        diffusion_calibrated(256, 1e4, 0, 0, 0, 0, 0, "calibrated on nothing")
    with pytest.raises(ValueError, match="tau"):
        diffusion_calibrated(256, math.inf, 1, 0, 0, 0, 0, "calibrated on x")

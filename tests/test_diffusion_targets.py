"""The learning targets on the report's truth 1/2 N(-1.5, 0.5) + 1/2 N(1.5, 0.5) (variances 0.5)
at N = 1000 with the default model, on two seeds (the report runs five).

Measured over five seeds (docs/diffusion.md): generation-1 TV 0.031 +- 0.0035 (sd 0.008 per seed),
peak ratio <= 1.09. The mean of two seeds has sd ~0.0055, so the TV threshold 0.05 sits 3.4 sd
above the mean: a fresh pair of seeds fails with probability <= 8% by Cantelli's inequality
(~3e-4 if Gaussian); the seeds here are fixed, so the test is deterministic.
"""

import numpy as np

from empirical.diffusion import DiffusionModel, RandomFeatures
from empirical.diffusion import model as model_module
from empirical.truths import GaussianMixture
from empirical.tv import tv

TRUTH = GaussianMixture([0.5, 0.5], [[-1.5], [1.5]], [0.5, 0.5])
TV_TARGET, PEAK_TARGET = 0.05, 1.3
Y = np.linspace(-6, 6, 4001)[:, None]


def _generation_one(seeds=(0, 1)) -> tuple[float, float]:
    """Mean TV(p_1, p_0) and the largest peak ratio max p_1 / max p_0 over ``seeds``."""
    tvs, peaks = [], []
    for seed in seeds:
        X = TRUTH.sample(1000, np.random.default_rng(seed))
        model = DiffusionModel().fit(X, np.random.default_rng(100 + seed))
        tvs.append(tv(model, TRUTH).value)
        peaks.append(model.pdf(Y).max() / TRUTH.pdf(Y).max())
    return float(np.mean(tvs)), float(max(peaks))


def test_default_model_meets_the_generation_one_targets():
    mean_tv, peak = _generation_one()
    print(f"generation-1 TV {mean_tv:.4f}, peak ratio {peak:.3f}")
    assert mean_tv <= TV_TARGET
    assert peak <= PEAK_TARGET


def test_a_broken_feature_scale_misses_the_targets(monkeypatch):
    """Negative control: W x 100 puts every kink -b/w within ~1% of 0, so the features span
    little more than relu(x) and relu(-x); the same check must fail."""
    draw = RandomFeatures.draw

    def broken(width, dim, rng, bias_scale=1.0):
        good = draw(width, dim, rng, bias_scale)
        return RandomFeatures(100.0 * good.W, good.U)

    monkeypatch.setattr(model_module.RandomFeatures, "draw", staticmethod(broken))
    mean_tv, peak = _generation_one(seeds=(0,))
    print(f"broken scaling: generation-1 TV {mean_tv:.4f}, peak ratio {peak:.3f}")
    assert mean_tv > TV_TARGET or peak > PEAK_TARGET

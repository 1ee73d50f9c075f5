"""Theorem 1 measured (empirical.diffusion.study) and its calibrated error model in bounds."""

import json
import math

import numpy as np
import pytest

from bounds.errors import diffusion_calibrated
from empirical.diffusion import study


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


def _records(tv_of, sizes=(100, 10_000), widths=(100, 10_000), taus=None, seeds=(0,)):
    taus = [10 ** (k / 4) for k in range(41)] if taus is None else taus
    return [
        {"N": n, "M": m, "tau": t, "seed": s, "tv": tv_of(n, m, t, s), "score_error": 0.0}
        for n in sizes
        for m in widths
        for t in taus
        for s in seeds
    ]


def test_nnls_recovers_the_terms_that_generated_the_data_and_flags_the_others_vacuous():
    def tv_of(n, m, t, s):
        return math.sqrt((0.5 / t + 30.0 / m + 1e-3) / 2)  # KL = 2 TV^2

    fit = study.fit_theorem_terms(_records(tv_of))
    a, b, c, d, e = fit["constants"]
    assert a < 1e-40 and b < 1e-30  # the tau^4 and tau^3 terms did not generate these numbers
    assert c == pytest.approx(0.5, rel=1e-6) and d == pytest.approx(30.0, rel=1e-6)
    assert e == pytest.approx(1e-3, rel=1e-6)
    assert fit["informative"] == [False, False, True, True, True]


def test_measured_optimal_tau_and_its_exponents():
    def tv_of(n, m, t, s):  # least at tau0 = N^(1/2) M^(1/4), on the grid
        return 0.1 + (math.log10(t) - 0.5 * math.log10(n) - 0.25 * math.log10(m)) ** 2

    out = study.optimal_tau(_records(tv_of))
    assert out["exponent_N"] == pytest.approx(0.5, abs=1e-9)
    assert out["exponent_M"] == pytest.approx(0.25, abs=1e-9)
    hats = sorted(c["tau_hat"] for c in out["cells"])
    assert hats == pytest.approx([10**1.5, 10**2, 10**2.5, 10**3])


def test_measured_rate_interval_covers_the_generating_slope():
    noise = np.random.default_rng(0).normal(0, 0.02, size=100)

    def tv_of(n, m, t, s):
        return 2 * n**-0.3 * math.exp(noise[s])

    records = _records(
        tv_of, sizes=(100, 400, 1600, 6400), widths=(64,), taus=[1.0], seeds=range(5)
    )
    rate = study.measured_rate(records)
    assert rate["ci95"][0] < -0.3 < rate["ci95"][1]
    assert rate["ci95"][1] - rate["ci95"][0] < 0.1


def _loop_records(delta_of, labels=("under", "best", "over"), seeds=range(6)):
    return [
        {
            "scenario": {"name": sc},
            "label": lab,
            "seed": s,
            "generation": g,
            "delta": delta_of(sc, lab, s, g),
        }
        for sc in ("replace", "augment")
        for lab in labels
        for s in seeds
        for g in range(1, 11)
    ]


def test_early_stopping_verdict_holds_violated_and_inconclusive():
    jitter = np.random.default_rng(1).normal(0, 0.002, size=(2, 3, 6, 11))

    def make(gap):
        def delta_of(sc, lab, s, g):
            i = ("replace", "augment").index(sc)
            j = ("under", "best", "over").index(lab)
            return 0.05 + 0.01 * g + gap[j] + jitter[i, j, s, g]

        return delta_of

    assert (
        study.early_stopping_verdict(_loop_records(make([0.05, 0, 0.02])), "best")["verdict"]
        == "holds"
    )
    assert (
        study.early_stopping_verdict(_loop_records(make([0.05, 0, -0.02])), "best")["verdict"]
        == "violated"
    )
    assert (
        study.early_stopping_verdict(_loop_records(make([0.05, 0, 0.0])), "best")["verdict"]
        == "inconclusive"
    )  # no difference: never "holds" on noise


def test_figures_draw_every_configuration_of_the_records():
    records = _records(lambda n, m, t, s: 0.1 + 0.01 * math.log10(t), taus=[1.0, 10.0, 100.0])
    cells = {(r["N"], r["M"]) for r in records}
    (ax,) = study.theorem_figure(records).axes
    assert len(ax.get_lines()) == len(cells) * 2  # a curve and its tau* marker per (N, M)
    loops = _loop_records(lambda sc, lab, s, g: 0.1 * g)
    figure = study.early_stopping_figure(loops)
    labels = {r["label"] for r in loops}
    assert [len(ax.get_lines()) for ax in figure.axes] == [len(labels)] * len(figure.axes)


def test_learning_errors_returns_plain_records_with_the_tau_used():
    records = study.learning_errors((100,), (16,), (1e3, math.inf), (0,), steps=20)
    assert [r["tau"] for r in records] == [1e3, math.inf]
    assert all(0 < r["tv"] < 1 and r["score_error"] > 0 for r in records)
    assert json.loads(json.dumps(records[:1]))[0]["N"] == 100


def test_a_kl_fit_becomes_a_bounds_error_model_with_its_constants():
    def tv_of(n, m, t, s):
        return math.sqrt((0.5 / t + 30.0 / m + 1e-3) / 2)

    fit = study.fit_theorem_terms(_records(tv_of))
    model = study.calibrated_error_model(fit, 256, 1e4, "calibrated on synthetic records")
    expected = math.sqrt((0.5 / 1e4 + 30.0 / 256 + 1e-3) / 2)
    assert float(model(1000.0)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="quantity"):
        study.calibrated_error_model({**fit, "quantity": "score"}, 256, 1e4, "calibrated on x")


def test_early_stopping_verdict_names_an_unknown_best_label():
    loops = _loop_records(lambda sc, lab, s, g: 0.1)
    with pytest.raises(ValueError, match="best must be one of"):
        study.early_stopping_verdict(loops, "tau-hat")

"""Theorem R on recorded runs, and negative controls that a wrong propagation is caught."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import Accumulate, Augment, Custom, Proportion, Replace, bound, power_law
from bounds.kde import kde_loop_bound
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.truths import Bump, Gaussian, GaussianMixture
from empirical.verify import (
    check_calibrated_bound,
    check_expected_tv,
    check_propagation,
    fit_power_law_constant,
    fit_rate,
    gaussian_truth,
    verify_kde_constants,
)

SCENARIOS = [
    Replace(300),
    Proportion(300, 0.3),
    Augment(200, 400),
    Accumulate(200, 100),
    Custom.accumulate_subsample(300, 6),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
@pytest.mark.parametrize("real", ["fixed", "fresh"])
def test_theorem_r_holds_in_every_recorded_run(scenario, real):
    records = run_loop(
        scenario, lambda: KDE("silverman"), Bump(0.0, 1.0), 6, seed=3, real=real, grid_points=2049
    )
    rows = check_propagation(records)
    assert len(rows) == 6 and all(row["holds"] for row in rows)
    assert all(row["tolerance"] < 1e-4 for row in rows)


def test_theorem_r_holds_in_two_dimensions():
    truth = GaussianMixture([0.5, 0.5], [[-1, 0], [1, 0.5]], 0.5)
    records = run_loop(
        Accumulate(300, 200), lambda: KDE("scott"), truth, 4, seed=1, grid_points=257
    )
    assert all(row["holds"] for row in check_propagation(records))


@settings(max_examples=8, deadline=None)
@given(
    lam=st.floats(0.0, 1.0),
    bandwidth=st.floats(0.05, 1.0),
    shift=st.floats(-2.0, 2.0),
    seed=st.integers(0, 1000),
)
def test_theorem_r_holds_for_random_loops(lam, bandwidth, shift, seed):
    truth = GaussianMixture([0.4, 0.6], [[-1.0], [shift]], [0.3, 1.0])
    records = run_loop(
        Proportion(200, lam), lambda: KDE(bandwidth), truth, 5, seed=seed, grid_points=2049
    )
    assert all(row["holds"] for row in check_propagation(records))


def test_equality_case_has_margin_zero():
    # delta_i = eps_i + w delta_{i-1} exactly, as happens for two components:
    # TV(l p0 + (1-l) p, p0) = (1-l) TV(p, p0)
    records = [
        {
            "key": "run",
            "seed": 0,
            "generation": 1,
            "weights": [1.0],
            "delta": 0.2,
            "delta_error": 0.0,
            "epsilon": 0.2,
            "epsilon_error": 0.0,
        },
        {
            "key": "run",
            "seed": 0,
            "generation": 2,
            "weights": [0.5, 0.5],
            "delta": 0.15,
            "delta_error": 0.0,
            "epsilon": 0.05,
            "epsilon_error": 0.0,
        },
    ]
    rows = check_propagation(records)
    assert [r["margin"] for r in rows] == pytest.approx([0.0, 0.0], abs=1e-15)
    assert all(r["holds"] for r in rows)
    records[1]["delta"] += 1e-9  # negative control: any excess beyond the (zero) tolerance fails
    assert not check_propagation(records)[1]["holds"]


@pytest.fixture(scope="module")
def replace_run():
    return run_loop(
        Replace(1000), lambda: KDE(0.2), Gaussian(0.0, 1.0), 15, seed=7, grid_points=4097
    )


def test_negative_control_weights_shifted_onto_the_real_data_fail(replace_run):
    assert all(row["holds"] for row in check_propagation(replace_run))
    wrong = copy.deepcopy(replace_run)
    for r in wrong:  # claim every generation trained on real data only: w = (1, 0, ..., 0)
        r["weights"] = [1.0] + [0.0] * (r["generation"] - 1)
    assert not all(row["holds"] for row in check_propagation(wrong))


def test_negative_control_weights_shifted_one_generation_back_fail(replace_run):
    wrong = copy.deepcopy(replace_run)
    for r in wrong[2:]:  # w_{i,i-2} = 1 instead of w_{i,i-1} = 1
        i = r["generation"]
        r["weights"] = [0.0] * (i - 2) + [1.0, 0.0]
    assert not all(row["holds"] for row in check_propagation(wrong))


def test_negative_control_halved_learning_error_fails(replace_run):
    wrong = copy.deepcopy(replace_run)
    for r in wrong:
        r["epsilon"] /= 2
    assert not all(row["holds"] for row in check_propagation(wrong))


def test_runs_are_grouped_and_must_be_complete(replace_run):
    other = run_loop(
        Replace(1000), lambda: KDE(0.2), Gaussian(0.0, 1.0), 3, seed=8, grid_points=1025
    )
    rows = check_propagation(replace_run + other)
    assert len(rows) == 18 and len({r["run"] for r in rows}) == 2
    with pytest.raises(ValueError, match="generations 1..G"):
        check_propagation(replace_run[1:])
    broken = copy.deepcopy(replace_run[:2])
    broken[1]["weights"] = [1.0]
    with pytest.raises(ValueError, match="weights"):
        check_propagation(broken)


def test_delta_grows_under_replace_and_stays_flat_under_proportion():
    truth = Gaussian(0.0, 1.0)
    rep = run_loop(Replace(2000), lambda: KDE(0.3), truth, 12, seed=0, grid_points=2049)
    pro = run_loop(Proportion(2000, 0.5), lambda: KDE(0.3), truth, 12, seed=0, grid_points=2049)
    # population variances: 1 + 12 h^2 = 2.08 vs at most 1 + h^2 / lam = 1.18
    assert rep[-1]["delta"] > 2 * pro[-1]["delta"]
    assert (
        np.mean([r["delta"] for r in pro[6:]]) < 1.5 * np.mean([r["delta"] for r in pro[:3]]) + 0.02
    )


# --- level 2: explicit KDE constants ---------------------------------------------------------


@pytest.mark.parametrize(
    "scenario", [Replace(1000), Proportion(1000, 0.5), Augment(500, 1000)], ids=str
)
@pytest.mark.parametrize(
    "truth",
    [Gaussian(1.0, 2.0), GaussianMixture([0.3, 0.7], [[-2.0], [1.0]], [0.25, 1.0])],
    ids=["gaussian", "mixture"],
)
def test_expected_tv_stays_below_the_explicit_kde_bound(scenario, truth):
    rows = verify_kde_constants(scenario, truth, 0.25, 6, seeds=range(12))
    assert [r["generation"] for r in rows] == list(range(1, 7))
    assert all(r["holds"] for r in rows), rows
    assert all(0.05 < r["ratio"] < 1 for r in rows)  # a bound, and not a vacuous one


def test_a_bound_without_its_variance_term_is_caught():
    truth = Gaussian(0.0, 1.0)
    scenario = Proportion(1000, 0.5)
    records = [
        r for s in range(12) for r in run_loop(scenario, lambda: KDE(0.25), truth, 4, s, "fresh")
    ]
    explicit = kde_loop_bound(scenario, gaussian_truth(truth), 0.25, 4)
    bias_only = [explicit.bias / 2 / 0.5 * (1 - 0.5**i) for i in range(1, 5)]
    assert not any(r["holds"] for r in check_expected_tv(records, bias_only))
    third = explicit.total / 3  # the explicit bound is within a factor 2-3 of the truth
    assert not check_expected_tv(records, third)[0]["holds"]
    assert all(r["holds"] for r in check_expected_tv(records, explicit.total))


def test_the_interval_fails_a_true_bound_at_most_at_the_stated_rate():
    # synthetic runs whose expectation is exactly the bound: the check may wrongly fail with
    # probability <= p = 0.05; over 4000 trials the failure count is Binomial(4000, <= 0.05),
    # so > 0.05 + 4 sd = 0.064 would be a miscalibrated interval (chance < 1e-4 if calibrated).
    rng = np.random.default_rng(7)
    fails = 0
    trials, generations, runs = 4000, 3, 15
    for _ in range(trials):
        deltas = rng.beta(2.0, 30.0, size=(runs, generations))
        records = [
            {"generation": g + 1, "delta": d, "delta_error": 0.0, "seed": s}
            for s, row in enumerate(deltas)
            for g, d in enumerate(row)
        ]
        rows = check_expected_tv(records, [2.0 / 32.0] * generations, failure_probability=0.05)
        fails += any(r["verdict"] == "violated" for r in rows)
    assert fails / trials < 0.064
    assert fails > 0  # and not so wide that it never fails


def test_gaussian_truth_conversion_and_bad_inputs():
    converted = gaussian_truth(GaussianMixture([0.5, 0.5], [[-1.0], [2.0]], [4.0, 1.0]))
    assert converted.sds == (2.0, 1.0) and converted.means == (-1.0, 2.0)
    with pytest.raises(TypeError, match="1-D"):
        gaussian_truth(Bump(0.0, 1.0))
    records = [{"generation": 1, "delta": 0.1, "delta_error": 0.0, "seed": s} for s in range(12)]
    with pytest.raises(ValueError, match="failure_probability"):
        check_expected_tv(records, [0.2], failure_probability=0.0)
    with pytest.raises(ValueError, match="at least 10 runs"):
        check_expected_tv(records[:3], [0.2])
    with pytest.raises(ValueError, match="bound"):
        check_expected_tv(records, [])
    two = records + [{**r, "generation": 2} for r in records]
    with pytest.raises(ValueError, match="generations 1..G"):
        check_expected_tv(two, [0.2])


# --- level 3: calibrated rate ----------------------------------------------------------------


def _record(name, params, generation, N, delta, epsilon):
    return {
        "key": f"{name}-{generation}-{delta}",
        "spec": {"scenario": {"name": name, **params}},
        "seed": 0,
        "generation": generation,
        "N": N,
        "delta": delta,
        "delta_error": 1e-6,
        "epsilon": epsilon,
        "epsilon_error": 1e-6,
    }


def test_fitted_constant_is_the_smallest_that_dominates_calibration():
    runs = [_record("replace", {"N": N}, 1, N, e, e) for N, e in ((100, 0.4), (1000, 0.3))]
    C = fit_power_law_constant(runs, 0.2)
    assert C == pytest.approx(max((0.4 + 1e-6) * 100**0.2, (0.3 + 1e-6) * 1000**0.2))
    assert all(r["epsilon"] <= C * r["N"] ** -0.2 for r in runs)
    with pytest.raises(ValueError, match="calibration"):
        fit_power_law_constant([], 0.2)


def test_calibrated_bound_is_theorem_r_with_the_fitted_model():
    error = power_law(1.0, 0.2)
    params = {"n": 100, "m": 200}
    B2 = float(bound(Augment(100, 200), error).evaluate(i=2))
    below = _record("augment", params, 2, 300, B2 * 0.9, 0.1)
    above = _record("augment", params, 2, 300, B2 * 1.1, 0.9)  # negative control
    rows = check_calibrated_bound([below, above], error)
    assert [r["holds"] for r in rows] == [True, False]
    assert [r["eps_within"] for r in rows] == [True, False]
    assert rows[0]["bound"] == pytest.approx(B2)


def test_a_measured_rate_has_an_interval_that_covers_the_true_slope():
    rng = np.random.default_rng(3)
    sizes = np.repeat([250, 500, 1000, 2000, 4000], 5)
    covered = 0
    for _ in range(400):
        values = 2.0 * sizes**-0.4 * np.exp(0.05 * rng.standard_normal(sizes.size))
        fit = fit_rate(sizes, values)
        covered += fit["low"] <= -0.4 <= fit["high"]
    # 95% intervals: fewer than 360 of 400 covering has probability < 1e-3 if calibrated
    assert 360 <= covered <= 400
    assert fit_rate(sizes, 2.0 * sizes**-0.4)["slope"] == pytest.approx(-0.4)
    with pytest.raises(ValueError, match="sizes and values"):
        fit_rate([1, 2], [1, 2])

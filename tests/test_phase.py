"""The synthetic-data threshold: closed form, numeric solvers, certificates, asymptotics."""

import json

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import errors, phase, propagation
from bounds import symbols as S
from bounds.scenarios import Accumulate, Augment, Proportion

ALPHAS = (0.05, 0.2, 0.5, 0.8, 0.95)
MIXED = errors.from_expression("N**-0.2 + 2*N**-0.5", decreasing=True)  # not a power law


# --------------------------------------------------------------------------- symbolic


def test_sympy_finds_the_closed_form_at_generation_two():
    expr = phase.symbolic_threshold(2, errors.power_law())
    expected = S.n * (S.alpha ** (-1 / (1 - S.alpha)) - 1)
    assert sp.simplify(expr - expected) == 0
    assert (
        sp.simplify(expr.subs(S.alpha, sp.Rational(1, 5)) - (5 ** sp.Rational(5, 4) - 1) * S.n) == 0
    )


def test_closed_form_zeroes_the_derivative_of_g2_symbolically():
    x = sp.Symbol("x", positive=True)
    a = S.alpha
    r = 1 - 1 / x
    g2 = x ** (1 - a) * (1 - r) + r
    # x^2 g2'(x) = 1 - alpha x^(1-alpha), and log((x*)^(1-alpha)) = -log(alpha) at the root
    assert sp.simplify(x**2 * sp.diff(g2, x) - (1 - a * x ** (1 - a))) == 0
    root = a ** (-1 / (1 - a))
    assert sp.simplify(sp.expand_log(sp.log(root ** (1 - a)), force=True) + sp.log(a)) == 0


def test_no_closed_form_is_claimed_beyond_generation_two_or_for_other_models():
    assert phase.symbolic_threshold(3, errors.power_law()) is None
    assert phase.symbolic_threshold(2, MIXED) is None


def test_closed_form_matches_the_numeric_solver_to_30_digits():
    closed = phase.threshold(2, 1000, digits=30)
    numeric = phase.threshold(2, 1000, digits=30, method="numeric")
    assert closed.method.startswith("closed form") and "log form" in numeric.method
    with mp.workdps(40):
        exact = (mp.mpf(5) ** (mp.mpf(5) / 4) - 1) * 1000
        assert abs(closed.m / exact - 1) < mp.mpf(10) ** -30
        assert abs(numeric.m / exact - 1) < mp.mpf(10) ** -30


# --------------------------------------------------------------------------- numeric agreement


@pytest.mark.parametrize("alpha", ALPHAS)
def test_float_and_mpmath_paths_agree(alpha):
    generations = np.array([2, 3, 10, 100, 1000, 10_000])
    table = phase.power_law_thresholds(generations, alpha, 1000.0)
    model = errors.power_law(alpha=alpha)
    for k, i in enumerate(generations):
        precise = phase.threshold(int(i), 1000.0, model, digits=25)
        assert precise.certified
        assert float(precise.m) == pytest.approx(table.m[k], rel=1e-11)
        assert float(precise.peak) == pytest.approx(table.peak[k], rel=1e-11)


def test_generic_scan_reproduces_the_power_law_solver():
    for i in (2, 7, 300):
        scanned = phase.threshold(i, 500, method="scan")
        direct = phase.threshold(i, 500)
        assert "scan" in scanned.method and scanned.certified
        assert scanned.m == pytest.approx(direct.m, rel=1e-12)


def _recursion(i: int, n: int, m: int, eps) -> float:
    """Theorem R's recursion in plain floats from the scenario's sizes and weights."""
    scenario, history = Augment(n, m), []
    for g in range(1, i + 1):
        w = scenario.weights(g)
        history.append(eps(scenario.size(g)) + sum(w[j] * history[j - 1] for j in range(1, g)))
    return history[-1]


def test_bound_value_is_theorem_r_and_the_float_solver_agrees_with_propagation():
    model = errors.power_law()
    for i in (1, 2, 5, 40):
        for m in (0, 10, 5000, 10**6):
            mine = float(phase.bound_value(i, mp.mpf(1000), mp.mpf(m), model))
            assert mine == pytest.approx(_recursion(i, 1000, m, lambda s: s**-0.2), rel=1e-12)
    # the float power-law solver keeps its own g_i; hold it to propagation's formula
    table = phase.power_law_thresholds(np.array([2, 7, 300]), 0.2, 1000.0)
    b = propagation.bound(Augment(n=1000, m=0), model)
    for k, i in enumerate(table.i):
        assert table.peak[k] == pytest.approx(b.evaluate(i=i, m=table.m[k]), rel=1e-13)


def test_the_threshold_of_a_scenario_is_that_of_its_real_size():
    by_size = phase.threshold(7, 1000, digits=20)
    by_scenario = phase.threshold(7, Augment(1000, 12345), digits=20)
    assert by_scenario.m == by_size.m and by_scenario.certified
    with pytest.raises(ValueError, match="synthetic amount"):
        phase.threshold(3, Proportion(100, 0.5))


def test_accumulate_has_a_certified_threshold_found_by_the_generic_scan():
    result = phase.threshold(4, Accumulate(1000, 0))
    assert result.certified and result.scenario == "accumulate" and "scan" in result.method
    b = propagation.bound(Accumulate(1000, 0), errors.power_law())
    m = np.geomspace(result.m / 1.05, result.m * 1.05, 2001)
    values = b.evaluate(i=4, m=m)
    assert m[np.argmax(values)] == pytest.approx(result.m, rel=1e-3)
    # accumulate weighs every earlier generation: its peak is not augment's
    assert result.m != pytest.approx(phase.threshold(4, 1000).m, rel=1e-2)


def test_general_model_threshold_matches_a_brute_force_grid():
    result = phase.threshold(5, 1000, MIXED)
    assert result.certified and "scan" in result.method
    grid = np.linspace(0.9, 1.1, 20001) * result.m
    values = [float(phase.bound_value(5, 1000.0, mp.mpf(m), MIXED)) for m in grid[::100]]
    assert grid[::100][int(np.argmax(values))] == pytest.approx(result.m, rel=2e-3)
    precise = phase.threshold(5, 1000, MIXED, digits=25)
    assert precise.certified and float(precise.m) == pytest.approx(result.m, rel=1e-12)


# --------------------------------------------------------------------------- a maximum


@settings(max_examples=40, deadline=None)
@given(i=st.integers(2, 10_000), alpha=st.floats(0.02, 0.98), n=st.floats(1.0, 1e6))
def test_threshold_is_a_maximum_of_the_bound(i, alpha, n):
    model = errors.power_law(alpha=alpha)
    result = phase.threshold(i, n, model)
    assert result.certified
    with mp.workdps(40):
        peak = phase.bound_value(i, mp.mpf(n), mp.mpf(result.m), model)
        for factor in ("0.999", "1.001"):
            side = phase.bound_value(i, mp.mpf(n), mp.mpf(result.m) * mp.mpf(factor), model)
            assert side < peak
    assert result.ratio > 1  # the bound at the peak exceeds the bound without synthetic data


@settings(max_examples=30, deadline=None)
@given(i=st.integers(2, 5_000), alpha=st.floats(0.02, 0.98), where=st.floats(-8.0, 8.0))
def test_the_bound_rises_before_the_threshold_and_falls_after(i, alpha, where):
    # one sign change: a random point below x* has slope > 0, a random point above has < 0
    x = float(phase.power_law_thresholds(i, alpha).x)
    point = 1 + (x - 1) * np.exp(where)
    slope = phase.bound_slope(i, 1.0, point - 1, errors.power_law(alpha=alpha), lib=np)
    if where < -1e-6:
        assert slope > 0
    elif where > 1e-6:
        assert slope < 0


def test_thresholds_grow_with_the_generation():
    table = phase.power_law_thresholds(np.arange(2, 400), 0.2, 1000.0)
    assert table.certified.all()
    assert np.all(np.diff(table.m) > 0) and np.all(np.diff(table.peak) > 0)


def test_vectorised_thresholds_broadcast_over_i_n_and_alpha():
    table = phase.power_law_thresholds(
        np.array([2, 10])[:, None, None], np.array([0.1, 0.5]), np.array([10.0, 1e4])[:, None]
    )
    assert table.m.shape == (2, 2, 2)
    single = phase.power_law_thresholds(10, 0.5, 1e4)
    assert table.m[1, 1, 1] == single.m[()]
    assert table.x[1, 0, 1] == table.x[1, 1, 1]  # x* does not depend on n
    assert len(table.rows()) == 8


# --------------------------------------------------------------------------- negative controls


def test_certificate_rejects_a_wrong_closed_form():
    alpha = 0.2
    wrong = alpha ** (-1 / (1 + alpha)) - 1  # sign slip in the exponent
    assert not phase.certify(2, 1.0, wrong).is_maximum
    right = alpha ** (-1 / (1 - alpha)) - 1
    assert phase.certify(2, 1.0, right).is_maximum


def test_certificate_rejects_a_slightly_perturbed_threshold():
    result = phase.threshold(50, 100.0, digits=30)
    assert phase.certify(50, 100.0, result.m, rel=1e-25).is_maximum
    assert not phase.certify(50, 100.0, result.m * (1 + mp.mpf(10) ** -15), rel=1e-25).is_maximum


# --------------------------------------------------------------------------- no transition


@pytest.mark.parametrize(
    ("i", "model", "words"),
    [
        (1, errors.power_law(), "does not depend on m"),
        (4, errors.power_law(alpha=1.5), "no peak"),
        (4, errors.power_law(alpha=1.0), "constant"),
        (4, errors.from_expression("N**0.1"), "rises"),
        (4, errors.diffusion_random_features(M=1000, tau=10), "rises"),
    ],
)
def test_no_transition_is_said_not_invented(i, model, words):
    result = phase.threshold(i, 1000, model)
    assert not result.exists and not result.certified
    assert result.m is None and words in result.reason


def test_generic_scan_agrees_on_the_monotone_power_laws():
    def reason(model):
        return phase.threshold(4, 1000, model, method="scan").reason

    assert "no peak" in reason(errors.power_law(alpha=1.5))
    assert "constant" in reason(errors.power_law(alpha=1.0))
    assert "rises" in reason(errors.from_expression("N**0.1"))


# --------------------------------------------------------------------------- large i


def test_asymptotic_root_is_the_lambert_w_closed_form():
    for alpha in ALPHAS:
        with mp.workdps(30):
            a = mp.mpf(alpha)
            u = -mp.lambertw(-(1 - a) * mp.exp(a - 1), -1).real - (1 - a)
        assert phase.asymptotic_u(alpha) == pytest.approx(float(u), rel=1e-13)
        expr = phase.asymptotic_slope_expr().subs(S.alpha, alpha)
        assert float(sp.N(expr, 20)) == pytest.approx(1 / float(u), rel=1e-13)
        assert (1 - alpha) * np.expm1(float(u)) == pytest.approx(float(u), rel=1e-13)


@pytest.mark.parametrize("alpha", (0.05, 0.2, 0.35, 0.5))
@pytest.mark.parametrize("i", (1_000, 10_000, 100_000))
def test_asymptotic_slope_within_the_documented_error(i, alpha):
    # documented: m*_i/(i n) = (1 + e_i + O(e_i^2) + O(1/i)) / u*,
    # with e_i = (u*/i)^(1-alpha) / (u* - alpha)
    u = phase.asymptotic_u(alpha)
    measured = float(phase.power_law_thresholds(i, alpha).m) / i * u - 1
    lead = phase.asymptotic_error(i, alpha)
    assert abs(measured - lead) <= 2 * lead**2 + 2 * u / ((u - alpha) * i)


def test_asymptotic_error_decreases_for_alpha_near_one_too():
    gaps = [
        abs(float(phase.power_law_thresholds(i, 0.9).m) / i * phase.asymptotic_u(0.9) - 1)
        for i in (100, 10_000, 1_000_000)
    ]
    assert gaps[0] > gaps[1] > gaps[2]


def test_peak_grows_like_i_to_the_one_minus_alpha():
    alpha = 0.2
    K = phase.asymptotic_peak_constant(alpha)
    i = np.array([1e3, 1e4, 1e5])
    gaps = np.abs(phase.power_law_thresholds(i, alpha).ratio / (K * i ** (1 - alpha)) - 1)
    assert np.all(np.diff(gaps) < 0) and gaps[-1] < 1e-3


# --------------------------------------------------------------------------- one step


def test_one_step_power_law_closed_form_is_certified_and_matches_the_formula():
    n, delta, alpha, C = 1000.0, 0.5, 0.2, 1.0
    result = phase.one_step_threshold(n, delta, errors.power_law(C=C, alpha=alpha))
    assert result.certified and result.rises_at_zero
    assert result.m + n == pytest.approx((delta * n / (alpha * C)) ** (1 / (1 - alpha)), rel=1e-12)
    assert result.critical_delta == pytest.approx(alpha * C * n**-alpha, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(delta=st.floats(0.0, 2.0), n=st.floats(10.0, 1e5))
def test_one_step_rises_at_zero_exactly_above_the_critical_delta(delta, n):
    model = errors.power_law()
    result = phase.one_step_threshold(n, delta, model)
    slope_at_zero = -0.2 * n**-1.2 + delta / n  # eps'(n) + n delta / n^2
    assert result.rises_at_zero == (slope_at_zero > 0)
    assert result.exists == result.rises_at_zero
    if result.exists:
        assert result.certified


def test_one_step_general_model_matches_brute_force():
    result = phase.one_step_threshold(1000, 0.5, MIXED)
    assert result.certified and "scan" in result.method
    m = np.geomspace(result.m / 1.2, result.m * 1.2, 4001)
    values = (m + 1000) ** -0.2 + 2 * (m + 1000) ** -0.5 + m / (m + 1000) * 0.5
    assert m[np.argmax(values)] == pytest.approx(result.m, rel=1e-3)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "word"),
    [
        (lambda: phase.threshold(0, 10), ValueError, "generation"),
        (lambda: phase.threshold(2, -1), ValueError, "n"),
        (lambda: phase.threshold(2, 10, digits=0), ValueError, "digits"),
        (lambda: phase.threshold(2, 10, "power"), TypeError, "error_model"),
        (lambda: phase.threshold(3, 10, method="closed form"), ValueError, "closed form"),
        (lambda: phase.power_law_thresholds(1, 0.2), ValueError, "i"),
        (lambda: phase.power_law_thresholds(2.5, 0.2), ValueError, "i"),
        (lambda: phase.power_law_thresholds(2, 1.0), ValueError, "alpha"),
        (lambda: phase.power_law_thresholds(2, 0.2, n=np.nan), ValueError, "n"),
        (lambda: phase.one_step_threshold(10, -0.1), ValueError, "delta"),
    ],
)
def test_bad_input_is_rejected_by_name(call, error, word):
    with pytest.raises(error, match=word):
        call()


# --------------------------------------------------------------------------- any model, arrays


def test_thresholds_over_an_array_of_generations_for_a_general_model():
    table = phase.thresholds(np.array([[1, 3], [5, 9]]), 1000, MIXED)
    assert table.m.shape == (2, 2)
    assert table.exists.tolist() == [[False, True], [True, True]]
    assert table.certified.tolist() == [[False, True], [True, True]]
    for (r, c), i in np.ndenumerate(np.array([[1, 3], [5, 9]])):
        single = phase.threshold(int(i), 1000, MIXED)
        assert table.m[r, c] == single.m
    assert len(table.rows()) == 4 and json.dumps(table.rows())


# --------------------------------------------------------------------------- export, digits


def test_threshold_results_serialise_with_the_digits_asked():
    precise = phase.threshold(5, 1000, digits=30)
    data = json.loads(json.dumps(precise.to_dict()))
    assert data["certified"] and data["digits"] == 30
    mantissa = data["m"].replace(".", "").lstrip("0")
    assert len(mantissa.split("e")[0]) == 30
    with mp.workdps(40):
        assert abs(mp.mpf(data["m"]) / precise.m - 1) < mp.mpf(10) ** -29
    floats = phase.threshold(5, 1000).to_dict()
    assert isinstance(floats["m"], float) and floats["m"] == pytest.approx(float(precise.m))
    none = phase.threshold(1, 1000).to_dict()
    assert none["m"] is None and not none["exists"] and json.dumps(none)


@pytest.mark.parametrize("digits", [5, 30, 60])
def test_printed_results_show_exactly_the_digits_computed(digits):
    t = phase.threshold(5, 1000, digits=digits)
    shown = str(t.m)
    assert len(shown.replace(".", "").lstrip("0")) == digits
    assert f"m* = {shown}" in str(t)
    reference = phase.threshold(5, 1000, digits=digits + 20)
    with mp.workdps(digits + 30):
        assert abs(mp.mpf(shown) / reference.m - 1) < mp.mpf(10) ** (1 - digits)
        ratio = str(t).split("m*/n = ")[1].split(")")[0]  # every printed digit is right
        assert abs(mp.mpf(ratio) / (reference.m / 1000) - 1) < mp.mpf(10) ** (1 - digits)


# --------------------------------------------------------------------------- extreme inputs


@pytest.mark.parametrize("alpha", [1e-300, 1e-16, 1e-12, 1e-6, 0.2, 0.9, 1 - 1e-9])
def test_asymptotic_slope_is_accurate_for_any_alpha(alpha):
    with mp.workdps(800):  # W_-1 near its branch point needs about 2 |log10 alpha| digits
        a = mp.mpf(alpha)
        u = -mp.lambertw(-(1 - a) * mp.exp(a - 1), -1).real - (1 - a)
        assert abs(phase.asymptotic_slope(alpha) * u - 1) < 1e-14


def test_the_old_log_difference_newton_is_caught_at_tiny_alpha():
    # negative control: solving log((1-a)(e^u-1)/u) = 0 via log(expm1(u)) - log(u) loses
    # |log u| ulps; at alpha = 1e-12 that is 0.25 %, far outside the tolerance above
    a, u = 1e-12, 1.0
    for _ in range(100):
        u -= (np.log1p(-a) + np.log(np.expm1(u)) - np.log(u)) / (1 / -np.expm1(-u) - 1 / u)
    assert abs(phase.asymptotic_u(a) / u - 1) > 1e-4


def test_huge_generations_are_refused_not_wrapped_around():
    with pytest.raises(ValueError, match="i"):
        phase.power_law_thresholds(1e19)
    with pytest.raises(ValueError, match="i"):
        phase.thresholds([2, 10**16], 10)
    far = phase.power_law_thresholds(10**15, 0.2)
    assert far.certified and far.i == 10**15 and np.isfinite(far.m)
    assert far.m / 10**15 == pytest.approx(phase.asymptotic_slope(0.2), rel=1e-10)


@pytest.mark.parametrize("digits", [0, 10_001, 2.5, True, "30"])
def test_digits_are_whole_numbers_in_range(digits):
    with pytest.raises((ValueError, TypeError), match="digits"):
        phase.threshold(3, 10, digits=digits)


def test_one_step_and_float_tables_serialise_too():
    step = phase.one_step_threshold(1000, 0.5, digits=25)
    data = json.loads(json.dumps(step.to_dict()))
    assert data["certified"] and len(data["m"].replace(".", "").lstrip("0")) == 25
    assert len(str(step.m).replace(".", "").lstrip("0")) == 25
    assert isinstance(phase.one_step_threshold(1000, 0.5).to_dict()["m"], float)
    table = phase.power_law_thresholds(np.array([2, 3]), 0.2, 10.0)
    exported = json.loads(json.dumps(table.to_dict()))
    assert exported["shape"] == [2] and exported["certified"] == [True, True]
    assert exported["rows"][1]["m"] == table.m[1]


def test_huge_python_integers_are_refused_by_name_not_overflowed():
    from bounds import Replace, bound, power_law

    b = bound(Replace(10), power_law())
    with pytest.raises(ValueError, match="N"):
        b.evaluate(i=2, N=10**400)
    assert b.evaluate_mp(i=2, N=10**400) > 0  # mpmath has the range for it


# --------------------------------------------------------------------------- refused by name


@pytest.mark.parametrize("function", [phase.bound_value, phase.bound_slope])
def test_bound_value_and_slope_refuse_bad_points_by_name(function):
    power = errors.power_law()
    for name, args in (
        ("generation i", (float("nan"), 10.0, 5.0)),
        ("n", (2, float("nan"), 5.0)),
        ("m", (2, 10.0, float("inf"))),
        ("m", (2, 10.0, -1.0)),
        ("n", (2, 1 + 2j, 5.0)),
    ):
        with pytest.raises((TypeError, ValueError), match=f"^{name} must be"):
            function(*args, power)
    with pytest.raises(TypeError, match="error_model must be"):
        function(2, 10.0, 5.0, 0.5)
    with pytest.raises(TypeError, match="scenario must be a bounds Scenario or None, got 5.0"):
        function(2, 10.0, 5.0, power, scenario=5.0)  # not read as augment
    with pytest.raises(ValueError, match=r"generation i must be a whole number in \[1, 100\]"):
        function(101, 10.0, 5.0, power, scenario=Accumulate(10, 5))  # expanded term by term


def test_the_slope_at_a_tiny_share_is_computed_with_the_digits_it_needs():
    # B_2 = eps(n+m) + m/(n+m) eps(n), so dB_2/dm = eps'(n+m) + n eps(n)/(n+m)^2 (no cancelling)
    for n, m in ((1e300, 5.0), (10.0, 5e-324)):
        with mp.workdps(50):
            big, small = mp.mpf(n), mp.mpf(m)
            expected = -0.2 * (big + small) ** -1.2 + big * big**-0.2 / (big + small) ** 2
        got = phase.bound_slope(2, n, m, errors.power_law())
        assert float(got) == pytest.approx(float(expected), rel=1e-13)


def test_certify_refuses_a_bracket_wider_than_the_synthetic_share():
    with pytest.raises(ValueError, match=r"rel must be below m/\(n \+ m\)"):
        phase.certify(2, 1e300, 50.0)  # m/(n+m) = 5e-299 < rel = 1e-9: m_below would be < 0
    for name, value in (("m", float("nan")), ("rel", float("nan")), ("rel", "1e-9")):
        with pytest.raises((TypeError, ValueError), match=f"{name} must be"):
            phase.certify(2, 10.0, **{"m": 50.0, name: value})


def test_threshold_method_must_be_one_of_the_names():
    with pytest.raises(TypeError, match="method must be one of auto"):
        phase.threshold(2, 10.0, method=np.array([]))


def test_power_law_results_beyond_the_float_range_are_refused_naming_the_inputs():
    with pytest.raises(ValueError, match=r"alpha must be > 1e-05 in floats, got 4\.94066e-324"):
        phase.power_law_thresholds(2, 5e-324)  # floats cannot place the peak: see below
    with pytest.raises(ValueError, match=r"slope of the power-law threshold .* n = 4\.94066e-324"):
        phase.power_law_thresholds(2, 0.2, 5e-324)
    with pytest.raises(ValueError, match=r"alpha must be finite numbers in \(2\.22507e-308, 1\)"):
        phase.asymptotic_slope(5e-324)
    with pytest.raises(TypeError, match="alpha must be"):
        phase.power_law_ratio(1.0, 2, np.complex128(0.2 + 1j))  # not read as its real part


def test_one_step_threshold_beyond_the_float_range_needs_digits():
    with pytest.raises(ValueError, match=r"n = 1e\+300, delta = 0\.1.*beyond the float range"):
        phase.one_step_threshold(1e300, 0.1)
    with pytest.raises(ValueError, match=r"delta = 1e\+300.*digits="):
        phase.one_step_threshold(10.0, 1e300)
    exact = phase.one_step_threshold(1e300, 0.1, digits=20)  # (delta n/(a C))^(1/(1-a)) - n
    with mp.workdps(30):
        n, delta, a = mp.mpf(1e300), mp.mpf(0.1), mp.mpf(1) / 5  # the floats as given, exactly
        expected = (delta * n / a) ** (1 / (1 - a)) - n
        assert abs(exact.m / expected - 1) < 1e-18


@pytest.mark.parametrize("alpha", [1e-8, 1e-50, 1e-300])
def test_tiny_alpha_thresholds_are_solved_in_mpmath_and_certified(alpha):
    # the float solver's limit: below POWER_LAW_ALPHA_MIN its certificate fails, so it refuses
    with pytest.raises(ValueError, match="alpha must be"):
        phase.power_law_thresholds(3, alpha)
    for i in (2, 3, 50):
        found = phase.threshold(i, 10.0, errors.power_law(alpha=alpha), digits=20)
        assert found.certified
        # m*_i/(i n) -> 1/u* ~ 1/(2 alpha) as alpha -> 0, for every i (x*_2 = alpha^(-1/(1-alpha)))
        expected = alpha ** (-1 / (1 - alpha)) - 1 if i == 2 else i / (2 * alpha)
        assert float(found.m_over_n) == pytest.approx(expected, rel=1e-6 if i == 2 else 0.05)

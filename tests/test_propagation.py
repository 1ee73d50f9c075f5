"""Theorem R bounds: closed forms against the recursion, monotonicity, limits and precision."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import strategies as bs
from bounds import symbols as S
from bounds.errors import diffusion_random_features, from_expression, power_law
from bounds.propagation import (
    MAX_DIGITS,
    MAX_PROOF_BASE,
    MAX_UNROLLED,
    UndecidedLimit,
    bound,
    closed_form,
    prove_closed_form,
    recursion,
)
from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace, Scenario

sizes = bs.sizes()
alphas = st.floats(min_value=0.05, max_value=0.95)
shares = bs.shares()
generations = bs.generations()
power_laws = bs.power_laws()
scenarios = bs.scenarios(kinds=("replace", "proportion", "augment", "accumulate"))


def reference(scenario: Scenario, eps, i: int) -> float:
    """Theorem R's recursion with plain floats, straight from the scenario's numbers."""
    history: list[float] = []
    for g in range(1, i + 1):
        w = scenario.weights(g)
        history.append(
            eps(scenario.size(g)) + math.fsum(w[j] * history[j - 1] for j in range(1, g))
        )
    return history[-1]


@pytest.mark.parametrize(
    "scenario", [Replace(10), Proportion(10, 0.5), Augment(10, 5), Accumulate(10, 5)]
)
def test_sympy_proves_the_closed_form_solves_the_recursion(scenario):
    proof = prove_closed_form(scenario)
    assert proof.holds, proof


@pytest.mark.parametrize(
    "scenario", [Replace(10), Proportion(10, 0.5), Augment(10, 5), Accumulate(10, 5)]
)
def test_a_closed_form_with_one_exponent_changed_is_refuted(scenario):
    eps = sp.Function("epsilon")
    right = closed_form(scenario, eps)[0]
    # change one exponent: i -> i + 1 in every power (or an off-by-one sum, or i -> i^2)
    wrong = right.replace(lambda e: e.is_Pow and e.exp.has(S.i), lambda e: e.base ** (e.exp + 1))
    if wrong == right:  # accumulate: the sum runs one generation too far
        wrong = right.replace(
            lambda e: isinstance(e, sp.Sum),
            lambda e: sp.Sum(e.function, (e.limits[0][0], 1, e.limits[0][2] + 1)),
        )
    if wrong == right:  # replace: eps(N) counted i^2 times
        wrong = right.subs(S.i, S.i**2)
    assert not prove_closed_form(scenario, wrong).holds


def test_custom_scenarios_have_no_closed_form_to_prove():
    with pytest.raises(ValueError, match="custom"):
        prove_closed_form(Custom.accumulate_subsample(5, 3))


@settings(max_examples=200, deadline=None)
@given(scenarios, power_laws, generations)
def test_closed_form_equals_recursion_for_random_parameters(scenario, error, i):
    expected = reference(scenario, lambda size: float(error(size)), i)
    assert bound(scenario, error).evaluate(i=i) == pytest.approx(expected, rel=1e-11)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=10**5), alphas)
def test_custom_bound_equals_recursion(generations_, size, alpha):
    scenario = Custom.accumulate_subsample(size, generations_)
    error = power_law(1.0, alpha)
    got = bound(scenario, error).evaluate(i=np.arange(1, generations_ + 1))
    want = [reference(scenario, lambda s: float(error(s)), g) for g in range(1, generations_ + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_symbolic_bound_at_a_generation_matches_the_unrolled_recursion():
    error = power_law()
    for scenario in (Proportion(100, 0.25), Augment(100, 50), Accumulate(100, 50)):
        b = bound(scenario, error)
        unrolled = recursion(scenario, lambda size: error.expr.subs(S.N, size), 5)
        assert sp.cancel(sp.expand(b.at(5) - unrolled)) == 0


@settings(max_examples=100, deadline=None)
@given(scenarios, power_laws, generations)
def test_bound_is_at_least_the_current_generations_error(scenario, error, i):
    assert bound(scenario, error).evaluate(i=i) >= float(error(scenario.size(i))) * (1 - 1e-12)


@settings(max_examples=100, deadline=None)
@given(sizes, shares, power_laws)
def test_replace_and_proportion_grow_with_generations(N, lam, error):
    i = np.arange(1, 80)
    for scenario in (Replace(N), Proportion(N, lam)):
        values = bound(scenario, error).evaluate(i=i)
        assert np.all(np.diff(values) >= -1e-15 * values[1:])
    assert np.all(np.diff(bound(Replace(N), error).evaluate(i=i)) > 0)


@settings(max_examples=100, deadline=None)
@given(sizes, st.floats(min_value=0.01, max_value=1.0), power_laws)
def test_proportion_never_exceeds_eps_over_lambda(N, lam, error):
    b = bound(Proportion(N, lam), error)
    ceiling = float(error(N)) / lam
    assert np.all(b.evaluate(i=np.arange(1, 500)) <= ceiling * (1 + 1e-12))
    assert b.limit_value() == pytest.approx(ceiling, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=2, max_value=60), alphas)
def test_bound_decreases_in_size_and_in_real_share(i, alpha):
    error = power_law(1.0, alpha)
    b = bound(Proportion(1000, 0.5), error)
    in_n = b.evaluate(i=i, N=np.logspace(1, 8, 30))
    in_lam = b.evaluate(i=i, lam=np.linspace(0, 1, 30))
    assert np.all(np.diff(in_n) < 0)
    assert np.all(np.diff(in_lam) < 0)


def test_accumulate_stays_bounded_while_replace_grows_linearly():
    error = power_law(1.0, 0.2)
    i = np.array([10, 100, 1000, 10000])
    accumulate = bound(Accumulate(1000, 1000), error)
    replace = bound(Replace(1000), error).evaluate(i=i)
    np.testing.assert_allclose(replace, i * float(error(1000)), rtol=1e-12)
    values = accumulate.evaluate(i=i)
    assert np.all(values < accumulate.limit_value())
    assert values[-1] < replace[0]


@pytest.mark.parametrize("dps", [15, 40, 80])
def test_accumulate_limit_matches_an_exact_series_to_the_digits_asked(dps):
    # eps(N) = C/N with m = n: m sum_k C/(k n (k+1) n) = C/n, since sum 1/(k(k+1)) = 1
    b = bound(Accumulate(7, 7), power_law(3.0, 1.0))
    with mpmath.workdps(dps + 20):
        error = abs(b.limit_value(dps=dps) - mpmath.mpf(3) / 7)
        assert error < mpmath.mpf(10) ** (1 - dps)


def test_accumulate_limit_is_sandwiched_by_integrals_of_its_tail():
    # f(k) = eps(N_k)/N_{k+1} decreases, so int_K^oo f <= sum_{k>=K} f(k) <= f(K) + int_K^oo f
    n, m, alpha = 100.0, 50.0, 0.2
    b = bound(Accumulate(100, 50), power_law(1.0, alpha))
    K = 10**6
    head = b.evaluate(i=K) - (n + (K - 1) * m) ** -alpha  # m sum_{k<K} f(k)
    f = lambda k: (n + (k - 1) * m) ** -alpha / (n + k * m)  # noqa: E731
    integral = float(
        mpmath.quad(lambda u: f(K * mpmath.exp(u)) * K * mpmath.exp(u), [0, mpmath.inf])
    )
    low, high = head + m * integral, head + m * (integral + f(K))
    assert low <= b.limit_value() <= high
    assert high - low < 3e-8  # = m f(K), about 1.5e-8 of the limit


def test_accumulate_limit_is_infinite_when_the_error_does_not_vanish():
    error = diffusion_random_features(M=256, tau=10)
    assert bound(Accumulate(100, 50), error).limit_value() == np.inf
    assert bound(Accumulate(100, 0), error).limit_value() == pytest.approx(float(error(100)))


def test_limits_of_the_other_scenarios():
    error = power_law(2.0, 0.5)
    assert bound(Replace(100), error).limit() == sp.oo
    assert bound(Replace(100), error).limit_value() == np.inf
    assert bound(Proportion(100, 0.0), error).limit_value() == np.inf
    augment = bound(Augment(100, 300), error)
    assert augment.limit_value() == pytest.approx(2.0 / 20 * 4)  # eps(n+m) (n+m)/n
    assert augment.evaluate(i=2000) == pytest.approx(augment.limit_value(), rel=1e-12)
    with pytest.raises(ValueError, match="custom"):
        bound(Custom.accumulate_subsample(10, 3), error).limit()


@settings(max_examples=60, deadline=None)
@given(scenarios, power_laws, generations)
def test_float_and_mpmath_agree_to_1e_12(scenario, error, i):
    b = bound(scenario, error)
    exact = b.evaluate_mp(dps=40, i=i)
    assert abs(b.evaluate(i=i) - float(exact)) <= 1e-12 * float(exact)


@pytest.mark.parametrize("lam", [5e-324, 1e-300, 1e-17, 1e-9])
def test_tiny_real_share_keeps_full_precision(lam):
    # (1 - (1-lam)^i)/lam -> i as lam -> 0; the naive formula returns 0 or garbage here
    b = bound(Proportion(100, lam), power_law(1.0, 0.5))
    assert b.evaluate(i=7) == pytest.approx(0.7 * (1 - 3 * lam), rel=1e-12)
    assert float(b.evaluate_mp(dps=30, i=7)) == pytest.approx(0.7, rel=1e-8)


def test_evaluate_mp_reaches_the_requested_precision():
    b = bound(Proportion(1000, 0.3), power_law(1.0, 0.2))
    low, high = b.evaluate_mp(dps=30, i=40), b.evaluate_mp(dps=80, i=40)
    assert abs(low - high) < mpmath.mpf(10) ** -29 * high
    with mpmath.workdps(80):
        direct = (
            mpmath.mpf(1000) ** mpmath.mpf("-0.2")
            * (1 - mpmath.mpf("0.7") ** 40)
            / mpmath.mpf("0.3")
        )
    assert abs(high - direct) < mpmath.mpf(10) ** -15 * high  # 0.3 and 0.2 enter as doubles


def test_vectorised_evaluation_broadcasts_over_parameters():
    b = bound(Augment(100, 0), power_law())
    m = np.linspace(0, 1000, 11)
    i = np.arange(1, 5)[:, None]
    grid = b.evaluate(i=i, m=m)
    assert grid.shape == (4, 11)
    assert grid[1, 3] == pytest.approx(bound(Augment(100, 300), power_law()).evaluate(i=2))


def test_bound_prints_as_formula_latex_and_knows_its_provenance():
    b = bound(Proportion(1000, 0.5), power_law())
    assert str(b) == "B_i = C*(1 - (1 - lambda)**i)/(N**alpha*lambda)"
    assert b.latex().startswith("B_i = ") and r"\lambda" in b.latex()
    assert b._repr_latex_().startswith("$")
    assert repr(b).startswith("<Bound for proportion(N=1000, lam=0.5) with power law: B_i = ")
    assert "Theorem R" in str(b.provenance) and "uniform in i" in str(b.provenance)
    assert b.substituted().free_symbols == {S.i}


def test_vacuous_values_are_reported_not_clipped():
    b = bound(Replace(10), power_law())
    values = b.evaluate(i=np.arange(1, 6))
    assert values.max() > 1
    assert list(b.vacuous(values)) == list(values > 1)


def test_user_expression_error_model_flows_through():
    error = from_expression("K*log(N + 1)/N", {"K": 2.0})
    b = bound(Replace(50), error)
    assert b.evaluate(i=3) == pytest.approx(3 * 2 * math.log(51) / 50)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"i": 0}, "generation i"),
        ({"i": 2.5}, "generation i"),
        ({"i": 2, "lam": 1.5}, "lam"),
        ({"i": 2, "N": -3}, "N"),
        ({"i": 2, "alpha": float("nan")}, "alpha"),
        ({"i": 2, "bogus": 1}, "bogus"),
        ({}, "i"),
    ],
)
def test_bad_evaluation_parameters_raise_naming_them(params, name):
    b = bound(Proportion(10, 0.5), power_law())
    with pytest.raises(ValueError, match=name):
        b.evaluate(**params)


def test_bad_arguments_to_bound_raise_type_error():
    with pytest.raises(TypeError, match="scenario"):
        bound("replace", power_law())
    with pytest.raises(TypeError, match="error"):
        bound(Replace(10), 0.1)
    with pytest.raises(ValueError, match="generation i"):
        bound(Custom.accumulate_subsample(10, 3), power_law()).evaluate(i=4)


@pytest.mark.parametrize("scenario", [Accumulate(100, 50), Custom.accumulate_subsample(40, 6)])
def test_series_bounds_broadcast_generations_against_other_parameters(scenario):
    b = bound(scenario, power_law())
    i = np.array([1, 3, 6])[:, None]
    alpha = np.array([0.1, 0.2, 0.5, 0.9])
    grid = b.evaluate(i=i, alpha=alpha)
    assert grid.shape == (3, 4)
    for r, g in enumerate(i[:, 0]):
        for c, a in enumerate(alpha):
            assert grid[r, c] == pytest.approx(
                float(b.evaluate(i=int(g), alpha=float(a))), rel=1e-14
            )


# --------------------------------------------------------------------------- stable forms

AUGMENT = bound(Augment(1, 0), power_law())
READABLE_AUGMENT = sp.lambdify([S.i, S.n, S.m, S.C, S.alpha], AUGMENT.expr, "mpmath")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10**6), st.integers(0, 10**9), st.integers(1, 10**4), st.floats(0.05, 0.95))
def test_augment_stable_form_equals_the_readable_closed_form(n, m, i, alpha):
    stable = AUGMENT.evaluate_mp(dps=50, i=i, n=n, m=m, alpha=repr(alpha))
    with mpmath.workdps(100):  # the readable form cancels: 100 digits leave 50 after it
        args = [mpmath.mpf(v) for v in (i, n, m, 1, repr(alpha))]
        want = READABLE_AUGMENT(*args)
        assert abs(stable - want) <= mpmath.mpf(10) ** -45 * abs(want)


def test_a_stable_form_with_a_slipped_exponent_is_caught():
    # negative control for the check above: shift the power of r by one generation
    b = bound(Augment(100, 300), power_law())
    wrong = b.numeric_expr.replace(
        lambda e: isinstance(e, S.xlog1py), lambda e: S.xlog1py(e.args[0] + 1, e.args[1])
    )
    values = {S.n: 100, S.m: 300, S.i: 5, S.C: 1, S.alpha: sp.Rational(1, 5)}
    assert abs(sp.N(wrong.subs(values)) - sp.N(b.expr.subs(values))) > 1e-3


def test_xlog1py_derivatives_are_those_of_c_log_1_plus_y():
    c, y = sp.symbols("c y", positive=True)
    for var in (c, y):
        assert sp.simplify(sp.diff(S.xlog1py(c, y), var) - sp.diff(c * sp.log(1 + y), var)) == 0


def test_augment_at_m_zero_and_generation_one_is_eps_of_n():
    b = bound(Augment(1000, 0), power_law())
    values = b.evaluate(i=np.array([1, 2, 50]), m=np.array([[0.0], [1e15]]))
    assert values[0] == pytest.approx([1000**-0.2] * 3, rel=1e-15)
    assert values[1, 0] == pytest.approx(1000**-0.2, rel=1e-15)  # B_1 never sees m
    assert b.evaluate_mp(i=1, m=0) == b.evaluate_mp(i=7, m=0)


# --------------------------------------------------------------------------- mpmath inputs


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"i": 2, "lam": "3"}, "lam"),
        ({"i": 2, "N": "-100"}, "N"),
        ({"i": 2, "lam": "nan"}, "lam"),
        ({"i": 2, "lam": "inf"}, "lam"),
        ({"i": 2, "lam": "0.3; import os"}, "lam"),
        ({"i": 2, "alpha": "-0.2"}, "alpha"),
        ({"i": "2.5"}, "generation i"),
        ({"i": "0"}, "generation i"),
        ({"i": 2, "N": True}, "N"),
        ({"i": 2, "N": 3 + 1j}, "N"),
        ({"i": 2, "N": None}, "N"),
    ],
)
def test_evaluate_mp_checks_every_parameter_like_evaluate(params, name):
    b = bound(Proportion(10, 0.5), power_law())
    for evaluate in (b.evaluate_mp, b.evaluate):
        with pytest.raises((ValueError, TypeError), match=name):
            evaluate(**params)
    if "i" in params and params.get("i") not in ("2.5", "0"):
        limit_params = {k: v for k, v in params.items() if k != "i"}
        with pytest.raises((ValueError, TypeError), match=name):
            b.limit_value(**limit_params)


@pytest.mark.parametrize("dps", [0, -5, MAX_DIGITS + 1, 2.5, True, "50", None])
def test_digits_must_be_a_whole_number_in_range(dps):
    b = bound(Proportion(10, 0.5), power_law())
    with pytest.raises((ValueError, TypeError), match="dps"):
        b.evaluate_mp(dps=dps, i=2)
    if dps is not None:
        with pytest.raises((ValueError, TypeError), match="dps"):
            b.limit_value(dps=dps)


def test_decimal_text_is_read_exactly_at_the_working_precision():
    b = bound(Proportion(1000, 0.5), power_law(1.0, 0.2))
    got = b.evaluate_mp(dps=80, i=40, lam="0.3", alpha="0.2")
    with mpmath.workdps(90):
        lam, alpha = mpmath.mpf(3) / 10, mpmath.mpf(1) / 5
        direct = mpmath.mpf(1000) ** -alpha * (1 - (1 - lam) ** 40) / lam
        assert abs(got - direct) < mpmath.mpf(10) ** -78 * direct


def test_evaluate_mp_over_arrays_gives_an_object_array_of_the_scalar_values():
    b = bound(Augment(100, 0), power_law())
    m = np.array([0, 10, 1000])
    i = np.array([[1], [4]])
    grid = b.evaluate_mp(dps=30, i=i, m=m)
    assert grid.shape == (2, 3) and grid.dtype == object
    for r in range(2):
        for c in range(3):
            assert isinstance(grid[r, c], mpmath.mpf)
            assert grid[r, c] == b.evaluate_mp(dps=30, i=int(i[r, 0]), m=int(m[c]))
    assert np.allclose(grid.astype(float), b.evaluate(i=i, m=m), rtol=1e-13)
    assert b.vacuous(grid).shape == (2, 3)
    with pytest.raises(ValueError, match="broadcast"):
        b.evaluate_mp(i=[1, 2], m=[1, 2, 3])


def test_series_bounds_refuse_generations_they_cannot_sum():
    b = bound(Accumulate(10, 5), power_law())
    with pytest.raises(ValueError, match="generation i"):
        b.evaluate(i=10**9)
    with pytest.raises(ValueError, match="generation i"):
        b.evaluate_mp(i=10**6)


# --------------------------------------------------------------------------- convergence


def test_accumulate_with_a_log_squared_error_converges_to_the_integral_sandwich():
    # eps(N) = 1/log(N+2)^2 with n = m = 1: f(k) = 1/((k+1) log(k+2)^2), between
    # g(k) = 1/((k+2) log(k+2)^2) and h(k) = 1/((k+1) log(k+1)^2), whose integrals are 1/log,
    # so  sum_{k>=K} f in [1/log(K+2), h(K) + 1/log(K+1)].
    b = bound(Accumulate(1, 1), from_expression(1 / sp.log(S.N + 2) ** 2))
    verdict = b.convergence()
    assert verdict.verdict == "converges" and "Bertrand" in verdict.reason
    K = 10**5
    k = np.arange(1, K, dtype=float)
    head = math.fsum(1 / ((k + 1) * np.log(k + 2) ** 2))
    low = head + 1 / math.log(K + 2)
    high = head + 1 / ((K + 1) * math.log(K + 1) ** 2) + 1 / math.log(K + 1)
    value = b.limit_value()
    assert math.isfinite(value) and low <= value <= high
    assert b.evaluate(i=10**6) < value  # the partial bound climbs towards it


def test_convergence_verdicts_name_their_test():
    diverging = bound(Accumulate(100, 50), diffusion_random_features(M=256, tau=10))
    assert diverging.convergence().verdict == "diverges"
    assert "p = 1" not in diverging.convergence().reason  # decided by the Bertrand step
    assert bound(Accumulate(100, 50), power_law()).convergence().verdict == "converges"
    assert bound(Replace(10), power_law()).convergence().verdict == "diverges"
    assert bound(Proportion(10, 0.0), power_law()).convergence().verdict == "diverges"
    assert bound(Proportion(10, 0.5), power_law()).convergence().verdict == "converges"


def test_an_undecided_series_is_said_to_be_undecided_not_infinite():
    # eps = 1/log(N+2) gives terms ~ 1/(k log k): the Bertrand exponent is exactly 1
    b = bound(Accumulate(1, 1), from_expression(1 / sp.log(S.N + 2)))
    assert b.convergence().verdict == "unknown"
    with pytest.raises(UndecidedLimit, match="lim B_i"):
        b.limit_value()


def test_a_model_beyond_sympys_limits_is_undecided_at_once():
    from bounds.errors import diffusion_early_stopped

    b = bound(Accumulate(100, 50), diffusion_early_stopped(M=256))
    assert b.convergence().verdict == "unknown" and "Max" in b.convergence().reason
    with pytest.raises(UndecidedLimit):
        b.limit_value()


def test_vacuous_compares_exact_numbers_exactly_and_refuses_the_rest_by_name():
    with mpmath.workdps(50):
        barely = mpmath.mpf(1) + mpmath.mpf(10) ** -30  # rounds to 1.0 as a float
    assert not bound(Replace(10), power_law()).vacuous(float(barely))
    assert bool(bound(Replace(10), power_law()).vacuous(barely))
    assert list(bound(Replace(10), power_law()).vacuous([10**400, 1])) == [True, False]
    for bad in (None, "abc", 1 + 2j, [[1.0], [1.0, 2.0]], float("nan")):
        with pytest.raises((TypeError, ValueError), match="values must be"):
            bound(Replace(10), power_law()).vacuous(bad)


def test_ragged_parameters_are_refused_by_name():
    b = bound(Replace(100), power_law())
    with pytest.raises(TypeError, match="N must be a real number"):
        b.evaluate(i=2, N=[[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="N must be a real number"):
        b.evaluate_mp(i=2, N=[[1.0], [1.0, 2.0]])


def test_recursion_and_proof_refuse_generations_out_of_range_by_name():
    eps = sp.Function("eps")
    for i in (0, -1, 2**63, 10**400):
        with pytest.raises(ValueError, match=rf"generation i must be .* \[1, {MAX_UNROLLED}\]"):
            recursion(Augment(10, 5), eps, i)
    with pytest.raises(TypeError, match="scenario must be a bounds Scenario, got nan"):
        recursion(float("nan"), eps, 2)
    for base in (0, 2**63, float("nan"), "3"):
        with pytest.raises(
            (TypeError, ValueError), match=rf"base must be .* \[1, {MAX_PROOF_BASE}\]"
        ):
            prove_closed_form(Augment(10, 5), base=base)

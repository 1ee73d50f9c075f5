"""Scenarios: sizes and weights as numbers and as sympy expressions, and their validation."""

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import strategies as bs
from bounds.scenarios import (
    MAX_CUSTOM_GENERATIONS,
    MAX_WEIGHTS_GENERATION,
    SCENARIOS,
    Accumulate,
    Augment,
    Custom,
    Proportion,
    Replace,
    Scenario,
    scenario_from_dict,
)

generations = bs.generations(max_value=40)
scenarios = st.one_of(
    bs.scenarios(kinds=("replace", "proportion", "augment", "accumulate"), max_size=10**6),
    st.builds(Custom.accumulate_subsample, bs.sizes(max_value=10**6), st.integers(40, 60)),
)


@given(scenarios, generations)
def test_weights_are_a_probability_vector_over_earlier_generations(scenario: Scenario, i: int):
    w = scenario.weights(i)
    assert len(w) == i
    assert all(x >= 0 for x in w)
    assert sum(w) == pytest.approx(1.0, abs=1e-12)


@given(scenarios)
def test_generation_one_trains_on_real_data_only(scenario: Scenario):
    assert scenario.weights(1) == (1.0,)
    assert scenario.real_share(1) == 1.0


@given(scenarios, generations)
def test_symbolic_form_evaluates_to_the_numbers(scenario: Scenario, i: int):
    values = scenario.symbols()
    assert int(scenario.symbolic_size(i).subs(values)) == scenario.size(i)
    symbolic = [float(w.subs(values)) for w in scenario.symbolic_weights(i)]
    assert symbolic == pytest.approx(scenario.weights(i), rel=1e-12, abs=1e-15)


@given(scenarios, generations)
def test_counts_are_whole_parts_of_the_size_close_to_the_weights(scenario: Scenario, i: int):
    counts = scenario.counts(i)
    assert sum(counts) == scenario.size(i)
    for c, w in zip(counts, scenario.weights(i), strict=True):
        assert abs(c - w * scenario.size(i)) < 1


def test_table_of_section_one():
    assert [Accumulate(10, 3).size(i) for i in (1, 2, 3)] == [10, 13, 16]
    assert Accumulate(10, 3).weights(3) == (10 / 16, 3 / 16, 3 / 16)
    assert Augment(10, 30).weights(2) == (0.25, 0.75)
    assert [Augment(10, 30).size(i) for i in (1, 2)] == [10, 40]
    assert Proportion(100, 0.3).weights(3) == (0.3, 0.0, 0.7)
    assert Replace(5).weights(4) == (0.0, 0.0, 0.0, 1.0)
    assert Custom.accumulate_subsample(9, 3).symbolic_weights(3) == (sp.Rational(1, 3),) * 3


def test_only_accumulating_scenarios_keep_synthetic_sets():
    assert Accumulate(1, 1).keeps_synthetic
    assert Custom.accumulate_subsample(1, 2).keeps_synthetic
    assert not any(s.keeps_synthetic for s in (Replace(1), Proportion(1, 0.5), Augment(1, 1)))


def test_scenarios_are_immutable_values():
    s = Augment(10, 20)
    assert s == Augment(10, 20) and hash(s) == hash(Augment(10.0, 20))
    with pytest.raises(AttributeError):
        s.n = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: Replace(0), "N"),
        (lambda: Replace(-5), "N"),
        (lambda: Replace(10.5), "N"),
        (lambda: Proportion(10, 1.5), "lam"),
        (lambda: Proportion(10, -0.1), "lam"),
        (lambda: Proportion(10, float("nan")), "lam"),
        (lambda: Augment(0, 3), "n"),
        (lambda: Augment(3, -1), "m"),
        (lambda: Accumulate(3, 2.5), "m"),
        (lambda: Custom((5, 5), ((1,), (0.5, 0.6))), "weights_table[1]"),
        (lambda: Custom((5, 5), ((1,), (0.5,))), "weights_table[1]"),
        (lambda: Custom((5,), ((0.5,),)), "weights_table[0]"),
        (lambda: Custom((5, 5), ((1,), (-0.5, 1.5))), "weights_table[1][0]"),
        (lambda: Custom((5, 0), ((1,), (0.5, 0.5))), "sizes[1]"),
        (lambda: Custom((5, 5), ((1,),)), "weights_table"),
        (lambda: Replace(5).weights(0), "generation i"),
        (lambda: Replace(5).size(-2), "generation i"),
        (lambda: Custom((5,), ((1,),)).size(2), "generation i"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        make()


@pytest.mark.parametrize("bad", ["100", None, True, 3 + 0j])
def test_non_numbers_raise_type_error(bad):
    with pytest.raises(TypeError, match="N"):
        Replace(bad)


def test_custom_accepts_fractions_and_floats():
    s = Custom((4, 8), ((1,), (Fraction(1, 4), 0.75)))
    assert s.weights(2) == (0.25, 0.75)
    assert s.counts(2) == (2, 6)


@pytest.mark.parametrize("kind", bs.KINDS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_every_kind_round_trips_exactly_through_json(kind, data):
    scenario = data.draw(bs.scenarios(kinds=(kind,), max_generations=6))
    data_ = json.loads(json.dumps(scenario.to_dict()))
    rebuilt = scenario_from_dict(data_)
    assert type(rebuilt) is type(scenario) and rebuilt == scenario
    assert rebuilt.to_dict() == scenario.to_dict()


def test_two_different_custom_scenarios_have_different_dicts():
    one = Custom((5, 6), ((1,), ("1/3", "2/3")))
    two = Custom((5, 6), ((1,), ("2/3", "1/3")))
    assert one.to_dict() != two.to_dict()
    assert one.to_dict()["weights_table"][1] == ["1/3", "2/3"]  # exact, not 0.333...


@pytest.mark.parametrize(
    ("data", "word"),
    [
        ({"N": 5}, "name"),
        ({"name": "bogus", "N": 5}, "scenario name"),
        ({"name": "replace", "n": 5}, "replace"),
        ({"name": "replace", "N": -5}, "N"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_dicts_are_refused_by_name(data, word):
    with pytest.raises(ValueError, match=word):
        scenario_from_dict(data)


def test_synthetic_amount_hooks():
    assert Augment(10, 5).with_synthetic(7) == Augment(10, 7)
    assert Accumulate(10, 5).with_synthetic(0) == Accumulate(10, 0)
    assert (Augment.synthetic, Augment.real) == ("m", "n")
    with pytest.raises(ValueError, match="m"):
        Augment(10, 5).with_synthetic(-1)  # validated like any construction
    for no_amount in (Replace(5), Proportion(5, 0.5), Custom((5,), ((1,),))):
        with pytest.raises(ValueError, match="no synthetic amount"):
            no_amount.with_synthetic(3)


def test_each_scenario_names_how_its_bound_is_evaluated():
    kinds = {cls.name: cls.evaluation for cls in SCENARIOS.values()}
    assert kinds == {
        "replace": "closed",
        "proportion": "closed",
        "augment": "closed",
        "accumulate": "partial sums",
        "custom": "recursion",
    }


def test_even_weights_spell_accumulate_subsample():
    even = Custom((50, 50, 50), "even", keep_synthetic=True)
    assert even == Custom.accumulate_subsample(50, 3)
    assert even.weights(3) == (1 / 3, 1 / 3, 1 / 3)
    assert scenario_from_dict(even.to_dict()) == even
    with pytest.raises(TypeError, match="sequences"):
        Custom(50, "even")


@pytest.mark.parametrize(
    "scenario", [Replace(5), Proportion(5, 0.5), Augment(5, 5), Accumulate(5, 5)]
)
@pytest.mark.parametrize("method", ["weights", "symbolic_weights", "real_share", "counts"])
def test_weights_beyond_the_row_limit_are_refused_by_name(scenario, method):
    allowed = rf"generation i must be a whole number in \[1, {MAX_WEIGHTS_GENERATION}\]"
    assert len(scenario.weights(3)) == 3
    for i in (MAX_WEIGHTS_GENERATION + 1, 1e300, 2**63):
        with pytest.raises(ValueError, match=allowed):
            getattr(scenario, method)(i)


def test_sizes_need_no_row_limit():
    assert Replace(5).size(10**400) == 5
    assert Accumulate(5, 2).size(10**12) == 5 + (10**12 - 1) * 2


def test_keep_synthetic_must_be_a_bool():
    assert Custom((5,), ((1,),), keep_synthetic=np.True_).keep_synthetic is True
    for bad in (float("nan"), 1, "yes", None):
        with pytest.raises(TypeError, match="keep_synthetic must be True or False"):
            Custom((5,), ((1,),), keep_synthetic=bad)


def test_accumulate_subsample_names_its_own_parameters():
    with pytest.raises(ValueError, match="N must be a whole number >= 1, got nan"):
        Custom.accumulate_subsample(float("nan"), 3)
    allowed = rf"generations must be a whole number in \[1, {MAX_CUSTOM_GENERATIONS}\]"
    with pytest.raises(ValueError, match=allowed):
        Custom.accumulate_subsample(10, 1e300)


@pytest.mark.parametrize("data", [float("nan"), None, "replace", {}])
def test_scenario_data_that_is_not_a_named_mapping_is_refused_by_name(data):
    with pytest.raises(ValueError, match="data must be a mapping with a 'name'"):
        scenario_from_dict(data)


def test_custom_weights_of_the_wrong_kind_are_refused_by_name():
    """Issue 12: weights_table None or a flat list raised AttributeError."""
    for bad in (None, [1, 2], 5, "ab"):
        with pytest.raises((TypeError, ValueError), match="weights_table"):
            Custom(sizes=(10, 10), weights_table=bad)

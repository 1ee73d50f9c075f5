"""bounds.strategies: every valid draw validates and evaluates; every invalid draw is refused."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import errors
from bounds import strategies as bs
from bounds.propagation import bound
from bounds.scenarios import SCENARIOS, Custom, scenario_from_dict


@pytest.mark.parametrize("kind", bs.KINDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_each_kind_draws_valid_scenarios_of_that_kind(kind, data):
    scenario = data.draw(bs.scenarios(kinds=(kind,)))
    assert scenario.name == kind
    rebuilt = SCENARIOS[kind](**scenario.parameters())  # validated again on construction
    assert rebuilt == scenario
    for g in range(1, min(scenario.horizon or 8, 8) + 1):
        assert sum(scenario.weights(g)) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(bs.custom_scenarios(max_generations=6))
def test_custom_draws_survive_a_json_round_trip(scenario):
    assert isinstance(scenario, Custom) and 1 <= scenario.horizon <= 6
    assert scenario_from_dict(json.loads(json.dumps(scenario.to_dict()))) == scenario


@settings(max_examples=40, deadline=None)
@given(bs.error_models())
def test_error_model_draws_are_finite_and_positive(model):
    values = model(np.logspace(0, 9, 10))
    assert np.all(np.isfinite(values)) and np.all(values > 0)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), scenario=bs.scenarios(max_size=10**5), model=bs.power_laws())
def test_parameter_grids_evaluate_to_finite_grids(data, scenario, model):
    b = bound(scenario, model)
    grid = data.draw(bs.parameter_grids(b))
    values = b.evaluate(**grid)
    assert values.shape == np.broadcast_shapes(*(a.shape for a in grid.values()))
    assert np.all(np.isfinite(values)) and np.all(values > 0)


@settings(max_examples=150, deadline=None)
@given(bs.invalid_scenario_parameters())
def test_invalid_scenario_draws_are_refused_by_name(invalid):
    with pytest.raises((ValueError, TypeError)) as caught:
        SCENARIOS[invalid.kind](**invalid.parameters)
    assert invalid.name in str(caught.value)


@pytest.mark.parametrize(
    "scenario", [SCENARIOS["proportion"](100, 0.5), Custom((5, 6), ((1,), (0.5, 0.5)))]
)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_invalid_evaluation_draws_are_refused_by_name(scenario, data):
    b = bound(scenario, errors.power_law())
    invalid = data.draw(bs.invalid_evaluation_parameters(b))
    for evaluate in (b.evaluate, b.evaluate_mp):
        with pytest.raises((ValueError, TypeError)) as caught:
            evaluate(**invalid.parameters)
        assert invalid.name in str(caught.value)


def test_the_invalid_strategies_are_not_vacuous():
    # a control: the same checks pass on good values, so refusals come from the bad value
    assert SCENARIOS["proportion"](N=10, lam=0.5).lam == 0.5
    b = bound(SCENARIOS["replace"](10), errors.power_law())
    assert np.isfinite(b.evaluate(i=2, N=10.0)) and b.evaluate_mp(i=2, N="10") > 0


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="kinds"):
        bs.scenarios(kinds=("nonsense",))

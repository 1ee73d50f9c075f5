"""Run specifications: exact round trips, one key, canonical components, clear refusals."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounds import Accumulate, Augment, Custom, Proportion, Replace
from empirical.loop import run, run_loop
from empirical.spec import MODELS, TRUTHS, Component, RunSpec

KDE_02 = MODELS.component("kde", bandwidth=0.2)
NORMAL = TRUTHS.component("gaussian", mean=0.0, cov=1.0)

scenarios = st.one_of(
    st.builds(Replace, st.integers(1, 10**6)),
    st.builds(Proportion, st.integers(1, 10**6), st.floats(0, 1)),
    st.builds(Augment, st.integers(1, 10**6), st.integers(0, 10**6)),
    st.builds(Accumulate, st.integers(1, 10**6), st.integers(0, 10**6)),
    st.integers(1, 6).map(lambda g: Custom.accumulate_subsample(100, g)),
)


@given(
    scenario=scenarios,
    seed=st.integers(0, 2**32),
    real=st.sampled_from(["fixed", "fresh"]),
    bandwidth=st.one_of(st.floats(1e-3, 10), st.sampled_from(["scott", "silverman"])),
)
def test_a_spec_round_trips_through_json_exactly(scenario, seed, real, bandwidth):
    generations = scenario.horizon or 3
    spec = RunSpec(
        scenario, MODELS.component("kde", bandwidth=bandwidth), NORMAL, generations, seed, real
    )
    again = RunSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and again.key() == spec.key()


def test_the_key_changes_with_everything_that_decides_the_numbers():
    base = RunSpec(Replace(100), KDE_02, NORMAL, 3, 0)
    variants = [
        RunSpec(Replace(101), KDE_02, NORMAL, 3, 0),
        RunSpec(Replace(100), MODELS.component("kde", bandwidth=0.3), NORMAL, 3, 0),
        RunSpec(Replace(100), KDE_02, TRUTHS.component("gaussian", mean=1.0, cov=1.0), 3, 0),
        RunSpec(Replace(100), KDE_02, NORMAL, 4, 0),
        RunSpec(Replace(100), KDE_02, NORMAL, 3, 1),
        RunSpec(Replace(100), KDE_02, NORMAL, 3, 0, "fresh"),
        RunSpec(Replace(100), KDE_02, NORMAL, 3, 0, grid_points=1025),
    ]
    keys = {base.key(), *(v.key() for v in variants)}
    assert len(keys) == len(variants) + 1


def test_two_spellings_of_one_component_are_one_component():
    assert TRUTHS.component("gaussian", mean=0, cov=1) == TRUTHS.component(
        "gaussian", mean=[0.0], cov=[[1.0]]
    )
    assert MODELS.component("diffusion", width=8) == MODELS.component("diffusion", width=8.0)


def test_records_rebuild_their_run():
    records = run_loop(Replace(150), lambda: MODELS.build(KDE_02), TRUTHS.build(NORMAL), 2, 5)
    spec = RunSpec.from_dict(records[0]["spec"])
    assert spec.key() == records[0]["key"]
    again = run(spec)
    assert [r["delta"] for r in again] == [r["delta"] for r in records]


def test_infinite_parameters_are_named_and_nan_is_refused():
    model = MODELS.component("diffusion", width=4, tau=math.inf)
    assert model.parameters["tau"] == "inf"
    assert MODELS.build(model).tau == math.inf
    with pytest.raises(ValueError, match="NaN"):
        Component("kde", {"bandwidth": math.nan})


@pytest.mark.parametrize(
    ("change", "exception", "match"),
    [
        ({"real": "recycled"}, ValueError, "real"),
        ({"generations": 0}, ValueError, "generations"),
        ({"seed": -1}, ValueError, "seed"),
        ({"scenario": "replace"}, TypeError, "scenario"),
        ({"model": 3}, TypeError, "model"),
        ({"grid_points": 2}, ValueError, "grid_points"),
    ],
)
def test_bad_specs_raise_naming_the_parameter(change, exception, match):
    base = dict(scenario=Replace(10), model=KDE_02, truth=NORMAL, generations=2, seed=0)
    with pytest.raises(exception, match=match):
        RunSpec(**{**base, **change})


def test_unknown_names_and_parameters_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="model must be one of kde, diffusion"):
        MODELS.component("gan")
    with pytest.raises(ValueError, match="width is not a parameter of model kde"):
        MODELS.component("kde", width=3)
    with pytest.raises(ValueError, match="generations must be <= 2"):
        RunSpec(Custom((10, 10), ((1,), (0, 1))), KDE_02, NORMAL, 3, 0)


def test_huge_generations_are_refused_at_once():
    """Issue 12: a huge generations count hung (the loop lists every generation's counts)."""
    kde, truth = MODELS.component("kde", bandwidth=0.3), TRUTHS.component("gaussian", mean=0.0)
    for bad in (10**7, 1e300, 10**400):
        with pytest.raises(ValueError, match="generations"):
            RunSpec(Replace(20), kde, truth, bad, 0)
    from empirical.kde import KDE
    from empirical.truths import Gaussian

    with pytest.raises(ValueError, match="generations"):
        run_loop(Replace(20), lambda: KDE(0.3), Gaussian(0.0), 10**7, 0)

"""Sweeps: every run once, streamed to disk, resumable, the same under any executor."""

import functools
import json
import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from bounds import Augment, Proportion, Replace
from empirical.diffusion import DiffusionModel
from empirical.kde import KDE
from empirical.loop import describe
from empirical.sweep import Run, grid, recorded_keys, sweep
from empirical.truths import Gaussian

KDE_03 = functools.partial(KDE, bandwidth=0.3)


def small_grid():
    scenarios = [Replace(200), Proportion(200, 0.5), Augment(100, 100)]
    return grid(scenarios, [KDE_03], [Gaussian(0.0, 1.0)], seeds=range(2), generations=3)


def without_times(records):
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "wall_time"}, sort_keys=True)
        for r in records
    )


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_grid_is_the_product_of_the_choices():
    runs = small_grid()
    assert len(runs) == 3 * 2
    assert len({run.key() for run in runs}) == 6


def test_sweep_records_every_generation_of_every_run_once(tmp_path):
    path = tmp_path / "runs.jsonl"
    assert sweep(small_grid(), path) == 6
    records = read(path)
    assert len(records) == 6 * 3
    assert len(recorded_keys(path)) == 6
    assert sweep(small_grid(), path) == 0  # nothing left to do
    assert len(read(path)) == 18


def test_an_interrupted_sweep_resumes_with_only_the_missing_runs(tmp_path):
    path, full = tmp_path / "runs.jsonl", tmp_path / "full.jsonl"
    sweep(small_grid(), full)
    lines = full.read_text().splitlines(keepends=True)
    # an interruption: the last run's final generation lost, the one before cut in half
    path.write_text("".join(lines[:-2]) + lines[-2][: len(lines[-2]) // 2])
    assert len(recorded_keys(path)) == 5
    seen = []
    assert sweep(small_grid(), path, on_done=lambda run, records: seen.append(run)) == 1
    assert len(seen) == 1 and len(recorded_keys(path)) == 6
    assert without_times(read(path)) == without_times(read(full))


def test_any_executor_gives_the_same_records(tmp_path):
    here, pooled = tmp_path / "here.jsonl", tmp_path / "pooled.jsonl"
    sweep(small_grid(), here)
    with ThreadPoolExecutor(max_workers=2) as executor:
        sweep(small_grid(), pooled, executor)
    assert without_times(read(here)) == without_times(read(pooled))


@pytest.mark.parametrize(
    ("kwargs", "exception", "match"),
    [
        ({"real": "recycled"}, ValueError, "real"),
        ({"generations": 0}, ValueError, "generations"),
        ({"seed": -1}, ValueError, "seed"),
        ({"scenario": "replace"}, TypeError, "scenario"),
        ({"model": 3}, TypeError, "model"),
    ],
)
def test_bad_runs_raise_naming_the_parameter(kwargs, exception, match):
    base = dict(scenario=Replace(10), model=KDE_03, truth=Gaussian(0.0, 1.0), generations=2, seed=0)
    with pytest.raises(exception, match=match):
        Run(**{**base, **kwargs})


def test_a_non_finite_hyper_parameter_is_recorded_by_name(tmp_path):
    # tau = inf (least squares) must survive strict JSON and give the same key when resumed
    model = functools.partial(DiffusionModel, width=8, steps=10, tau=math.inf)
    assert describe(model())["parameters"]["tau"] == "inf"
    runs = grid([Replace(50)], [model], [Gaussian(0.0, 1.0)], seeds=[0], generations=1)
    path = tmp_path / "inf.jsonl"
    assert sweep(runs, path) == 1
    assert read(path)[0]["model"]["parameters"]["tau"] == "inf"
    assert sweep(runs, path) == 0

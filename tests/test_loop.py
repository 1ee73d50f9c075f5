"""The loop runner: what each generation trains on, reproducibility, records, and the exact
population recursion of KDE in the loop (THEORY section 5)."""

import gc
import json
import math
import weakref

import numpy as np
import pytest

import bounds
from bounds import Accumulate, Augment, Custom, Proportion, Replace
from empirical.grid import spread_box
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.records import read_jsonl
from empirical.truths import Gaussian
from empirical.verify import check_propagation

TRUTH = Gaussian(0.0, 1.0)


class Recorder:
    """A KDE factory that keeps every model it made (the loop fits them in place)."""

    def __init__(self, bandwidth=0.3):
        self.bandwidth = bandwidth
        self.models = []

    def __call__(self):
        self.models.append(KDE(self.bandwidth))
        return self.models[-1]


def _strip(records):
    return [{k: v for k, v in r.items() if k != "wall_time"} for r in records]


def test_same_seed_same_records_and_other_seed_other_records():
    scenario = Augment(n=200, m=300)
    a = run_loop(scenario, lambda: KDE("scott"), TRUTH, 4, seed=11, grid_points=1025)
    b = run_loop(scenario, lambda: KDE("scott"), TRUTH, 4, seed=11, grid_points=1025)
    c = run_loop(scenario, lambda: KDE("scott"), TRUTH, 4, seed=12, grid_points=1025)
    assert _strip(a) == _strip(b)
    assert [r["delta"] for r in a] != [r["delta"] for r in c]


def test_records_say_what_ran_and_are_written_as_json_lines(tmp_path):
    path = tmp_path / "run.jsonl"
    scenario = Proportion(N=300, lam=0.4)
    records = run_loop(
        scenario, lambda: KDE(0.3), TRUTH, 3, seed=5, real="fresh", path=path, grid_points=1025
    )
    assert read_jsonl(path) == json.loads(json.dumps(records))
    assert [p.name for p in tmp_path.iterdir()] == ["run.jsonl"]  # no temporary left behind
    for i, r in enumerate(records, start=1):
        assert r["generation"] == i and r["N"] == scenario.size(i) == sum(r["counts"])
        assert r["counts"] == list(scenario.counts(i))
        assert r["lambda"] == r["weights"][0] == r["counts"][0] / r["N"]
        assert r["real"] == "fresh" and r["seed"] == 5 and r["version"] == bounds.__version__
        assert r["scenario"] == {"name": "proportion", "parameters": {"N": 300, "lam": 0.4}}
        assert r["model"] == {"type": "KDE", "parameters": {"bandwidth": 0.3, "kernel": "gaussian"}}
        assert r["tv_method"] == "quadrature" and r["wall_time"] > 0
        assert 0 <= r["delta"] <= 1 and 0 <= r["epsilon"] <= 1
        assert r["delta_error"] < 1e-4 and r["epsilon_error"] < 1e-4
    assert records[0]["delta"] == records[0]["epsilon"]  # q_1 = p_0


def test_fixed_real_data_is_one_pool_and_fresh_is_redrawn():
    for real, same in (("fixed", True), ("fresh", False)):
        rec = Recorder()
        run_loop(Proportion(N=100, lam=0.5), rec, TRUTH, 3, seed=1, real=real, grid_points=257)
        first, second, third = (m.data_ for m in rec.models)
        assert np.array_equal(first[:50], second[:50]) is same
        assert np.array_equal(second[:50], third[:50]) is same
        assert second.shape == (100, 1)


def test_accumulate_keeps_each_synthetic_set_and_replace_redraws():
    rec = Recorder()
    run_loop(Accumulate(n=40, m=30), rec, TRUTH, 4, seed=2, grid_points=257)
    data = [m.data_ for m in rec.models]
    assert [len(d) for d in data] == [40, 70, 100, 130]
    # rows ordered by source: real 0:40, then 30 rows from p_1, p_2, ...
    assert np.array_equal(data[1][40:70], data[2][40:70]) and np.array_equal(
        data[2][40:70], data[3][40:70]
    )
    assert np.array_equal(data[2][70:100], data[3][70:100])
    # the synthetic rows come from the model of that generation: p_1's rows are near p_1's data
    assert not np.array_equal(data[1][40:70], data[0][:30])
    rec = Recorder()
    run_loop(
        Custom((40, 40, 40), ((1,), (0.5, 0.5), (0.5, 0.25, 0.25))),
        rec,
        TRUTH,
        3,
        seed=2,
        grid_points=257,
    )
    second, third = rec.models[1].data_, rec.models[2].data_
    assert not np.array_equal(second[20:40], third[20:30])  # not keeping: p_1 is sampled afresh


def test_accumulate_subsample_takes_prefixes_of_the_kept_sets():
    rec = Recorder()
    run_loop(Custom.accumulate_subsample(60, 4), rec, TRUTH, 4, seed=3, grid_points=257)
    g3, g4 = rec.models[2].data_, rec.models[3].data_  # counts (20, 20, 20) and (15, 15, 15, 15)
    assert np.array_equal(g3[20:35], g4[15:30])  # p_1's kept set, first 20 then first 15 rows


class OtherModel:
    """A KDE under another name: the loop cannot size a grid ahead for a model it does not know."""

    def __init__(self, bandwidth):
        self.kde = KDE(bandwidth)

    def fit(self, X, rng):
        self.kde.fit(X, rng)
        return self

    def __getattr__(self, name):
        return getattr(self.kde, name)


def test_grid_widens_when_another_model_spreads_beyond_it():
    narrow = Gaussian(0.0, 0.01)  # sd 0.1, while the kernels have sd 1
    factory = lambda: OtherModel(1.0)  # noqa: E731
    records = run_loop(Replace(200), factory, narrow, 3, seed=4, grid_points=257)
    first, last = records[0]["grid"], records[-1]["grid"]
    assert last["shape"][0] > 257 and last["hi"][0] > first["hi"][0] + 3
    assert all(r["delta_error"] < 1e-3 for r in records)
    assert records[-1]["delta"] > 0.8  # the models are far wider than the truth


def test_a_kde_loop_sizes_its_grid_once_for_the_whole_spread():
    narrow = Gaussian(0.0, 0.01)
    records = run_loop(Replace(200), lambda: KDE(1.0), narrow, 3, seed=4, grid_points=257)
    grids = [r["grid"] for r in records]
    assert all(g == grids[0] for g in grids)  # never widened nor refined
    lo, hi = spread_box(*narrow.bounding_box(1e-10), 1.0, 3, 1e-10)
    assert grids[0]["lo"][0] <= lo[0] and grids[0]["hi"][0] >= hi[0]
    assert all(r["delta_error"] < 1e-3 for r in records)
    other = run_loop(Replace(200), lambda: OtherModel(1.0), narrow, 3, seed=4, grid_points=257)
    for mine, theirs in zip(records, other, strict=True):  # the same models, another grid
        gap = abs(mine["delta"] - theirs["delta"])
        assert gap <= mine["delta_error"] + theirs["delta_error"]


def test_replace_keeps_only_the_model_it_still_samples():
    # memory stays bounded over the generations: when generation i is trained, p_{i-1} (which
    # it samples) is the only earlier model alive; Accumulate must keep all (negative control)
    def alive_per_generation(scenario):
        made, alive = [], []

        def factory():
            gc.collect(0)  # the young objects only: a full collection per call is slow
            alive.append(sum(ref() is not None for ref in made))
            made.append(weakref.ref(model := KDE(0.3)))
            return model

        run_loop(scenario, factory, TRUTH, 12, seed=0, grid_points=1025)
        return alive

    assert max(alive_per_generation(Replace(100))) == 1
    assert alive_per_generation(Accumulate(n=50, m=20))[-1] >= 10


def test_monte_carlo_in_three_dimensions_and_theorem_r_holds():
    truth = Gaussian(np.zeros(3))
    records = run_loop(Proportion(200, 0.5), lambda: KDE(0.4), truth, 3, seed=6, mc_samples=50_000)
    assert all(r["tv_method"] == "monte-carlo" and r["grid"] is None for r in records)
    assert all(row["holds"] for row in check_propagation(records))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="real"):
        run_loop(Replace(10), KDE, TRUTH, 2, seed=0, real="both")
    with pytest.raises(ValueError, match="generations"):
        run_loop(Replace(10), KDE, TRUTH, 0, seed=0)
    with pytest.raises(ValueError, match="generations"):
        run_loop(Custom((10,), ((1,),)), KDE, TRUTH, 2, seed=0)
    with pytest.raises(TypeError, match="scenario"):
        run_loop("replace", KDE, TRUTH, 2, seed=0)
    with pytest.raises(ValueError, match="seed"):
        run_loop(Replace(10), KDE, TRUTH, 2, seed=-1)


# -- the population recursion of KDE in the loop -------------------------------------------
# With a Gaussian kernel of bandwidth h and p_0 = N(0, s^2), E p_hat_i is the Gaussian mixture
#   sum_{k=1}^{i-1} lam (1-lam)^{k-1} N(0, s^2 + k h^2) + (1-lam)^{i-1} N(0, s^2 + i h^2),
# of variance s^2 + h^2 (1 - (1-lam)^i) / lam (s^2 + i h^2 when lam = 0). The second moment of
# p_hat_i is mean(X^2) + h^2 over its training set X, so its average over S seeds estimates that
# variance with standard error sd / sqrt(S); the average density estimates the mixture pointwise.
# Tolerances: z = 4.5 standard errors (estimated from the S seeds) per check; there are
# 2 scenarios x 4 generations x (1 + 41) checks = 336, each failing with probability <= 6.8e-6 if
# the code is right, so the test fails with probability < 2.3e-3 (Bonferroni); seeds are fixed.
S, N, H, G, Z = 300, 200, 0.5, 4, 4.5
XS = np.linspace(-4.0, 4.0, 41)


def _population_mixture(lam, i, x):
    weights = [lam * (1 - lam) ** (k - 1) for k in range(1, i)] + [(1 - lam) ** (i - 1)]
    variances = [1 + k * H**2 for k in range(1, i + 1)]
    return sum(
        w * np.exp(-(x**2) / (2 * v)) / math.sqrt(2 * math.pi * v)
        for w, v in zip(weights, variances, strict=True)
    )


def _population_variance(lam, i):
    return 1 + (i * H**2 if lam == 0 else H**2 * (1 - (1 - lam) ** i) / lam)


@pytest.fixture(scope="module")
def seeds_of_runs():
    out = {}
    for scenario in (Replace(N), Proportion(N, 0.5)):
        moments, densities = np.empty((S, G)), np.empty((S, G, XS.size))
        for s in range(S):
            rec = Recorder(H)
            records = run_loop(scenario, rec, TRUTH, G, seed=s, real="fresh", grid_points=129)
            # a coarse grid: some rows are inconclusive, none may be violated
            assert all(row["verdict"] != "violated" for row in check_propagation(records))
            for i, model in enumerate(rec.models):
                moments[s, i] = np.mean(model.data_**2) + H**2
                densities[s, i] = model.pdf(XS)
        out[scenario.real_share(2)] = (moments, densities)
    return out


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_mean_kde_has_the_closed_form_population_variance(seeds_of_runs, lam):
    moments, _ = seeds_of_runs[lam]
    for i in range(1, G + 1):
        column = moments[:, i - 1]
        se = column.std(ddof=1) / math.sqrt(S)
        assert abs(column.mean() - _population_variance(lam, i)) <= Z * se
    # negative control: the other scenario's formula is rejected at the last generation
    wrong = _population_variance(0.5 if lam == 0 else 0.0, G)
    column = moments[:, G - 1]
    assert abs(column.mean() - wrong) > Z * column.std(ddof=1) / math.sqrt(S)


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_mean_kde_density_is_the_closed_form_mixture(seeds_of_runs, lam):
    _, densities = seeds_of_runs[lam]
    for i in range(1, G + 1):
        values = densities[:, i - 1]
        se = values.std(axis=0, ddof=1) / math.sqrt(S)
        assert np.all(np.abs(values.mean(axis=0) - _population_mixture(lam, i, XS)) <= Z * se)


def test_replace_vs_proportion_figure_is_written_as_png(tmp_path):
    from empirical.figures import kde_replace_vs_proportion

    path = kde_replace_vs_proportion(tmp_path / "kde.png", N=200, generations=3, seeds=1)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kde.png"]


class LoggedKDE(KDE):
    """A KDE that keeps what it sampled."""

    def sample(self, size, rng):
        self.drawn = super().sample(size, rng)
        return self.drawn


def test_pool_subsample_draws_uniformly_from_the_whole_pool_each_generation():
    # the published Accumulate-Subsample rule: N points a generation, without replacement from the
    # real set and every kept synthetic set, fresh each generation (random counts)
    scenario = Custom.accumulate_subsample(60, 4)
    models = []

    def factory():
        models.append(LoggedKDE(0.3))
        return models[-1]

    records = run_loop(scenario, factory, TRUTH, 4, seed=3, grid_points=257, subsample="pool")
    assert [r["spec"]["subsample"] for r in records] == ["pool"] * 4
    assert all(sum(r["counts"]) == 60 == len(m.data_) for r, m in zip(records, models, strict=True))
    pool = [models[0].data_] + [m.drawn for m in models[:3]]
    for i, model in enumerate(models[1:], start=2):  # rows from the pool so far, none twice
        rows = [tuple(x) for x in model.data_]
        allowed = {tuple(x) for part in pool[:i] for x in part}
        assert len(set(rows)) == len(rows) and set(rows) <= allowed
        assert records[i - 1]["counts"] == [
            sum(tuple(x) in {tuple(y) for y in part} for x in model.data_) for part in pool[:i]
        ]
    assert records[3]["counts"] != [15, 15, 15, 15] or records[2]["counts"] != [20, 20, 20]
    again = run_loop(scenario, factory, TRUTH, 4, seed=3, grid_points=257, subsample="pool")
    assert [r["delta"] for r in again] == [r["delta"] for r in records]
    with pytest.raises(ValueError, match="subsample 'pool'"):
        run_loop(Replace(10), KDE, TRUTH, 2, seed=0, subsample="pool")


def test_a_2d_kde_loop_measures_tv_on_windows_as_on_the_whole_grid():
    # each density lives on its own window of the fixed grid; the TVs agree with those of the
    # same models on a grid that covers everything, within the sum of the reported errors
    truth = Gaussian([0.0, 0.0], np.eye(2))
    mine = run_loop(Replace(60), lambda: KDE(0.5), truth, 4, seed=2, grid_points=65)
    theirs = run_loop(Replace(60), lambda: OtherModel(0.5), truth, 4, seed=2, grid_points=65)
    for a, b in zip(mine, theirs, strict=True):
        for key in ("delta", "epsilon"):
            assert abs(a[key] - b[key]) <= a[f"{key}_error"] + b[f"{key}_error"]
            assert a[f"{key}_error"] < 2e-3
    assert mine[0]["grid"] == mine[-1]["grid"] and mine[0]["grid"]["shape"][0] > 257

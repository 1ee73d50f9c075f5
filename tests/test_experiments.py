"""The experiment framework: settings, tables, claims and sections refuse bad values; an
experiment's analysis gets exactly its own records in grid order; the diffusion runner adds its
densities to the very records of the run; figures choose their axes from the values."""

import numpy as np
import pytest

from bounds import Augment, Replace
from empirical.experiments import (
    Claim,
    Experiment,
    Section,
    Settings,
    Table,
    describe_runs,
    pending,
    records_path,
    run_experiment,
)
from empirical.experiments.common import count_verdicts, counts_text, outcome
from empirical.experiments.diffusion_loops import run_with_densities
from empirical.figures import delta_by_generation, value_scale
from empirical.loop import run
from empirical.records import read_records
from empirical.spec import MODELS, TRUTHS, RunSpec
from empirical.sweep import grid
from empirical.truths import Gaussian

KDE = MODELS.component("kde", bandwidth=0.3)
NORMAL = TRUTHS.component("gaussian", mean=0.0, cov=1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"scale": "huge"}, "scale"), ({"jobs": 0}, "jobs"), ({"jobs": 1.5}, "jobs")],
)
def test_settings_name_the_bad_value(tmp_path, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Settings(tmp_path, **kwargs)


def test_settings_refuse_a_file_as_output_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="out must be a folder"):
        Settings(tmp_path / "f")
    assert Settings(tmp_path, "full").pick(1, 2, 3) == 3


def test_tables_claims_sections_and_experiments_refuse_bad_parts():
    with pytest.raises(ValueError, match="row 2 of table t has 1 cells"):
        Table("t", ["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="file name"):
        Table("../t", ["a"], [])
    with pytest.raises(ValueError, match="shown_rows"):
        Table("t", ["a"], [[1]], shown_rows=[1])
    with pytest.raises(ValueError, match="outcome must be one of"):
        Claim("c", "f.png", "1", "holds")
    with pytest.raises(ValueError, match=".png"):
        Section("s", [], figures={"f.svg": None})
    with pytest.raises(ValueError, match="file name"):
        Experiment("Bad Name", lambda s: [], lambda r, s: None)


def _tiny(generations, seeds):
    def specs(settings):
        return grid([Replace(40), Augment(40, 40)], [KDE], [NORMAL], seeds, generations)

    def analyse(records, settings):
        return Section("tiny", [describe_runs(records)], claims=(), tables=()), records

    return Experiment("tiny", specs, analyse)


def test_an_analysis_gets_only_the_asked_records_in_grid_order(tmp_path):
    settings = Settings(tmp_path, "quick")
    wide = _tiny(3, range(3))
    assert len(pending(wide, settings)) == 6
    run_experiment(wide, settings)
    assert pending(wide, settings) == []
    narrow = _tiny(2, [2, 0])  # fewer seeds, other generations: none of them recorded yet
    assert len(pending(narrow, settings)) == 4
    section, records = run_experiment(narrow, settings)
    keys = [spec.key() for spec in narrow.specs(settings)]
    assert [r["key"] for r in records] == [k for k in keys for _ in range(2)]
    assert [r["generation"] for r in records] == [1, 2] * 4
    assert section.paragraphs == ["4 runs: seeds 0, 2, fixed real data, generations 1–2"]
    on_file = {r["key"] for r in read_records(records_path(narrow, settings))}
    assert len(on_file) == 6 + 4  # the older runs stay recorded, never handed over


def test_describe_runs_says_which_runs():
    records = [
        {"key": k, "seed": s, "real": "fresh", "generation": g}
        for k, s in (("a", 0), ("b", 1), ("c", 2), ("d", 7))
        for g in (1, 2, 3)
    ]
    assert describe_runs(records) == "4 runs: seeds 0–2, 7, fresh real data, generations 1–3"
    assert describe_runs(records[:1]) == "1 run: seed 0, fresh real data, generation 1"
    assert describe_runs([]) == "no runs"


def test_outcomes_follow_the_verdict_counts():
    rows = [{"verdict": v} for v in ("holds", "holds", "inconclusive")]
    counts = count_verdicts(rows)
    assert counts == {"holds": 2, "violated": 0, "inconclusive": 1}
    assert counts_text(counts) == "2 hold, 0 violated, 1 inconclusive (of 3)"
    assert outcome(counts) == "not resolved"
    assert outcome(count_verdicts(rows[:2])) == "supported"
    assert outcome(count_verdicts([*rows, {"verdict": "violated"}])) == "not supported"
    assert outcome(count_verdicts([])) == "not resolved"
    with pytest.raises(ValueError, match="verdicts must be among"):
        count_verdicts([{"verdict": "ok"}])


def _tv_to_normal(density):
    """0.5 (sum |p - q| dx + the mass each leaves outside the box), q = N(0, 1), p stored."""
    x = np.linspace(density["lo"], density["hi"], density["points"])
    p, q, dx = np.array(density["pdf"]), Gaussian(0.0, 1.0).pdf(x[:, None]), x[1] - x[0]
    return 0.5 * (np.abs(p - q).sum() * dx + (1 - p.sum() * dx) + (1 - q.sum() * dx))


def test_the_diffusion_runner_records_the_same_run_with_its_densities():
    model = MODELS.component("diffusion", width=16, steps=40, draws=2, sampler="ode", tau=1e4)
    spec = RunSpec(Augment(40, 40), model, TRUTHS.describe(Gaussian(0.0, 1.0)), 2, 3)
    plain, dense = run(spec), run_with_densities(spec)
    densities = [r.pop("density") for r in dense]
    for a, b in zip(plain, dense, strict=True):
        a.pop("wall_time"), b.pop("wall_time")
        assert a == b
    # each stored density is its own generation's model: its TV to the truth (a Riemann sum on
    # 401 points, within 0.01 of the exact value here) is the recorded delta, not the other's
    deltas = [r["delta"] for r in plain]
    assert abs(deltas[0] - deltas[1]) > 0.03  # far enough apart to tell at tolerance 0.01
    for density, delta in zip(densities, deltas, strict=True):
        assert density["points"] == 401
        assert _tv_to_normal(density) == pytest.approx(delta, abs=0.01)
    assert _tv_to_normal(densities[0]) != pytest.approx(deltas[1], abs=0.01)
    with pytest.raises(ValueError, match="one-dimensional"):
        two = TRUTHS.describe(Gaussian([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]))
        run_with_densities(RunSpec(Replace(40), model, two, 1, 0))


def test_a_spec_written_otherwise_than_the_registries_is_refused_by_the_runner():
    written = TRUTHS.describe(Gaussian(0.0, 1.0))
    loose = type(written)(written.name, {"mean": 0})  # cov left to its default: another key
    spec = RunSpec(Replace(40), MODELS.component("diffusion", width=8, steps=20), loose, 1, 0)
    with pytest.raises(ValueError, match="carry its key"):
        run_with_densities(spec)


def test_axes_are_linear_within_a_decade_and_log_beyond():
    assert value_scale([0.25, 0.8]) == "linear"
    assert value_scale([0.25, 2.6]) == "log"
    assert value_scale([0.0, 0.1, 1.0]) == "linear"  # zeros are not shown on a log axis
    records = {
        "replace": [{"generation": g, "delta": d} for g, d in ((1, 0.2), (2, 0.3), (1, 0.25))]
    }
    figure = delta_by_generation(records, {"replace": np.array([0.5, 1.5])}, "t, n = 1")
    ax = figure.axes[0]
    assert ax.get_yscale() == "linear"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["mean $\\delta_i$, replace", "bound, replace", "TV = 1 (above: vacuous)"]
    low = delta_by_generation(records, {}, "t")
    assert "TV = 1 (above: vacuous)" not in [line.get_label() for line in low.axes[0].get_lines()]


def test_every_scale_builds_valid_grids_and_quick_is_the_smallest(tmp_path):
    from empirical.report import REPORT

    sizes = {}
    for scale in ("quick", "default", "full"):
        settings = Settings(tmp_path, scale)
        grids = {e.name: e.specs(settings) for e in REPORT}
        assert all(isinstance(s, RunSpec) for specs in grids.values() for s in specs)
        assert all(len({s.key() for s in specs}) == len(specs) for specs in grids.values())
        sizes[scale] = sum(s.generations for specs in grids.values() for s in specs)
    assert sizes["quick"] < sizes["default"] < sizes["full"]

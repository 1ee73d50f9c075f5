"""The report: every section, figure and table of the quick report; reruns into the same folder
(reuse, other settings, stale files); analyses that are pure; the command line."""

import csv
import io
import json
import subprocess
import sys

import pytest

import empirical.loop
from empirical.diffusion import DiffusionModel
from empirical.experiments import OUTCOMES, Experiment, Settings, stopping
from empirical.experiments import kde_loops as kde_experiment
from empirical.kde import KDE
from empirical.records import read_records
from empirical.report import MANIFEST, REPORT, build_report, main

PNG = b"\x89PNG\r\n\x1a\n"
HEADINGS = (
    "## Claims",
    "## Theorem R",
    "## Phase transition",
    "## Optimal early stopping",
    "## Kernel density",
    "## Diffusion",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    build_report(Settings(out, "quick", jobs=2))
    return out


def _csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _records_of(experiment, settings):
    keys = {spec.key() for spec in experiment.specs(settings)}
    path = settings.out / f"runs-{experiment.name}.jsonl"
    records = [r for r in read_records(path) if r["key"] in keys] if keys else []
    order = {spec.key(): k for k, spec in enumerate(experiment.specs(settings))}
    return sorted(records, key=lambda r: (order[r["key"]], r["generation"]))


def test_the_quick_report_has_every_section_figure_and_table(report):
    text = (report / "report.md").read_text()
    positions = [text.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)  # the claims table comes first
    manifest = json.loads((report / MANIFEST).read_text())["files"]
    for name in ("bounds.png", "threshold.png", "kde.png", "diffusion.png"):
        assert f"]({name})" in text and name in manifest
        assert (report / name).read_bytes().startswith(PNG)
    for name in [n for n in manifest if n.endswith(".csv")]:
        rows = list(csv.reader(io.StringIO((report / name).read_text())))
        assert rows and all(len(row) == len(rows[0]) for row in rows), name
        assert f"]({name})" in text
    assert "**violated**" not in text  # claims may be "not supported": measured, as measured


def test_the_claims_table_gathers_every_section_claim(report):
    claims = _csv(report / "claims.csv")
    assert {c["outcome"] for c in claims} <= set(OUTCOMES)
    texts = [c["claim"] for c in claims]
    for start in ("Phase transition in m (KDE", "Claim 2: a larger real share", "Claim 4"):
        assert any(t.startswith(start) for t in texts), start
    assert {c["figure"] for c in claims} <= set(
        json.loads((report / MANIFEST).read_text())["files"]
    )
    level1 = [c for c in claims if c["claim"].startswith("Theorem R (")]
    assert [c["numbers"].split(" hold")[0] for c in level1] == ["400", "17"]


def test_bound_curves_and_thresholds_are_data(report):
    rows = _csv(report / "bounds.csv")
    assert len(rows) == 100 and rows[0].keys() == {
        "i",
        "replace",
        "proportion",
        "augment",
        "accumulate",
    }
    assert float(rows[9]["replace"]) == pytest.approx(10 * 1000**-0.2)
    thresholds = _csv(report / "threshold.csv")
    assert [r["vacuous"] == "true" for r in thresholds] == [
        float(r["B_i(m*)"]) > 1 for r in thresholds
    ]
    assert any(r["vacuous"] == "true" for r in thresholds)


def test_the_diffusion_figure_draws_the_recorded_held_out_run(report):
    text = (report / "report.md").read_text()
    records = read_records(report / "runs-diffusion.jsonl")
    shown = [r for r in records if r["seed"] == 100 and r["spec"]["scenario"].get("m") == 400]
    assert len(shown) == 3 and all(len(r["density"]["pdf"]) == 401 for r in shown)
    assert "augment(n=200, m=400), 1 run: seed 100, fixed real data, generations 1–3" in text
    table = _csv(report / "diffusion-level3.csv")
    assert {r["seed"] for r in table} == {"100"}


def test_a_rerun_reuses_every_record_and_rewrites_the_report(report):
    names = ("runs-kde.jsonl", "runs-diffusion.jsonl")
    before = [(report / name).read_bytes() for name in names]
    claims = (report / "claims.csv").read_bytes()
    build_report(Settings(report, "quick"))
    assert [(report / name).read_bytes() for name in names] == before
    assert (report / "claims.csv").read_bytes() == claims
    text = (report / "report.md").read_text()
    assert "40 runs in `runs-kde.jsonl` (0 run now, 40 reused)" in text


def test_a_rerun_with_fewer_seeds_and_generations_reports_only_those(tmp_path, monkeypatch):
    monkeypatch.setitem(kde_experiment.SIZES, "quick", (100, 11, 3))
    build_report(Settings(tmp_path, "quick"), (kde_experiment.EXPERIMENT,))
    (tmp_path / "notes.csv").write_text("mine\n")  # a file the report did not write
    monkeypatch.setitem(kde_experiment.SIZES, "quick", (100, 10, 2))
    build_report(Settings(tmp_path, "quick"), (kde_experiment.EXPERIMENT,))
    level2 = _csv(tmp_path / "kde-level2.csv")
    assert {r["runs"] for r in level2} == {"10"}
    assert sorted({int(r["i"]) for r in level2}) == [1, 2]
    assert {r["runs"] for r in _csv(tmp_path / "kde-level1.csv")} == {"10"}
    text = (tmp_path / "report.md").read_text()
    assert "40 runs: seeds 0–9, fresh real data, generations 1–2" in text
    assert "seeds 0–10" not in text and "generations 1–3" not in text
    assert "80 hold, 0 violated, 0 inconclusive (of 80)" in text
    kept = {r["key"] for r in read_records(tmp_path / "runs-kde.jsonl")}
    assert len(kept) == 11 * 4 + 10 * 4  # older runs stay recorded, never reported

    monkeypatch.setitem(kde_experiment.SIZES, "quick", (100, 3, 2))  # too few seeds for level 2
    build_report(Settings(tmp_path, "quick"), (kde_experiment.EXPERIMENT,))
    assert not (tmp_path / "kde-level2.csv").exists()  # the report wrote it, and no longer does
    assert (tmp_path / "notes.csv").read_text() == "mine\n"
    assert "needs at least 10 seeds" in (tmp_path / "report.md").read_text()
    claims = _csv(tmp_path / "claims.csv")
    assert len(claims) == 1 and "(of 24)" in claims[0]["numbers"]


def test_a_manifest_naming_files_elsewhere_deletes_nothing_there(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "outside.csv").write_text("theirs\n")
    (out / "keep.csv").write_text("mine\n")  # not listed: the report did not write it
    listed = ["../outside.csv", str(tmp_path / "outside.csv"), "stopping.csv", "report.md"]
    (out / MANIFEST).write_text(json.dumps({"files": listed}))
    build_report(Settings(out, "quick"), (stopping.EXPERIMENT,))
    assert (tmp_path / "outside.csv").read_text() == "theirs\n"
    assert (out / "keep.csv").read_text() == "mine\n"
    files = json.loads((out / MANIFEST).read_text())["files"]
    assert sorted(files) == ["claims.csv", MANIFEST, "report.md", "stopping.csv"]


def _forbid_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an analysis must not simulate")

    for target in (KDE, DiffusionModel):
        monkeypatch.setattr(target, "fit", refuse)
    monkeypatch.setattr(empirical.loop, "run", refuse)
    monkeypatch.setattr(empirical.loop, "run_loop", refuse)


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_analyses_are_pure_functions_of_their_records(report, monkeypatch):
    settings = Settings(report, "quick")
    records = {e.name: _records_of(e, settings) for e in REPORT}
    _forbid_simulation(monkeypatch)
    for experiment in REPORT:
        first = experiment.analyse(records[experiment.name], settings)
        again = experiment.analyse(records[experiment.name], settings)
        assert (first.paragraphs, first.tables, first.claims) == (
            again.paragraphs,
            again.tables,
            again.claims,
        )
        assert {k: _png(f) for k, f in first.figures.items()} == {
            k: _png(f) for k, f in again.figures.items()
        }


def test_the_purity_guard_catches_an_analysis_that_simulates(report, monkeypatch):
    settings = Settings(report, "quick")
    specs = kde_experiment.EXPERIMENT.specs

    def impure(records, settings):  # a deliberately wrong analysis: it re-runs a spec
        empirical.loop.run(specs(settings)[0])

    records = _records_of(kde_experiment.EXPERIMENT, settings)
    _forbid_simulation(monkeypatch)
    with pytest.raises(AssertionError, match="must not simulate"):
        Experiment("impure", specs, impure).analyse(records, settings)


def test_every_figure_line_has_a_legend_entry_and_a_titled_parameter_set(report):
    settings = Settings(report, "quick")
    for experiment in REPORT:
        section = experiment.analyse(_records_of(experiment, settings), settings)
        for name, figure in section.figures.items():
            titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
            assert any(("n = " in t) or ("M = " in t) for t in titles), name
            for ax in figure.axes:
                labels = [line.get_label() for line in ax.get_lines()]
                assert labels and not [k for k in labels if k.startswith("_")], name
                legend = ax.get_legend()
                assert legend is not None
                assert len(legend.get_texts()) >= len(labels), name
        if "threshold.png" in section.figures or "kde.png" in section.figures:
            figure = section.figures.get("threshold.png") or section.figures["kde.png"]
            lines = figure.axes[0].get_lines()
            reaches = any(max(line.get_ydata(), default=0) >= 1 for line in lines)
            # TV = 1 is drawn exactly where a drawn bound reaches it
            assert reaches == any(line.get_label().startswith("TV = 1") for line in lines)


def test_one_line_per_experiment_on_stderr_unless_quiet(tmp_path, capsys):
    build_report(Settings(tmp_path, "quick"), (stopping.EXPERIMENT,), quiet=False)
    assert capsys.readouterr().err.startswith("stopping: Computed from the bounds")
    build_report(Settings(tmp_path, "quick"), (stopping.EXPERIMENT,))
    assert capsys.readouterr().err == ""
    build_report(Settings(tmp_path, "quick"), (stopping.EXPERIMENT,), progress=True)
    assert "report: 100%" in capsys.readouterr().err  # the bar over experiments


def test_a_second_report_into_the_same_folder_is_refused_while_one_writes(tmp_path, capsys):
    from bounds.io import exclusive_lock

    with exclusive_lock(tmp_path / "report.md"):
        assert main(["--quiet", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "being written by another process" in err[0]


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--out", "FILE"], ["--jobs", "-2"]])
def test_bad_settings_exit_2_with_one_line(args, tmp_path, capsys):
    (tmp_path / "FILE").write_text("not a folder\n")
    args = [str(tmp_path / a) if a == "FILE" else a for a in args]
    assert main(["--quiet", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and args[0].strip("-") in err[0]


def test_the_module_runs_from_the_shell():
    result = subprocess.run(
        [sys.executable, "-m", "empirical.report", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "example:" in result.stdout
    assert "--quick" in result.stdout and "--full" in result.stdout

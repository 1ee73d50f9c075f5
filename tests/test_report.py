"""The main job: every section, its figures and data, reuse of recorded runs, bad arguments."""

import csv
import subprocess
import sys

import pytest

from empirical.report import Settings, build_report, main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    build_report(Settings(out, seeds=10, generations=3, n=100))
    return out


def test_report_has_every_section_and_its_figures(report):
    text = (report / "report.md").read_text()
    for heading in (
        "## Theorem R",
        "## Phase transition",
        "## Optimal early stopping",
        "## Kernel",
    ):
        assert heading in text
    for name in ("bounds.png", "threshold.png", "kde.png"):
        assert f"]({name})" in text
        assert (report / name).read_bytes().startswith(PNG)
    assert "**no**" not in text  # every check in the report holds


def test_bound_curves_are_data(report):
    with open(report / "bounds.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 100 and rows[0].keys() == {
        "i",
        "replace",
        "proportion",
        "augment",
        "accumulate",
    }
    assert float(rows[9]["replace"]) == pytest.approx(10 * 100**-0.2)


def test_a_second_report_reuses_the_recorded_runs(report):
    names = ("runs-kde.jsonl", "runs-diffusion-calibration.jsonl", "runs-diffusion-held-out.jsonl")
    before = [(report / name).read_bytes() for name in names]
    build_report(Settings(report, seeds=10, generations=3, n=100))
    assert [(report / name).read_bytes() for name in names] == before


@pytest.mark.parametrize("args", [["--seeds", "3"], ["--generations", "1"], ["--jobs", "0"]])
def test_bad_settings_exit_2_with_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and args[0].strip("-") in err[0]


def test_the_module_runs_from_the_shell():
    result = subprocess.run(
        [sys.executable, "-m", "empirical.report", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "example:" in result.stdout

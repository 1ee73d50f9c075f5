"""The ``bounds`` command end to end: subprocesses, files parsed back, bad arguments."""

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from bounds import cli, phase, stopping


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bounds", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def parse_csv(text):
    metadata = [line for line in text.splitlines() if line.startswith("# ")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
    return metadata, list(csv.DictReader(io.StringIO(body)))


def test_threshold_table_matches_the_library():
    done = run("threshold", "--generations", "2:50", "--n", "1000")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line.split() for line in lines[1:50]]
    assert [int(r[0]) for r in rows] == list(range(2, 51))
    expected = phase.power_law_thresholds(np.arange(2, 51), 0.2, 1000.0)
    assert np.allclose([float(r[1]) for r in rows], expected.m, rtol=1e-9)
    assert all(r[-1] == "true" for r in rows)
    assert "m*_i/(i n) -> 2.32103" in done.stdout


def test_threshold_json_to_a_file_with_digits(tmp_path):
    target = tmp_path / "t.json"
    done = run(
        "threshold",
        "--generations",
        "1,2,10000",
        "--digits",
        "30",
        "--format",
        "json",
        "-o",
        str(target),
    )
    assert done.returncode == 0, done.stderr and done.stdout == ""
    data = json.loads(target.read_text())
    rows = {row["i"]: row for row in data["rows"]}
    assert rows[1]["m"] == "none" and rows[1]["certified"] is False
    assert rows[2]["m"].startswith("6476.743906106102709559494970")  # (5^(5/4) - 1) 1000
    assert rows[10000]["certified"] is True
    assert data["metadata"]["digits"] == 30
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_curve_csv_and_plot(tmp_path):
    done = run(
        "curve",
        "augment",
        "--n",
        "1000",
        "--generation",
        "5",
        "--over",
        "m",
        "--values",
        "0:1e5:11",
        "-o",
        "c.csv",
        "--plot",
        "c.png",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    metadata, rows = parse_csv((tmp_path / "c.csv").read_text())
    assert any(line.startswith("# formula: B_i =") for line in metadata)
    assert [float(r["m"]) for r in rows] == list(np.linspace(0, 1e5, 11))
    assert float(rows[0]["bound"]) == pytest.approx(1000**-0.2, rel=1e-12)  # B(0) = eps(n)
    peak = phase.threshold(5, 1000)
    assert max(float(r["bound"]) for r in rows) <= peak.peak
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curve_json_flags_vacuous_values_without_clipping(tmp_path):
    done = run(
        "curve", "replace", "--N", "100", "--over", "i", "--values", "1:10", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    eps = 100**-0.2
    for row in rows:
        assert row["bound"] == pytest.approx(row["i"] * eps, rel=1e-12)  # replace: i eps(N)
        assert row["vacuous"] == (row["bound"] > 1)
    assert any(row["vacuous"] for row in rows) and max(r["bound"] for r in rows) > 1


def test_stopping_csv_satisfies_the_stationarity_condition():
    done = run("stopping", "--N", "10", "1000", "--M", "1", "500", "--format", "csv")
    assert done.returncode == 0, done.stderr
    metadata, rows = parse_csv(done.stdout)
    assert len(rows) == 4
    for row in rows:
        N, M, tau = float(row["N"]), float(row["M"]), float(row["tau_star"])
        assert abs(stopping.stationarity_residual(tau, N, M)) < 1e-10
        assert (row["clipped"] == "true") == (tau < 1)
        assert float(row["tau"]) == max(tau, 1.0)


def test_formula_text_and_latex():
    text = run("formula", "augment", "--n", "1000", "--m", "5000")
    latex = run("formula", "augment", "--n", "1000", "--m", "5000", "--latex")
    assert text.returncode == latex.returncode == 0
    assert text.stdout.startswith("B_i = ") and "alpha" in text.stdout
    assert "\\alpha" in latex.stdout and "\\left(" in latex.stdout


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["curve", "augment", "--n", "0", "-i", "2", "--over", "m", "--values", "0:9:3"], "n "),
        (["threshold", "--generations", "2:x"], "--generations"),
        (["threshold", "--generations", "2:5", "--alpha", "1.5"], "alpha"),
        (["curve", "augment", "--n", "10", "--over", "m", "--values", "0:9:3"], "--generation"),
        (
            ["curve", "replace", "--N", "10", "-i", "2", "--over", "m", "--values", "1:9:3"],
            "--over",
        ),
        (["formula", "augment", "--n", "10"], "--m"),
        (["formula", "augment", "--n", "10", "--m", "5", "--tau", "3"], "--tau"),
        (["formula", "augment", "--n", "10", "--m", "5", "--model", "diffusion"], "--M"),
        (["stopping", "--N", "0.5", "--M", "10"], "N"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, word, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and word in err


def test_bad_argument_in_a_subprocess_has_no_traceback():
    done = run("threshold", "--generations", "0:3")
    assert done.returncode == 2
    assert done.stderr.strip() == "bounds threshold: error: --generations must be >= 1, got 0"


def test_argparse_errors_exit_2():
    done = run("curve", "nowhere")
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.mark.parametrize("command", ["curve", "threshold", "stopping", "formula"])
def test_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    assert stop.value.code == 0
    assert f"example:\n  bounds {command}" in capsys.readouterr().out


def test_a_figure_takes_its_format_from_its_own_name(tmp_path):
    """No suffix: PNG (the temporary file's random name never decides the format)."""
    from bounds import plotting

    figure = plotting.curve_figure(np.arange(3.0), np.arange(3.0), "i", "t")
    plotting.save_figure(figure, tmp_path / "plain")
    plotting.save_figure(figure, tmp_path / "vector.svg")
    assert (tmp_path / "plain").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "vector.svg").read_bytes()[:400]
    with pytest.raises(ValueError, match="cannot write 'xyz'"):
        plotting.save_figure(figure, tmp_path / "f.xyz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "vector.svg"]

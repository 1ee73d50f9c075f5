"""The ``bounds`` command end to end: subprocesses, files parsed back, bad arguments."""

import csv
import io
import json
import os
import shlex
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


def exit_code(args):
    """cli.main's exit code, whether argparse refused the text (SystemExit) or the command did."""
    try:
        return cli.main(args)
    except SystemExit as stop:
        return stop.code


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
    assert all(r[-2] == "true" for r in rows)  # certified
    assert all(r[-1] == ("true" if float(r[3]) > 1 else "false") for r in rows)  # vacuous
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
        (["formula", "augment", "--n", "10", "--substitute"], "--m"),
        (["formula", "augment", "--n", "10", "--m", "5", "--tau", "3"], "--tau"),
        (
            ["formula", "augment", "--n", "10", "--m", "5", "--model", "diffusion", "--substitute"],
            "--M",
        ),
        (["stopping", "--N", "0.5", "--M", "10"], "N"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, word, capsys):
    assert exit_code(args) == 2
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


# --------------------------------------------------------------------------- safety (issue 12)


OVER_M = "curve augment --n 9 -i 2 --over m --values"  # a sweep over m, its values next


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("curve replace --N 100 --over i --values 1:1000000000", "at most"),
        (f"{OVER_M} 1:9:1e9", "at most"),
        (f"{OVER_M} 1:1e400:5", "finite"),
        (f"{OVER_M} nan,1", "finite"),
        ("curve augment --n nan -i 2 --over m --values 1,2", "finite"),
        (f"{OVER_M} 1,2 --alpha 1.5", "(0, 1)"),
        (f"{OVER_M} 1,2 --model expression --expression 'lambda: 1'", "not allowed"),
        (f"{OVER_M} 1,2 --model expression --expression N.x", "not allowed"),
        (f"{OVER_M} 1,2 --nonsense", "unrecognized"),
        ("curve augment --n 9 --m 3 -i 2 --over m --values 1,2", "swept"),
        ("threshold --generations 2:5 --digits 0", "--digits"),
        ("threshold --generations 2:5 --digits 100000", "--digits"),
        ("threshold --generations 2:5000 --digits 20", "at most"),
        ("threshold --generations 2:5 --n inf", "finite"),
        ("stopping --N 1e400 --M 10", "finite"),
        ("stopping --N 10 --M 10 --C1 0", "> 0"),
        ("--nonsense", "bounds: error: "),
        ("", "required"),
    ],
)
def test_bad_command_lines_give_one_line_naming_the_problem(command, words, capsys):
    assert exit_code(shlex.split(command)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err


@pytest.mark.parametrize("option", ["-o", "--plot"])
def test_bad_output_paths_give_one_line_before_computing(tmp_path, option, capsys):
    base = ["curve", "replace", "--N", "100", "--over", "i", "--values", "1:5"]
    suffix = ".png" if option == "--plot" else ".csv"
    cases = {
        str(tmp_path): "is a folder",
        str(tmp_path / "missing" / f"f{suffix}"): "does not exist",
    }
    for path, words in cases.items():
        assert exit_code([*base, option, path]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err and ".tmp" not in err, err
        assert err.startswith("bounds curve: error: ") and repr(path) in err
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_path_in_a_subprocess_has_no_traceback(tmp_path):
    target = tmp_path / "ro.csv"
    target.write_text("keep me\n")
    os.chmod(target, 0o444)
    done = run("stopping", "--N", "10", "--M", "10", "--format", "csv", "-o", str(target))
    if os.geteuid() == 0:  # root writes anyway: the file is then a correct CSV
        assert done.returncode == 0 and "tau_star" in target.read_text()
    else:
        assert done.returncode == 2 and "not writable" in done.stderr
        assert target.read_text() == "keep me\n"
    assert "Traceback" not in done.stderr


def test_a_plot_path_with_an_unknown_suffix_is_refused(tmp_path, capsys):
    args = ["curve", "replace", "--N", "100", "--over", "i", "--values", "1:5"]
    assert exit_code([*args, "--plot", str(tmp_path / "c.xyz")]) == 2
    assert "must end in .png" in capsys.readouterr().err


def test_stopping_at_huge_sizes_is_finite():
    done = run("stopping", "--N", "1e300", "--M", "1e300", "--format", "json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)["rows"][0]
    assert np.isfinite(row["eps"]) and 0 < row["eps"] < 1e-50 and row["vacuous"] is False


def test_argparse_errors_are_one_line():
    done = run("curve", "nowhere")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("bounds curve: error: ") and "invalid choice" in done.stderr


# --------------------------------------------------------------------------- output (issues 8, 13)


def test_curve_metadata_and_title_name_the_swept_parameter(tmp_path, monkeypatch, capsys):
    from bounds import plotting

    drawn = []
    monkeypatch.setattr(plotting, "save_figure", lambda figure, path: drawn.append(figure))
    args = ["curve", "augment", "--n", "1000", "-i", "5", "--over", "m", "--values", "0:1e4:3"]
    assert cli.main([*args, "--format", "json", "--plot", str(tmp_path / "c.png")]) == 0
    metadata = json.loads(capsys.readouterr().out)["metadata"]
    assert metadata["scenario"] == "augment(n=1000, m=swept)" and metadata["swept"] == "m"
    assert "m" not in metadata["parameters"] and metadata["parameters"]["i"] == 5
    title = drawn[0].axes[0].get_title()
    assert title == "augment(n=1000, m=swept), power law, generation i = 5"


def test_plotting_leaves_the_process_backend_alone(tmp_path):
    code = (
        "import matplotlib; matplotlib.use('svg');"
        "from bounds import plotting; import numpy as np;"
        "f = plotting.curve_figure(np.arange(3.0), np.arange(3.0), 'i', 't');"
        f"plotting.save_figure(f, {str(tmp_path / 'c.png')!r});"
        "import matplotlib.pyplot as plt;"
        "print(matplotlib.get_backend(), len(plt.get_fignums()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["svg", "0"], done.stderr
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_version(capsys):
    from bounds import __version__

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"bounds {__version__}"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (
            "threshold",
            ["(default: 1000.0)", "(default: 0.2)", "(default: 1.0)", "(default: table)"],
        ),
        ("stopping", ["C1 > 0 (default: 1.0)", "KL >= 0 (default: 0.0)"]),
        ("curve", ["(default 1)", "(default 0.2)", "(default: power-law)", "(default: csv)"]),
    ],
)
def test_help_shows_defaults(command, shown, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in shown:
        assert text in out, text


def test_threshold_and_stopping_flag_vacuous_values(capsys):
    assert (
        cli.main(["threshold", "--generations", "2,3", "--n", "1", "--C", "10", "--format", "json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert all(r["vacuous"] == (r["peak"] > 1) for r in rows) and all(r["vacuous"] for r in rows)
    assert cli.main(["stopping", "--N", "1", "--M", "1", "1e6", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["vacuous"] for r in rows] == [r["eps"] > 1 for r in rows] == [True, False]


@pytest.mark.parametrize("scenario", ["replace", "proportion", "augment", "accumulate"])
@pytest.mark.parametrize("model", ["power-law", "diffusion", "diffusion-early"])
def test_formula_needs_no_numbers_and_they_do_not_change_it(scenario, model, capsys):
    assert cli.main(["formula", scenario, "--model", model]) == 0
    bare = capsys.readouterr().out
    values = {"replace": ["--N", "70"], "proportion": ["--N", "70", "--lam", "0.3"]}
    given = values.get(scenario, ["--n", "70", "--m", "30"])
    constants = ["--M", "9"] + (["--tau", "3"] if model == "diffusion" else [])
    constants = [] if model == "power-law" else constants
    assert cli.main(["formula", scenario, "--model", model, *given, *constants]) == 0
    assert capsys.readouterr().out == bare and bare.startswith("B_i = ")


def test_threshold_digits_are_all_correct():
    """m*_2/n = 5^(5/4) - 1 for alpha = 1/5: every printed digit of the 40 asked is right."""
    import mpmath as mp

    done = run("threshold", "--generations", "2", "--digits", "40", "--format", "json")
    row = json.loads(done.stdout)["rows"][0]
    with mp.workdps(60):
        exact = mp.mpf(5) ** (mp.mpf(5) / 4) - 1
        for key, scale in (("m_over_n", 1), ("m", 1000)):
            printed = row[key]
            digits = len(printed.replace(".", "").lstrip("0"))
            assert digits >= 39, printed  # nstr drops a trailing zero at most
            assert mp.almosteq(mp.mpf(printed), exact * scale, rel_eps=mp.mpf(10) ** -39)
            assert mp.nstr(exact * scale, 40).rstrip("0") == printed.rstrip("0")


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


def test_the_threshold_command_runs_without_importing_sympy():
    """The float power-law solver needs no sympy: a threshold table starts in a fraction of a
    second (a fresh interpreter, so no other test's imports count)."""
    code = (
        "import sys\n"
        "from bounds import cli\n"
        "code = cli.main(['threshold', '--generations', '2:5', '--n', '1000', '--alpha', '0.2'])\n"
        "print(code, 'sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "0 False"

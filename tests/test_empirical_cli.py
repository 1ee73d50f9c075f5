"""The ``empirical`` command end to end (in this process, and once as ``python -m empirical``):
records read back, three-outcome checks, machine-readable output, bad input and bad paths."""

import csv
import io
import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounds.io import exclusive_lock
from bounds.scenarios import Replace
from empirical import cli
from empirical.cli.components import PRESETS, flag
from empirical.cli.execute import check_picklable, execute, progress_enabled
from empirical.cli.values import MAX_POINTS, UsageError, parse_named, parse_value
from empirical.spec import MODELS, TRUTHS, Component, RunSpec

KDE_LOOP = ["--scenario", "augment", "--n", "100", "--m", "200", "--bandwidth", "0.3"]
SWEEP_GRID = [
    *("--scenario", "replace:N=100", "--scenario", "augment:n=50,m=100"),
    *("--model", "kde:bandwidth=0.3", "--model", "diffusion:width=16,steps=10"),
    *("--truth", "mixture", "--seeds", "0:1", "--generations", "2"),
]
NARROW = ["--scenario", "replace", "--N", "100", "--bandwidth", "0.0001"]


def main(capsys, *args):
    """Run the command here; return (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def without_times(records):
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "wall_time"}, sort_keys=True)
        for r in records
    )


@pytest.fixture(scope="module")
def kde_loop(tmp_path_factory):
    """3 seeds x 3 generations of an augment KDE loop (fixed real data), checked as it runs."""
    path = tmp_path_factory.mktemp("loop") / "loop.jsonl"
    capture = io.StringIO()
    stdout, sys.stdout = sys.stdout, capture
    try:
        code = cli.main(["loop", *KDE_LOOP, "--generations", "3", "--seeds", "0:2"]
                        + ["-o", str(path), "--check"])  # fmt: skip
    finally:
        sys.stdout = stdout
    assert code == 0, capture.getvalue()
    return path, capture.getvalue()


@pytest.fixture(scope="module")
def fresh_kde_records(tmp_path_factory):
    """10 seeds x 2 generations of a replace KDE loop with fresh real data (for level 2)."""
    path = tmp_path_factory.mktemp("fresh") / "fresh.jsonl"
    args = ["--scenario", "replace", "--N", "200", "--bandwidth", "0.3", "--real", "fresh"]
    args += ["--generations", "2", "--seeds", "0:9", "-q", "-o", str(path)]
    assert cli.main(["loop", *args]) == 0
    return path


# --------------------------------------------------------------------------- loop


def test_loop_writes_one_record_per_seed_and_generation_with_its_spec(kde_loop):
    path, out = kde_loop
    records = read(path)
    assert sorted((r["seed"], r["generation"]) for r in records) == [
        (s, i) for s in range(3) for i in range(1, 4)
    ]
    for r in records:
        spec = RunSpec.from_dict(r["spec"])
        assert r["key"] == spec.key()
        assert spec.scenario.to_dict() == {"name": "augment", "n": 100, "m": 200}
        assert spec.model == MODELS.component("kde", bandwidth=0.3)
        assert spec.truth == TRUTHS.component("gaussian", mean=0.0, cov=1.0)
        assert (spec.real, spec.generations) == ("fixed", 3)
        assert r["N"] == (100 if r["generation"] == 1 else 300) and r["counts"][0] == 100
    # the table printed is the mean over seeds of what the file holds
    lines = out.splitlines()
    assert lines[0] == f"ran 3 runs, 0 already in {path}"
    table = {int(c[0]): c for c in (line.split() for line in lines[2:5])}
    for i in (1, 2, 3):
        delta = [r["delta"] for r in records if r["generation"] == i]
        assert table[i][1] == "3"
        assert float(table[i][2]) == pytest.approx(sum(delta) / 3, rel=1e-3)


def test_same_seeds_give_the_same_records_serial_parallel_or_printed(tmp_path, capsys):
    common = ["loop", *KDE_LOOP, "--generations", "2", "--seeds", "4,7"]
    assert main(capsys, *common, "--jobs", "2", "-o", tmp_path / "p.jsonl")[0] == 0
    code, out, err = main(capsys, *common)
    assert code == 0
    from_stdout = [json.loads(line) for line in out.splitlines()]
    assert without_times(read(tmp_path / "p.jsonl")) == without_times(from_stdout)
    assert "mean delta" in err  # the table goes to stderr when records go to stdout
    by_seed = {r["seed"]: r["delta"] for r in from_stdout if r["generation"] == 1}
    assert by_seed[4] != by_seed[7]  # and the seed matters


def test_a_diffusion_loop_on_the_mixture_records_its_hyper_parameters(capsys):
    args = [
        "--model",
        "diffusion",
        "--width",
        "16",
        "--steps",
        "10",
        "--tau",
        "theorem1",
        "--sampler",
        "ode",
    ]
    code, out, err = main(
        capsys, "loop", "--scenario", "replace", "--N", "100", *args, "--truth", "mixture",
        "--generations", "2", "--check",
    )  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    params = records[0]["spec"]["model"]["parameters"]
    assert (params["width"], params["steps"], params["tau"], params["sampler"]) == (
        16, 10, "theorem1", "ode",
    )  # fmt: skip
    assert (
        records[0]["spec"]["truth"]
        == TRUTHS.component("mixture", weights=[0.5, 0.5], means=[-1.5, 1.5], covs=0.5).to_dict()
    )
    assert "Theorem R (level 1): 2 rows: 2 hold, 0 violated, 0 inconclusive" in err


def test_every_constructor_parameter_is_a_loop_flag_with_its_default_in_the_help(capsys):
    loop = cli.build_parser()._subparsers._group_actions[0].choices["loop"]
    flags = {s: a for a in loop._actions for s in a.option_strings}
    for registry in (MODELS, TRUTHS):
        for name in registry.names():
            for key, parameter in registry.parameters(name).items():
                text = flags[flag(key)].help
                assert f"{registry.kind} {name} (default" in text, (key, text)
                default = PRESETS.get(registry.kind, {}).get(name, {}).get(key, parameter.default)
                if default is not parameter.empty:
                    assert f"{registry.kind} {name} (default {default})" in text
    assert "truth gaussian" in flags["--sd"].help  # the one convenience of the command line


@pytest.mark.parametrize("command", ["loop", "sweep", "check"])
def test_every_option_states_its_default_and_help_ends_with_an_example(command, capsys):
    sub = cli.build_parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert "default" in action.help or "required" in action.help, action.option_strings
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    assert stop.value.code == 0
    assert f"example:\n  empirical {command}" in capsys.readouterr().out


def test_version_starts_without_importing_the_models():
    code = (
        "import sys\nfrom empirical.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'empirical.spec' not in sys.modules, 'models imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("empirical "), done.stderr


def test_version(capsys):
    import bounds

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"empirical {bounds.__version__}\n"


# --------------------------------------------------------------------------- text to values


def test_literals_are_parsed_never_evaluated():
    assert parse_value("3", "x") == 3 and isinstance(parse_value("3", "x"), int)
    assert parse_value("1e3", "x") == 1000.0 and parse_value("-0.25", "x") == -0.25
    assert parse_value("inf", "x") == float("inf") and parse_value("true", "x") is True
    assert parse_value("none", "x") is None and parse_value("scott", "x") == "scott"
    assert parse_value("[1, [2.5, 3]]", "x") == [1, [2.5, 3]]
    assert parse_value("__import__('os').getcwd()", "x") == "__import__('os').getcwd()"
    for bad in ("[1,2", "1,2]", "[1,]"):
        with pytest.raises(UsageError):
            parse_value(bad, "x")


LITERALS = st.recursive(
    st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=True)
    | st.booleans()
    | st.sampled_from(["scott", "theorem1", "ode"]),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)


def _written(value):
    """How a user writes ``value`` on the command line."""
    if isinstance(value, list):
        return "[" + ",".join(_written(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


@given(LITERALS)
def test_every_literal_reads_back_as_written(value):
    assert parse_value(_written(value), "x") == value


@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), LITERALS, max_size=4))
def test_options_with_lists_split_only_at_top_level_commas(options):
    text = "name:" + ",".join(f"{k}={_written(v)}" for k, v in options.items())
    assert parse_named(text, "--model") == ("name", options)


def test_commas_inside_brackets_do_not_split_options():
    name, options = parse_named("gaussian:mean=[1,2],cov=[[1,0],[0,4]]", "--truth")
    assert name == "gaussian" and options == {"mean": [1, 2], "cov": [[1, 0], [0, 4]]}
    with pytest.raises(UsageError, match="unbalanced"):
        parse_named("gaussian:mean=[1,2,cov=4", "--truth")


def test_sd_is_the_square_root_of_cov_for_the_gaussian_truth(tmp_path, capsys):
    """--sd S and cov=S^2 are the same truth, so the same run key (and not the same as cov=S)."""
    base = ["sweep", "--scenario", "replace:N=50", "--generations", "1", "-q"]
    for name, truth in (("sd", "gaussian:mean=1,sd=2"), ("cov", "gaussian:mean=1,cov=4")):
        assert main(capsys, *base, "--truth", truth, "-o", tmp_path / f"{name}.jsonl")[0] == 0
    sd, cov = read(tmp_path / "sd.jsonl"), read(tmp_path / "cov.jsonl")
    assert sd[0]["key"] == cov[0]["key"] and sd[0]["spec"]["truth"]["parameters"]["cov"] == [[4.0]]
    assert main(capsys, *base, "--truth", "gaussian:mean=1,sd=2,cov=4", "-o", "x.jsonl")[0] == 2


# --------------------------------------------------------------------------- checks


def test_loop_check_and_check_pass_on_honest_records(kde_loop, capsys):
    path, out = kde_loop
    assert "Theorem R (level 1): 9 rows: 9 hold, 0 violated, 0 inconclusive" in out
    code, out, _ = main(capsys, "check", path)
    assert code == 0 and out.rstrip().endswith("all checks hold")


def test_check_reports_a_violated_row_of_a_tampered_file(kde_loop, tmp_path, capsys):
    """Negative control: raising delta_2 of one run by 0.5 breaks its generation-2 row
    (delta_2 <= eps_2 + w_21 delta_1 + tolerance) and no other (later bounds only grow)."""
    records = read(kde_loop[0])
    for r in records:
        if r["seed"] == 1 and r["generation"] == 2:
            r["delta"] += 0.5
    path = tmp_path / "tampered.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, out, _ = main(capsys, "check", path)
    assert code == 1
    assert "9 rows: 8 hold, 1 violated, 0 inconclusive" in out
    assert "VIOLATED A seed 1, generation 2: delta" in out and "some checks FAIL" in out
    code, out, _ = main(capsys, "check", path, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["outcome"] == "violated"
    assert data["counts"] == {"holds": 8, "violated": 1, "inconclusive": 0}
    (bad,) = [row for row in data["rows"] if row["verdict"] == "violated"]
    assert (bad["config"], bad["seed"], bad["generation"]) == ("A", 1, 2)


def test_a_bandwidth_finer_than_the_grid_is_resolved_not_absorbed(tmp_path, capsys):
    """Regression: bandwidth 1e-4 on the default 8193-point grid measured TV with an error near
    240 for a distance of 1, and the check said "6/6 rows hold". The loop now refines its grid
    until the spacing resolves the bandwidth (2^20 + 1 points here), so the errors are small and
    the verdicts are earned."""
    path = tmp_path / "narrow.jsonl"
    args = [*NARROW, "--generations", "3", "--seeds", "0:1", "--check"]
    code, out, _ = main(capsys, "loop", *args, "-o", path)
    assert code == 0 and "6 rows: 6 hold, 0 violated, 0 inconclusive" in out
    records = read(path)
    assert all(r["delta_error"] < 0.01 and r["grid"]["shape"] == [2**20 + 1] for r in records)


def test_an_error_larger_than_the_distance_is_inconclusive_never_holds(tmp_path, capsys):
    """Records whose TV error swamps the distance (as the unrefined grid gave) cannot decide
    Theorem R: every row is inconclusive, exit 1, never "holds"."""
    path = tmp_path / "narrow.jsonl"
    main(capsys, "loop", *NARROW, "--generations", "3", "--seeds", "0:1", "-o", path)
    records = read(path)
    for r in records:
        r["delta_error"] = r["epsilon_error"] = 240.0
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, out, _ = main(capsys, "check", path)
    assert code == 1
    assert "6 rows: 0 hold, 0 violated, 6 inconclusive" in out
    assert "the measurement cannot decide 6 rows" in out
    assert "all checks hold" not in out and "VIOLATED" not in out and "FAIL" not in out
    code, out, _ = main(capsys, "check", path, "--format", "csv")
    rows = list(csv.DictReader(line for line in out.splitlines() if not line.startswith("#")))
    assert code == 1 and len(rows) == 6 and {r["verdict"] for r in rows} == {"inconclusive"}
    assert all(float(r["tolerance"]) > float(r["margin"]) for r in rows)


def test_kde_bound_holds_on_fresh_kde_records(fresh_kde_records, capsys):
    """Level 2 with failure probability 0.01: the measured means sit at about half the explicit
    bound (N = 200, h = 0.3), so a failure here would mean a wrong bound or a broken check."""
    code, out, _ = main(capsys, "check", fresh_kde_records, "--kde-bound", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["outcome"] == "holds"
    level2 = [row for row in data["rows"] if row["check"] == "kde_bound"]
    assert [row["generation"] for row in level2] == [1, 2]
    assert all(row["value"] < row["bound"] and row["verdict"] == "holds" for row in level2)
    code, out, _ = main(capsys, "check", fresh_kde_records, "--kde-bound")
    assert "20 rows: 20 hold" in out and "explicit KDE bound (level 2)" in out


def test_kde_bound_fails_when_the_distances_are_inflated(fresh_kde_records, tmp_path, capsys):
    """Negative control for level 2 alone: adding 0.3 to delta_1 and eps_1 of every run keeps
    Theorem R (margin 0 at i = 1; the i = 2 bound grows) but lifts the mean far above the bound."""
    records = read(fresh_kde_records)
    for r in records:
        if r["generation"] == 1:
            r["delta"] += 0.3
            r["epsilon"] += 0.3
    path = tmp_path / "inflated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, out, _ = main(capsys, "check", path, "--kde-bound", "--format", "json")
    rows = json.loads(out)["rows"]
    assert code == 1
    assert all(r["verdict"] == "holds" for r in rows if r["check"] == "theorem_r")
    level2 = [r for r in rows if r["check"] == "kde_bound"]
    failed = [r["generation"] for r in level2 if r["verdict"] != "holds"]
    assert failed == [1]


def test_kde_bound_refuses_records_it_does_not_cover(kde_loop, capsys):
    code, out, err = main(capsys, "check", kde_loop[0], "--kde-bound")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "empirical check: error: --kde-bound needs fresh real data every generation"
        " (loop --real fresh); configuration A has real fixed"
    ]


# --------------------------------------------------------------------------- sweep


def test_sweep_resumes_after_an_interruption(tmp_path, capsys):
    path = tmp_path / "sweep.jsonl"
    code, out, _ = main(capsys, "sweep", *SWEEP_GRID, "--jobs", "2", "-o", path)
    assert code == 0 and out.startswith(f"ran 8 runs, skipped 0 already in {path}")
    records = read(path)
    assert len(records) == 16 and {r["spec"]["model"]["name"] for r in records} == {
        "kde",
        "diffusion",
    }
    content = path.read_text()
    assert main(capsys, "sweep", *SWEEP_GRID, "-o", path)[1].startswith("ran 0 runs, skipped 8")
    assert path.read_text() == content
    # an interruption: the last run lost its last record and a line was cut short
    lines = content.splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:40])
    code, out, _ = main(capsys, "sweep", *SWEEP_GRID, "-o", path)
    assert code == 0 and out.startswith("ran 1 runs, skipped 7")
    assert without_times(read(path)) == without_times(records)
    assert main(capsys, "check", path)[0] == 0


def test_runs_of_other_generation_counts_in_one_file_are_other_configurations(tmp_path, capsys):
    """Regression: a 2-generation sweep then a 3-generation one into the same file used to make
    check refuse it ("must hold generations 1..G"); runs are told apart by their key."""
    path = tmp_path / "mixed.jsonl"
    base = ["sweep", "--scenario", "replace:N=100", "--model", "kde:bandwidth=0.3", "-q"]
    for generations in (2, 3):
        assert main(capsys, *base, "--generations", generations, "-o", path)[0] == 0
    code, out, _ = main(capsys, "check", path)
    assert code == 0, out
    assert "5 rows: 5 hold" in out
    assert "A: replace(N=100), kde(bandwidth=0.3), gaussian(mean=0.0, cov=1.0), real fixed, " \
           "2 generations" in out  # fmt: skip
    assert "B: replace(N=100)" in out and "3 generations" in out


def test_shards_split_the_grid_between_jobs(tmp_path, capsys):
    for k in range(2):
        part = ["--shard", f"{k}/2", "-o", tmp_path / f"{k}.jsonl"]
        code, out, _ = main(capsys, "sweep", *SWEEP_GRID, *part)
        assert code == 0 and out.startswith("ran 4 runs")
    keys = [{r["key"] for r in read(tmp_path / f"{k}.jsonl")} for k in range(2)]
    assert len(keys[0]) == len(keys[1]) == 4 and not keys[0] & keys[1]
    code, out, _ = main(capsys, "check", tmp_path / "0.jsonl", tmp_path / "1.jsonl")
    assert code == 0 and "16 rows: 16 hold" in out


def test_progress_bar_counts_runs_on_a_terminal_only(tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    specs = [
        RunSpec(Replace(50), MODELS.component("kde", bandwidth=0.3),
                TRUTHS.component("gaussian", mean=0.0), 1, seed)
        for seed in (0, 1)
    ]  # fmt: skip
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert progress_enabled(quiet=False) and not progress_enabled(quiet=True)
    assert execute(specs, tmp_path / "p.jsonl", progress=progress_enabled(False)) == 2
    shown = terminal.getvalue()
    assert "2/2" in shown and "failed=0" in shown
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: no bar
    assert not progress_enabled(quiet=False)


# --------------------------------------------------------------------------- bad input

LOOP = ["loop", "--scenario", "replace", "--N", "100"]
SWEEP = ["sweep", "-o", "s.jsonl", "--scenario"]


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["loop", "--scenario", "replace"], "--N"),
        ([*LOOP, "--m", "5"], "--m"),
        (["loop", "--scenario", "replace", "--N", "0.5"], "N"),
        ([*LOOP, "--seeds", "3:x"], "--seeds"),
        ([*LOOP, "--seeds", "1,1"], "--seeds"),
        ([*LOOP, "--seeds", "0:1000000000"], "limit"),
        ([*LOOP, "--bandwidth", "wide"], "--bandwidth"),
        ([*LOOP, "--bandwidth", "-1"], "bandwidth"),
        ([*LOOP, "--bandwidth", "[0.1,"], "--bandwidth"),
        ([*LOOP, "--width", "8"], "--width"),
        ([*LOOP, "--model", "diffusion", "--width", "0"], "width"),
        ([*LOOP, "--model", "diffusion", "--tau", "soon"], "--tau"),
        ([*LOOP, "--model", "diffusion", "--sampler", "euler"], "sampler"),
        ([*LOOP, "--truth", "mixture", "--sd", "2"], "--sd"),
        ([*LOOP, "--sd", "0"], "--sd"),
        ([*LOOP, "--jobs", "0"], "--jobs"),
        ([*LOOP, "--generations", "0"], "--generations"),
        ([*LOOP, "--generations", "100000"], "--generations"),
        (["loop", "--scenario", "replace", "--N", "1e15"], "limit"),
        (["loop", "--scenario", "replace", "--N", "1" + "0" * 400], "limit"),
        ([*LOOP, "-o", "nowhere/x.jsonl"], "--output"),
        ([*LOOP, "-o", "not-json.jsonl"], "--output"),
        ([*LOOP, "-o", "folder"], "folder"),
        ([*LOOP, "-o", "binary.jsonl"], "not a text file"),
        ([*LOOP, "--bandwidth", "1" + "0" * 400], "--bandwidth"),
        ([*SWEEP, "augment:n=10"], "--scenario"),
        ([*SWEEP, "replace:N=10,Q=2"], "Q"),
        ([*SWEEP, "replace:N"], "--scenario"),
        ([*SWEEP, "nothing:N=10"], "--scenario"),
        ([*SWEEP, "replace:N=10", "--scenario", "replace:N=10.0"], "--scenario"),
        ([*SWEEP, "replace:N=10", "--model", "kde:bw=0.2"], "--model"),
        ([*SWEEP, "replace:N=10", "--model", "gan"], "--model"),
        ([*SWEEP, "replace:N=10", "--truth", "gaussian:sd=x"], "--truth"),
        ([*SWEEP, "replace:N=10", "--shard", "2/2"], "--shard"),
        ([*SWEEP, "custom:sizes=[10],weights_table=[[1]]", "--generations", "2"], "generations"),
        (["check", "missing.jsonl"], "missing.jsonl"),
        (["check", "folder"], "folder"),
        (["check", "not-records.jsonl"], "not-records.jsonl"),
        (["check", "not-json.jsonl"], "not-json.jsonl"),
        (["check", "x.jsonl", "--failure-probability", "1"], "--failure-probability"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, word, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "not-records.jsonl").write_text('{"delta": 0.1}\n')
    (tmp_path / "not-json.jsonl").write_text("delta = 0.1\n")
    (tmp_path / "binary.jsonl").write_bytes(bytes(range(128, 256)))
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and word in err, err
    assert len(err) < 300  # a huge value is cut short in the message
    assert not (tmp_path / "s.jsonl").exists()  # nothing ran


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["loop"], "--scenario"),
        (["loop", "--scenario", "nothing"], "--scenario"),
        ([*LOOP, "--jobs", "two"], "--jobs"),
        (["sweep", "--scenario", "replace:N=10"], "--output"),
    ],
)
def test_argparse_errors_are_one_line_too(args, word, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("empirical") and word in err, err


def test_a_foreign_output_file_is_refused_and_kept(tmp_path, capsys):
    path = tmp_path / "f.jsonl"
    path.write_text('{"my":"data"}\n')
    code, out, err = main(capsys, *LOOP, "--generations", "1", "-o", path)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "not a records file" in err and path.read_text() == '{"my":"data"}\n'


def test_a_second_writer_is_refused_with_one_line(tmp_path, capsys):
    path = tmp_path / "busy.jsonl"
    with exclusive_lock(path):  # another sweep is writing this file
        code, _, err = main(capsys, *LOOP, "--generations", "1", "-o", path)
    assert code == 2 and "being written by another process" in err
    assert len(err.strip().splitlines()) == 1 and not path.exists()


def test_bad_outputs_are_refused_before_anything_is_computed(tmp_path, capsys):
    """A run of 10^4 generations of 10^6 points would take hours: a refusal in well under a
    minute proves the path was checked first."""
    (tmp_path / "a-file").write_text("")
    if os.getuid() == 0:  # root writes anywhere a permission allows; /sys refuses even root
        unwritable = "/sys/records.jsonl"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        unwritable = locked / "records.jsonl"
    huge = ["loop", "--scenario", "replace", "--N", "1000000", "--generations", "10000"]
    for output, word in (
        (tmp_path, "folder"),
        (tmp_path / "missing" / "x.jsonl", "does not exist"),
        (tmp_path / "a-file" / "x.jsonl", "does not exist"),
        (unwritable, "cannot be written"),
    ):
        start = time.perf_counter()
        code, out, err = main(capsys, *huge, "-o", output)
        assert time.perf_counter() - start < 30
        assert code == 2 and out == "" and word in err and len(err.strip().splitlines()) == 1


def test_damaged_records_are_named_by_their_real_line_number(kde_loop, tmp_path, capsys):
    lines = kde_loop[0].read_text().splitlines(keepends=True)
    for damage, text in (
        ("[1, 2, 3]\n", "line 3 is not a record"),
        ('{"key": "a", "spec"\n', "line 3 is not JSON"),
        (json.dumps({**json.loads(lines[0]), "delta": "big"}) + "\n", "line 3 is a record"),
    ):
        path = tmp_path / "damaged.jsonl"
        path.write_text(lines[0] + "\n" + damage + "".join(lines[1:]))  # line 2 is blank
        code, out, err = main(capsys, "check", path)
        assert code == 2 and out == "" and text in err, err
        assert len(err.strip().splitlines()) == 1


def test_a_run_that_cannot_travel_to_a_worker_is_refused_in_one_line(tmp_path):
    spec = RunSpec(
        Replace(50), Component("kde", {"bandwidth": lambda: 0.2}),
        TRUTHS.component("gaussian", mean=0.0), 1, 0,
    )  # fmt: skip
    with pytest.raises(UsageError, match=r"cannot be sent to worker processes .*--jobs 1"):
        check_picklable([spec])
    with pytest.raises(UsageError, match="cannot be sent"):
        execute([spec, spec], tmp_path / "x.jsonl", jobs=2)
    assert not (tmp_path / "x.jsonl").exists()


def test_size_limit_is_stated(capsys):
    code, _, err = main(capsys, "loop", "--scenario", "accumulate", "--n", "1000", "--m",
                        "1000000", "--generations", "11")  # fmt: skip
    assert code == 2 and f"limit is {MAX_POINTS:.0e} points" in err


def test_python_dash_m_empirical_gives_one_line_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "empirical", "loop", "--scenario", "augment", "--n", "100"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "empirical loop: error: --m is required for scenario augment"


def test_report_subcommand_reaches_the_report(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--help"])
    assert stop.value.code == 0 and "--out" in capsys.readouterr().out

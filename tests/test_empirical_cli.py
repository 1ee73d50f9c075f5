"""The ``empirical`` command end to end: subprocesses, records read back, checks, bad input."""

import json
import subprocess
import sys

import pytest

from empirical import cli

KDE_LOOP = ["--scenario", "augment", "--n", "100", "--m", "200", "--bandwidth", "0.3"]
SWEEP_GRID = [
    "--scenario",
    "replace:N=100",
    "--scenario",
    "augment:n=50,m=100",
    "--model",
    "kde:bandwidth=0.3",
    "--model",
    "diffusion:width=16,steps=10",
    "--truth",
    "mixture",
    "--seeds",
    "0:1",
    "--generations",
    "2",
]


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "empirical", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_times(records):
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "wall_time"}, sort_keys=True)
        for r in records
    )


@pytest.fixture(scope="module")
def kde_loop(tmp_path_factory):
    """3 seeds x 3 generations of an augment KDE loop (fixed real data), checked as it runs."""
    folder = tmp_path_factory.mktemp("loop")
    done = run(
        "loop",
        *KDE_LOOP,
        "--generations",
        "3",
        "--seeds",
        "0:2",
        "-o",
        "loop.jsonl",
        "--check",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    return folder / "loop.jsonl", done


@pytest.fixture(scope="module")
def fresh_kde_records(tmp_path_factory):
    """10 seeds x 2 generations of a replace KDE loop with fresh real data (for level 2)."""
    path = tmp_path_factory.mktemp("fresh") / "fresh.jsonl"
    done = run(
        "loop",
        *("--scenario", "replace", "--N", "200", "--bandwidth", "0.3", "--real", "fresh"),
        *("--generations", "2", "--seeds", "0:9", "-o", str(path)),
    )
    assert done.returncode == 0, done.stderr
    return path


# --------------------------------------------------------------------------- loop


def test_loop_writes_one_record_per_seed_and_generation_with_its_parameters(kde_loop):
    path, done = kde_loop
    records = read(path)
    assert len(records) == 9
    assert sorted((r["seed"], r["generation"]) for r in records) == [
        (s, i) for s in range(3) for i in range(1, 4)
    ]
    for r in records:
        assert r["scenario"] == {"name": "augment", "parameters": {"n": 100, "m": 200}}
        assert r["model"] == {"type": "KDE", "parameters": {"bandwidth": 0.3, "kernel": "gaussian"}}
        assert r["truth"] == {"type": "Gaussian", "parameters": {"mean": [0.0], "cov": [[1.0]]}}
        assert r["real"] == "fixed" and r["generations"] == 3
        assert r["N"] == (100 if r["generation"] == 1 else 300) and r["counts"][0] == 100
        assert 0 <= r["delta"] <= 1 and 0 <= r["epsilon"] <= 1
    # the table printed to stdout is the mean over seeds of what the file holds
    lines = done.stdout.splitlines()
    assert lines[0] == "ran 3 runs, 0 already in loop.jsonl"
    table = {int(c[0]): c for c in (line.split() for line in lines[2:5])}
    for i in (1, 2, 3):
        delta = [r["delta"] for r in records if r["generation"] == i]
        epsilon = [r["epsilon"] for r in records if r["generation"] == i]
        assert table[i][1] == "3"
        assert float(table[i][2]) == pytest.approx(sum(delta) / 3, rel=1e-3)
        assert float(table[i][3]) == pytest.approx(sum(epsilon) / 3, rel=1e-3)


def test_same_seeds_give_the_same_records_serial_parallel_or_printed(tmp_path):
    common = [*KDE_LOOP, "--generations", "2", "--seeds", "4,7"]
    parallel = run("loop", *common, "--jobs", "2", "-o", str(tmp_path / "p.jsonl"))
    printed = run("loop", *common)
    assert parallel.returncode == 0 and printed.returncode == 0, parallel.stderr + printed.stderr
    from_file = read(tmp_path / "p.jsonl")
    from_stdout = [json.loads(line) for line in printed.stdout.splitlines()]
    assert without_times(from_file) == without_times(from_stdout)
    assert "mean delta" in printed.stderr  # the table goes to stderr when records go to stdout
    by_seed = {r["seed"]: r["delta"] for r in from_stdout if r["generation"] == 1}
    assert by_seed[4] != by_seed[7]  # and the seed matters


def test_a_diffusion_loop_on_the_mixture_records_its_hyper_parameters():
    done = run(
        "loop",
        *("--scenario", "replace", "--N", "100", "--model", "diffusion", "--width", "16"),
        *("--steps", "10", "--tau", "optimal", "--sampler", "ode", "--truth", "mixture"),
        *("--generations", "2", "--check"),
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2
    params = records[0]["model"]["parameters"]
    assert records[0]["model"]["type"] == "DiffusionModel"
    assert (params["width"], params["steps"], params["tau"], params["sampler"]) == (
        16,
        10,
        "optimal",
        "ode",
    )
    assert records[0]["truth"]["type"] == "GaussianMixture"
    assert "Theorem R (level 1): 2/2 rows hold" in done.stderr


# --------------------------------------------------------------------------- checks


def test_loop_check_and_check_pass_on_honest_records(kde_loop):
    path, done = kde_loop
    assert "Theorem R (level 1): 9/9 rows hold" in done.stdout
    checked = run("check", str(path))
    assert checked.returncode == 0, checked.stderr
    assert "9/9 rows hold" in checked.stdout and "all checks hold" in checked.stdout


def test_check_fails_on_a_record_corrupted_to_break_theorem_r(kde_loop, tmp_path):
    """Negative control: raising delta_2 of one run by 0.5 breaks its generation-2 row
    (delta_2 <= eps_2 + w_21 delta_1 + tolerance) and no other (later bounds only grow)."""
    records = read(kde_loop[0])
    path = tmp_path / "corrupted.jsonl"
    for r in records:
        if r["seed"] == 1 and r["generation"] == 2:
            r["delta"] += 0.5
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    checked = run("check", str(path))
    assert checked.returncode == 1
    assert "Theorem R (level 1): 8/9 rows hold" in checked.stdout
    assert "FAILS A seed 1, generation 2" in checked.stdout
    assert "some checks FAIL" in checked.stdout


def test_kde_bound_holds_on_fresh_kde_records(fresh_kde_records):
    """Level 2 with failure probability 0.01: the measured means sit at about half the explicit
    bound (N = 200, h = 0.3), so a failure here would mean a wrong bound or a broken check."""
    checked = run("check", str(fresh_kde_records), "--kde-bound")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "20/20 rows hold" in checked.stdout
    rows = [line.split() for line in checked.stdout.splitlines() if line.startswith("     A  ")]
    level2 = [r for r in rows if len(r) == 8]
    assert [r[1] for r in level2] == ["1", "2"] and all(r[-1] == "true" for r in level2)
    assert all(float(r[3]) < float(r[5]) for r in level2)  # mean delta below the bound


def test_kde_bound_fails_when_the_distances_are_inflated(fresh_kde_records, tmp_path):
    """Negative control for level 2 alone: adding 0.3 to delta_1 and eps_1 of every run keeps
    Theorem R (margin 0 at i = 1; the i = 2 bound grows) but lifts the mean far above the bound."""
    records = read(fresh_kde_records)
    for r in records:
        if r["generation"] == 1:
            r["delta"] += 0.3
            r["epsilon"] += 0.3
    path = tmp_path / "inflated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    checked = run("check", str(path), "--kde-bound")
    assert checked.returncode == 1
    assert "20/20 rows hold" in checked.stdout
    level2 = [line.split() for line in checked.stdout.splitlines() if line.endswith("false")]
    assert [r[1] for r in level2] == ["1"]


def test_kde_bound_refuses_records_it_does_not_cover(kde_loop):
    checked = run("check", str(kde_loop[0]), "--kde-bound")
    assert checked.returncode == 2 and checked.stdout == ""
    assert checked.stderr.strip().splitlines() == [
        "empirical check: error: --kde-bound needs fresh real data every generation"
        " (loop --real fresh); configuration A has real fixed"
    ]


# --------------------------------------------------------------------------- sweep


def test_sweep_resumes_after_an_interruption(tmp_path):
    path = tmp_path / "sweep.jsonl"
    first = run("sweep", *SWEEP_GRID, "--jobs", "2", "-o", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"ran 8 runs, skipped 0 already in {path}")
    records = read(path)
    assert len(records) == 16
    assert {r["model"]["type"] for r in records} == {"KDE", "DiffusionModel"}
    content = path.read_text()
    again = run("sweep", *SWEEP_GRID, "-o", str(path))
    assert again.stdout.startswith(f"ran 0 runs, skipped 8 already in {path}")
    assert path.read_text() == content
    # an interruption: the last run lost its last record and a line was cut short
    lines = content.splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:40])
    resumed = run("sweep", *SWEEP_GRID, "-o", str(path))
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"ran 1 runs, skipped 7 already in {path}")
    assert without_times(read(path)) == without_times(records)
    assert run("check", str(path)).returncode == 0


def test_shards_split_the_grid_between_jobs(tmp_path):
    parts = [
        run("sweep", *SWEEP_GRID, "--shard", f"{k}/2", "-o", f"{k}.jsonl", cwd=tmp_path)
        for k in range(2)
    ]
    assert all(done.returncode == 0 for done in parts), [done.stderr for done in parts]
    assert [done.stdout.split(",")[0] for done in parts] == ["ran 4 runs", "ran 4 runs"]
    keys = [
        {
            (json.dumps(r["scenario"]), r["model"]["type"], r["seed"])
            for r in read(tmp_path / f"{k}.jsonl")
        }
        for k in range(2)
    ]
    assert sum(len(k) for k in keys) == 8 and len(set().union(*keys)) == 8
    checked = run("check", *(str(tmp_path / f"{k}.jsonl") for k in range(2)))
    assert checked.returncode == 0 and "16/16 rows hold" in checked.stdout


# --------------------------------------------------------------------------- bad arguments

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
        ([*LOOP, "--bandwidth", "wide"], "--bandwidth"),
        ([*LOOP, "--bandwidth", "-1"], "bandwidth"),
        ([*LOOP, "--width", "8"], "--width"),
        ([*LOOP, "--model", "diffusion", "--width", "0"], "width"),
        ([*LOOP, "--model", "diffusion", "--tau", "soon"], "--tau"),
        ([*LOOP, "--model", "diffusion", "--sampler", "euler"], "sampler"),
        ([*LOOP, "--truth", "mixture", "--sd", "2"], "--sd"),
        ([*LOOP, "--sd", "0"], "--sd"),
        ([*LOOP, "--jobs", "0"], "--jobs"),
        ([*LOOP, "--generations", "0"], "--generations"),
        ([*LOOP, "-o", "nowhere/x.jsonl"], "--output"),
        ([*LOOP, "-o", "not-json.jsonl"], "--output"),
        ([*SWEEP, "augment:n=10"], "--scenario"),
        ([*SWEEP, "replace:N=10,Q=2"], "Q"),
        ([*SWEEP, "replace:N"], "--scenario"),
        ([*SWEEP, "nothing:N=10"], "--scenario"),
        ([*SWEEP, "replace:N=10", "--scenario", "replace:N=10.0"], "--scenario"),
        ([*SWEEP, "replace:N=10", "--model", "kde:bw=0.2"], "--model"),
        ([*SWEEP, "replace:N=10", "--model", "gan"], "--model"),
        ([*SWEEP, "replace:N=10", "--truth", "gaussian:sd=x"], "--truth"),
        ([*SWEEP, "replace:N=10", "--shard", "2/2"], "--shard"),
        (["check", "missing.jsonl"], "missing.jsonl"),
        (["check", "not-records.jsonl"], "not-records.jsonl"),
        (["check", "not-json.jsonl"], "not-json.jsonl"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args, word, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-records.jsonl").write_text('{"delta": 0.1}\n')
    (tmp_path / "not-json.jsonl").write_text("delta = 0.1\n")
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and word in err, err
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


def test_bad_argument_in_a_subprocess_has_no_traceback():
    done = run("loop", "--scenario", "augment", "--n", "100")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "empirical loop: error: --m is required for scenario augment"


@pytest.mark.parametrize("command", ["loop", "sweep", "check"])
def test_help_ends_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert f"example:\n  empirical {command}" in out

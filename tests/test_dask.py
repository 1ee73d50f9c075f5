"""Sweeps on Dask: a LocalCluster of two worker processes on this machine (loopback only) gives
the same records as the serial run, from Python and from ``empirical sweep --scheduler``."""

import json

import pytest
from distributed import Client, LocalCluster, get_task_stream

from bounds.scenarios import Augment, Replace
from empirical import cli
from empirical.records import read_records
from empirical.spec import MODELS, TRUTHS
from empirical.sweep import grid, sweep

GRID = [
    *("--scenario", "replace:N=100", "--scenario", "augment:n=50,m=100"),
    *("--model", "kde:bandwidth=0.3", "--seeds", "0:1", "--generations", "2", "-q"),
]


def without_times(records):
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "wall_time"}, sort_keys=True)
        for r in records
    )


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as local:
        yield local


def test_a_sweep_through_a_local_cluster_gives_the_serial_records(cluster, tmp_path):
    specs = grid(
        [Replace(100), Augment(50, 100)],
        [MODELS.component("kde", bandwidth=0.3)],
        [TRUTHS.component("gaussian", mean=0.0)],
        seeds=[0, 1],
        generations=2,
    )
    assert sweep(specs, tmp_path / "serial.jsonl") == 4
    with Client(cluster) as client, get_task_stream(client) as stream:
        executor = client.get_executor()
        assert sweep(specs, tmp_path / "dask.jsonl", executor) == 4
        executor.shutdown()
    assert len(stream.data) == 4  # every run was a task on the cluster's workers
    serial = read_records(tmp_path / "serial.jsonl")
    assert without_times(read_records(tmp_path / "dask.jsonl")) == without_times(serial)
    # and from the shell, at the scheduler's address, into a file that resumes like any other
    out = tmp_path / "cli.jsonl"
    address = cluster.scheduler_address
    assert cli.main(["sweep", *GRID, "--scheduler", address, "-o", str(out)]) == 0
    assert without_times(read_records(out)) == without_times(serial)
    content = out.read_text()
    assert cli.main(["sweep", *GRID, "--scheduler", address, "-o", str(out)]) == 0
    assert out.read_text() == content  # nothing ran twice


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    import empirical.cli.execute as execute

    monkeypatch.setattr(execute, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "x.jsonl"
    assert cli.main(["sweep", *GRID, "--scheduler", "tcp://127.0.0.1:9", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--scheduler 'tcp://127.0.0.1:9': cannot connect" in err
    assert not out.exists()


def test_dask_flag_starts_a_cluster_on_this_machine(tmp_path, capsys):
    out = tmp_path / "local.jsonl"
    args = ["sweep", "--scenario", "replace:N=50", "--generations", "1", "-q", "-o", str(out)]
    assert cli.main([*args, "--dask", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.startswith("ran 1 runs")
    assert cli.main([*args]) == 0  # the serial command finds the run recorded
    assert capsys.readouterr().out.startswith("ran 0 runs, skipped 1")

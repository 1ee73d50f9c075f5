"""Sweeps: every run once, streamed to disk, resumable, locked, the same under any executor."""

import json
import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from bounds import Augment, Custom, Proportion, Replace
from bounds.io import FileBusyError, exclusive_lock
from empirical.records import RecordsFileError
from empirical.spec import MODELS, TRUTHS
from empirical.sweep import grid, recorded_keys, sweep
from empirical.verify import check_propagation

KDE_03 = MODELS.component("kde", bandwidth=0.3)
NORMAL = TRUTHS.component("gaussian", mean=0.0, cov=1.0)


def small_grid(generations=3):
    scenarios = [Replace(200), Proportion(200, 0.5), Augment(100, 100)]
    return grid(scenarios, [KDE_03], [NORMAL], seeds=range(2), generations=generations)


def without_times(records):
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "wall_time"}, sort_keys=True)
        for r in records
    )


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


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


def test_sweeps_of_different_lengths_share_a_file_and_check_by_run(tmp_path):
    # regression: a 3-generation sweep then a 2-generation one into the same file made the
    # checker see generations [1, 1, 2, 2, 3] for one "run"
    path = tmp_path / "mixed.jsonl"
    assert sweep(small_grid(3), path) == 6
    assert sweep(small_grid(2), path) == 6  # other specs: other keys, nothing reused
    rows = check_propagation(read(path))
    assert len(rows) == 6 * 3 + 6 * 2
    assert all(row["verdict"] in ("holds", "inconclusive") for row in rows)


def test_two_different_custom_scenarios_are_two_runs_when_resumed(tmp_path):
    # regression: every Custom scenario had the key {"generations": G}
    first = Custom((100, 100), ((1,), (0.5, 0.5)))
    second = Custom((100, 100), ((1,), (0.25, 0.75)))
    specs = grid([first, second], [KDE_03], [NORMAL], seeds=[0], generations=2)
    path = tmp_path / "custom.jsonl"
    assert sweep(specs[:1], path) == 1
    assert sweep(specs, path) == 1  # only the second is missing
    assert len(recorded_keys(path)) == 2 and len(read(path)) == 4


def test_any_executor_gives_the_same_records(tmp_path):
    here, pooled = tmp_path / "here.jsonl", tmp_path / "pooled.jsonl"
    sweep(small_grid(), here)
    with ThreadPoolExecutor(max_workers=2) as executor:
        sweep(small_grid(), pooled, executor)
    assert without_times(read(here)) == without_times(read(pooled))


def test_a_foreign_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text('{"my": "data"}\n')
    with pytest.raises(RecordsFileError, match="line 1"):
        sweep(small_grid()[:1], path)
    assert path.read_text() == '{"my": "data"}\n'


def test_a_blank_line_does_not_make_the_file_rewritten(tmp_path):
    path = tmp_path / "runs.jsonl"
    sweep(small_grid()[:1], path)
    text = path.read_text() + "\n"
    path.write_text(text)
    assert sweep(small_grid()[:1], path) == 0
    assert path.read_text() == text


def test_a_second_writer_is_refused_while_a_sweep_holds_the_file(tmp_path):
    path = tmp_path / "runs.jsonl"
    with exclusive_lock(path):
        with pytest.raises(FileBusyError, match="another process"):
            sweep(small_grid()[:1], path)
    assert not path.exists()


def test_a_non_finite_hyper_parameter_is_recorded_by_name(tmp_path):
    # tau = inf (least squares) must survive strict JSON and give the same key when resumed
    model = MODELS.component("diffusion", width=8, steps=10, tau=math.inf)
    assert model.parameters["tau"] == "inf"
    runs = grid([Replace(50)], [model], [NORMAL], seeds=[0], generations=1)
    path = tmp_path / "inf.jsonl"
    assert sweep(runs, path) == 1
    assert read(path)[0]["spec"]["model"]["parameters"]["tau"] == "inf"
    assert sweep(runs, path) == 0


def test_a_path_must_be_text_never_a_file_descriptor(tmp_path):
    """An integer path was opened as a file descriptor (True is 1: stdout was closed)."""
    from empirical.records import read_records, write_jsonl

    for bad in (0, 1, True, None, b"x.jsonl", ""):
        with pytest.raises(TypeError, match="path"):
            recorded_keys(bad)
        with pytest.raises(TypeError, match="path"):
            read_records(bad)
        with pytest.raises(TypeError, match="path"):
            write_jsonl(bad, [])
    with pytest.raises(TypeError, match="records"):
        write_jsonl(tmp_path / "x.jsonl", 5)

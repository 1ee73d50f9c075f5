"""Grids of self-consuming runs over any ``concurrent.futures.Executor``, streamed to disk.

``grid(...)`` is the product of the choices, as ``RunSpec`` values; ``sweep(specs, path,
executor)`` runs them (here, with a process pool, or on a cluster with any executor that
implements ``submit``, e.g. dask's) and appends each finished run's records to a JSON-lines file
as soon as it finishes. The file has one writer: the sweep holds an exclusive lock on it for its
whole life (a second sweep on the same file is refused at once). Appends are whole lines,
flushed and synced, so an interrupted sweep loses only the runs still in flight: run it again
with the same file and it drops what was left unfinished (atomically, and only if something
was) and runs only the specs whose key is not recorded yet. A file that is not a records file is
refused, never rewritten.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path

from bounds import validate
from bounds.io import exclusive_lock, write_text_atomic
from bounds.scenarios import Scenario
from empirical.loop import run
from empirical.records import RecordsFileError, append_records, is_record
from empirical.spec import Component, RunSpec, check_sequence

__all__ = ["grid", "recorded_keys", "sweep"]


def grid(
    scenarios: Sequence[Scenario],
    models: Sequence[Component],
    truths: Sequence[Component],
    seeds: Iterable[int],
    generations: int,
    real: Sequence[str] = ("fixed",),
) -> list[RunSpec]:
    """Every combination of scenario, model, truth, seed and real mode, as run specs."""
    parts = {"scenarios": scenarios, "models": models, "truths": truths, "seeds": seeds}
    lists = [check_sequence(name, value) for name, value in {**parts, "real": real}.items()]
    combos = itertools.product(*lists)
    return [RunSpec(s, m, t, generations, seed, r) for s, m, t, seed, r in combos]


def _complete_runs(path: Path) -> tuple[dict[str, list[str]], bool]:
    """Lines of each complete run in ``path`` by key, and whether the file holds only those
    (no cut line, no unfinished run). A line that is not a record raises ``RecordsFileError``."""
    runs: dict[str, list[str]] = {}
    lengths: dict[str, int] = {}
    clean = True
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue  # blank lines are harmless: readers skip them
            if not line.endswith("\n"):
                clean = False  # the last line, cut short by an interruption
                break
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if not is_record(record):
                raise RecordsFileError(
                    f"{path} is not a records file (line {number} is not a record of a run), "
                    "so it is left untouched; choose another output file"
                )
            runs.setdefault(record["key"], []).append(line)
            lengths[record["key"]] = record["spec"]["generations"]
    complete = {k: v for k, v in runs.items() if len(v) == lengths[k]}
    return complete, clean and len(complete) == len(runs)


def recorded_keys(path: str | os.PathLike) -> set[str]:
    """Keys of the runs whose records are complete in ``path`` (a missing file holds none)."""
    path = validate.path("path", path)
    return set(_complete_runs(path)[0]) if path.exists() else set()


def _keep_complete_runs(path: Path) -> set[str]:
    """Rewrite ``path`` atomically without what an interruption left unfinished, if anything
    was; return the keys of the complete runs."""
    if not path.exists():
        return set()
    complete, clean = _complete_runs(path)
    if not clean:
        write_text_atomic(path, "".join(line for lines in complete.values() for line in lines))
    return set(complete)


def sweep(
    specs: Sequence[RunSpec],
    path: str | os.PathLike,
    executor: Executor | None = None,
    on_done: Callable[[RunSpec, list[dict]], None] | None = None,
    runner: Callable[[RunSpec], list[dict]] = run,
) -> int:
    """Run every spec not yet recorded in ``path``, appending records as runs finish.

    ``executor`` None runs them one after another here. ``runner`` runs one spec (default
    ``empirical.loop.run``; another must return that run's records, e.g. with extra fields, and
    be picklable for a process pool). Returns the number of runs executed.
    Records of one run stay together and in generation order; runs land in finishing order.
    Raises ``bounds.io.FileBusyError`` if another process is writing ``path``.
    """
    specs = check_sequence("specs", specs)
    for spec in specs:
        if not isinstance(spec, RunSpec):
            raise TypeError(f"specs must be RunSpec values, got {validate.shown(spec)}")
    path = validate.path("path", path)
    with exclusive_lock(path):
        done = _keep_complete_runs(path)
        todo = list({spec.key(): spec for spec in specs if spec.key() not in done}.values())
        if executor is None:
            for spec in todo:
                _finish(path, spec, runner(spec), on_done)
            return len(todo)
        futures: dict[Future, RunSpec] = {executor.submit(runner, spec): spec for spec in todo}
        for future in as_completed(futures):
            _finish(path, futures[future], future.result(), on_done)
        return len(todo)


def _finish(path: Path, spec: RunSpec, records: list[dict], on_done) -> None:
    append_records(path, records)
    if on_done is not None:
        on_done(spec, records)

"""Grids of self-consuming runs over any ``concurrent.futures.Executor``, streamed to disk.

A :class:`Run` is everything ``run_loop`` needs; ``grid(...)`` is the product of the choices;
``sweep(runs, path, executor)`` runs them (on one machine with a process pool, on a cluster with any
executor that implements ``submit``, e.g. dask's or an MPI pool) and appends each finished run's
records to a JSON-lines file as soon as it finishes. Appends are whole lines, flushed and synced,
so an interrupted sweep loses only the runs still in flight: run it again with the same file and
it drops what was left unfinished (atomically) and runs only what is not recorded yet.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from pathlib import Path

from bounds import validate
from bounds.io import write_text_atomic
from bounds.scenarios import Scenario
from empirical.loop import REAL_MODES, describe, run_loop
from empirical.model import Density, Model

__all__ = ["Run", "grid", "recorded_keys", "sweep"]


@dataclass(frozen=True)
class Run:
    """One self-consuming run. ``model`` is a picklable zero-argument factory of fresh models,
    e.g. ``functools.partial(KDE, bandwidth=0.2)``, so the run can travel to another process."""

    scenario: Scenario
    model: Callable[[], Model]
    truth: Density
    generations: int
    seed: int
    real: str = "fixed"

    def __post_init__(self) -> None:
        if not isinstance(self.scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(self.scenario).__name__}")
        if not callable(self.model):
            raise TypeError(f"model must be a zero-argument factory, got {self.model!r}")
        object.__setattr__(self, "generations", validate.whole("generations", self.generations, 1))
        object.__setattr__(self, "seed", validate.whole("seed", self.seed, 0))
        if self.real not in REAL_MODES:
            raise ValueError(f"real must be one of {REAL_MODES}, got {self.real!r}")

    def key(self) -> str:
        """The identity of the run in a results file: scenario, model, truth, seed, real mode."""
        return run_key(
            {
                "scenario": {"name": self.scenario.name, "parameters": self.scenario.parameters()},
                "model": describe(self.model()),
                "truth": describe(self.truth),
                "seed": self.seed,
                "real": self.real,
                "generations": self.generations,
            }
        )


def run_key(record: dict) -> str:
    """The run a record belongs to, as a canonical JSON string (generations = run length)."""
    fields = ("scenario", "model", "truth", "seed", "real", "generations")
    return json.dumps({f: record.get(f) for f in fields}, sort_keys=True, default=str)


def grid(
    scenarios: Sequence[Scenario],
    models: Sequence[Callable[[], Model]],
    truths: Sequence[Density],
    seeds: Iterable[int],
    generations: int,
    real: Sequence[str] = ("fixed",),
) -> list[Run]:
    """Every combination of scenario, model, truth, seed and real mode, as runs."""
    combos = itertools.product(scenarios, models, truths, list(seeds), real)
    return [Run(s, m, t, generations, seed, r) for s, m, t, seed, r in combos]


def _complete_runs(path: Path) -> tuple[dict[str, list[str]], bool]:
    """Lines of each complete run in ``path``, and whether anything else (a cut line, an
    unfinished run) is there too."""
    runs: dict[str, list[str]] = {}
    clean = True
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                clean = False  # a line cut short by an interruption
                break
            runs.setdefault(run_key(json.loads(line)), []).append(line)
    complete = {k: v for k, v in runs.items() if len(v) == json.loads(k)["generations"]}
    return complete, clean and len(complete) == len(runs)


def recorded_keys(path: str | os.PathLike) -> set[str]:
    """Keys of the runs whose records are complete in ``path`` (a missing file holds none)."""
    path = Path(path)
    return set(_complete_runs(path)[0]) if path.exists() else set()


def _keep_complete_runs(path: Path) -> set[str]:
    """Rewrite ``path`` atomically without what an interruption left unfinished; return the keys."""
    if not path.exists():
        return set()
    complete, clean = _complete_runs(path)
    if not clean:
        write_text_atomic(path, "".join(line for lines in complete.values() for line in lines))
    return set(complete)


def _execute(run: Run) -> list[dict]:
    records = run_loop(run.scenario, run.model, run.truth, run.generations, run.seed, run.real)
    return [{**r, "generations": run.generations} for r in records]


def _append(path: Path, records: list[dict]) -> None:
    """Append a run's records as whole lines, flushed and synced to disk."""
    text = "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in records)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def sweep(
    runs: Sequence[Run],
    path: str | os.PathLike,
    executor: Executor | None = None,
    on_done: Callable[[Run, list[dict]], None] | None = None,
) -> int:
    """Run every run not yet recorded in ``path``, appending records as runs finish.

    ``executor`` None runs them one after another here. Returns the number of runs executed.
    Records of one run stay together and in generation order; runs land in finishing order.
    """
    path = Path(path)
    done = _keep_complete_runs(path)
    todo = [run for run in runs if run.key() not in done]
    if executor is None:
        for run in todo:
            _finish(path, run, _execute(run), on_done)
        return len(todo)
    futures: dict[Future, Run] = {executor.submit(_execute, run): run for run in todo}
    for future in as_completed(futures):
        _finish(path, futures[future], future.result(), on_done)
    return len(todo)


def _finish(path: Path, run: Run, records: list[dict], on_done) -> None:
    _append(path, records)
    if on_done is not None:
        on_done(run, records)

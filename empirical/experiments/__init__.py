"""Experiments: a grid of run specifications, the checks on their records, and the figures and
tables drawn from those records.

An :class:`Experiment` names its grid (``specs(settings)``: the ``RunSpec`` values it needs, empty
for an experiment that computes bounds only) and its analysis (``analyse(records, settings)``: a
pure function of the records of exactly those specs, returning a :class:`Section`). Figures and
tables never simulate: everything they show is in the records or computed from the bounds. An
experiment whose figure needs more than a record holds (e.g. a model's density) gives a
``runner``: it runs the spec as ``empirical.loop.run`` does and adds that small artefact to the
same run's records. ``run_experiment`` sweeps the grid into ``<out>/runs-<name>.jsonl`` (reusing
what is recorded, running what is missing) and hands the analysis only the records whose key is
asked for, in the grid's order whatever order the runs finished in.

The report (``empirical.report``) is a list of experiments. Each section may state claims of the
theory it tests (:class:`Claim`), which the report gathers into its claims table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from bounds import validate
from empirical.loop import run
from empirical.records import check_records, read_records
from empirical.spec import RunSpec, check_sequence
from empirical.sweep import recorded_keys, sweep

__all__ = [
    "OUTCOMES",
    "SCALES",
    "Claim",
    "Experiment",
    "Section",
    "Settings",
    "Table",
    "describe_runs",
    "pending",
    "records_path",
    "run_experiment",
]

OUTCOMES = ("supported", "not supported", "not resolved")
SCALES = ("quick", "default", "full")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text, got {validate.shown(value)}")
    return value


def _texts(name: str, value: object) -> list[str]:
    items = check_sequence(name, value)
    for item in items:
        _text(name, item)
    return items


def _file_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{kind} must be lower-case letters, digits, '-' or '_' (a file name), got {name!r}"
        )
    return name


@dataclass(frozen=True)
class Settings:
    """How large the report's experiments are: ``scale`` "quick" (CI-sized: the whole report in
    about a minute), "default" or "full"; ``out`` the folder of records, figures and tables;
    ``jobs`` worker processes for the runs."""

    out: Path
    scale: str = "default"
    jobs: int = 1

    def __post_init__(self) -> None:
        validate.choice("scale", self.scale, SCALES)
        object.__setattr__(self, "out", validate.path("out", self.out))
        if self.out.exists() and not self.out.is_dir():
            raise ValueError(f"out must be a folder, got the file {self.out}")
        object.__setattr__(self, "jobs", validate.whole("jobs", self.jobs, minimum=1))

    def pick(self, quick: object, default: object, full: object) -> object:
        """The value for this scale."""
        return {"quick": quick, "default": default, "full": full}[self.scale]


@dataclass(frozen=True)
class Table:
    """A table of a section: written whole as ``<name>.csv`` beside the report and shown in
    markdown after the section's paragraphs, its caption above it; ``shown_rows`` (indices) limits
    the markdown to some rows (None: every row, (): the caption and the CSV link only)."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str = ""
    shown_rows: Sequence[int] | None = None

    def __post_init__(self) -> None:
        _file_name("a table's name", self.name)
        _texts("columns", self.columns)
        _text("caption", self.caption)
        rows = check_sequence("rows", self.rows)
        for number, row in enumerate(rows, start=1):
            if isinstance(row, str) or not isinstance(row, Sequence):
                raise TypeError(f"rows must be sequences of cells; row {number} is {row!r}")
            if len(row) != len(self.columns):
                raise ValueError(
                    f"rows: row {number} of table {self.name} has {len(row)} cells, "
                    f"the table has {len(self.columns)} columns"
                )
        shown = None if self.shown_rows is None else check_sequence("shown_rows", self.shown_rows)
        if shown is not None and any(
            validate.whole("shown_rows", k) >= len(self.rows) for k in shown
        ):
            raise ValueError(
                f"shown_rows of table {self.name} must index its {len(self.rows)} rows"
            )


@dataclass(frozen=True)
class Claim:
    """One claim of the theory as this experiment tested it: what is claimed, the figure (or
    table) that shows it, the measured numbers, and the outcome (one of ``OUTCOMES``)."""

    claim: str
    figure: str
    numbers: str
    outcome: str

    def __post_init__(self) -> None:
        for name in ("claim", "figure", "numbers"):
            _text(name, getattr(self, name))
        validate.choice("outcome", self.outcome, OUTCOMES)


@dataclass(frozen=True)
class Section:
    """What an experiment reports: markdown paragraphs (figures referenced as ``![x](x.png)``),
    tables, figures (matplotlib ``Figure`` objects by file name, e.g. "kde.png") and claims."""

    title: str
    paragraphs: Sequence[str]
    tables: Sequence[Table] = ()
    figures: Mapping[str, object] = field(default_factory=dict)
    claims: Sequence[Claim] = ()

    def __post_init__(self) -> None:
        _text("title", self.title)
        _texts("paragraphs", self.paragraphs)
        for name, kind in (("tables", Table), ("claims", Claim)):
            for item in check_sequence(name, getattr(self, name)):
                if not isinstance(item, kind):
                    raise TypeError(f"{name} must hold {kind.__name__} values, got {item!r}")
        if not isinstance(self.figures, Mapping):
            raise TypeError(f"figures must map file names to figures, got {self.figures!r}")
        for name in self.figures:
            if not isinstance(name, str):
                raise TypeError(f"figures must be named by text, got {name!r}")
            if not name.endswith(".png"):
                raise ValueError(f"a figure's file name must end in .png, got {name!r}")
            _file_name("a figure's name", name.removesuffix(".png"))


@dataclass(frozen=True)
class Experiment:
    """A grid of runs and the pure analysis of their records; ``runner`` (default
    ``empirical.loop.run``) runs one spec, and must be picklable for a process pool."""

    name: str
    specs: Callable[[Settings], list[RunSpec]]
    analyse: Callable[[list[dict], Settings], Section]
    runner: Callable[[RunSpec], list[dict]] = run

    def __post_init__(self) -> None:
        _file_name("an experiment's name", self.name)


def records_path(experiment: Experiment, settings: Settings) -> Path:
    """Where the experiment's records live: ``<out>/runs-<name>.jsonl``."""
    return settings.out / f"runs-{experiment.name}.jsonl"


def pending(experiment: Experiment, settings: Settings) -> list[RunSpec]:
    """The experiment's specs not yet recorded (what ``run_experiment`` will run)."""
    done = recorded_keys(records_path(experiment, settings))
    todo = {spec.key(): spec for spec in experiment.specs(settings) if spec.key() not in done}
    return list(todo.values())


def run_experiment(
    experiment: Experiment,
    settings: Settings,
    executor: Executor | None = None,
    on_done: Callable[[RunSpec, list[dict]], None] | None = None,
) -> Section:
    """Sweep the experiment's grid into its records file, then analyse exactly those records
    (ordered by the grid, then by generation)."""
    specs = experiment.specs(settings)
    records: list[dict] = []
    if specs:
        path = records_path(experiment, settings)
        sweep(specs, path, executor, on_done, experiment.runner)
        order = {}
        for spec in specs:
            order.setdefault(spec.key(), len(order))
        records = [r for r in read_records(path) if r["key"] in order]
        records.sort(key=lambda r: (order[r["key"]], r["generation"]))
    return experiment.analyse(records, settings)


def _span(values: Sequence[int]) -> str:
    """1, 2, 3, 7 -> "1–3, 7" (runs of consecutive integers)."""
    values = sorted(set(values))
    parts, start = [], None
    for k, v in enumerate(values):
        start = v if start is None else start
        if k + 1 == len(values) or values[k + 1] != v + 1:
            parts.append(str(v) if v == start else f"{start}–{v}")
            start = None
    return ", ".join(parts)


def describe_runs(records: Sequence[Mapping]) -> str:
    """Which runs ``records`` hold, in words: the number of runs, their seeds, real-data modes
    and generations, e.g. "40 runs: seeds 0–9, fresh real data, generations 1–30"."""
    records = check_records(records)
    runs = {r["key"]: r for r in records}
    if not runs:
        return "no runs"
    seeds = _span([r["seed"] for r in runs.values()])
    modes = " and ".join(sorted({r["real"] for r in runs.values()}))
    generations = _span([r["generation"] for r in records])
    return (
        f"{len(runs)} run{'s' * (len(runs) != 1)}: seed{'s' * (',' in seeds or '–' in seeds)}"
        f" {seeds}, {modes} real data, generation{'s' * ('–' in generations or ',' in generations)}"
        f" {generations}"
    )

"""Experiments: a grid of run specifications, the checks on their records, and the figures and
tables drawn from those records.

An :class:`Experiment` names its grid (``specs(settings)``: the ``RunSpec`` values it needs, empty
for an experiment that computes bounds only) and its analysis (``analyse(records, settings)``: a
pure function of the records of exactly those specs, returning a :class:`Section`). Figures and
tables never simulate: everything they show is in the records or computed from the bounds.
``run_experiment`` sweeps the grid into ``<out>/runs-<name>.jsonl`` (reusing what is recorded,
running what is missing) and hands the analysis only the records whose key is asked for.

The report (``empirical.report``) is a list of experiments. Each section may state claims of the
theory it tests (:class:`Claim`), which the report gathers into its claims table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from bounds import validate
from empirical.records import read_records
from empirical.spec import RunSpec
from empirical.sweep import sweep

__all__ = ["OUTCOMES", "Claim", "Experiment", "Section", "Settings", "Table", "run_experiment"]

OUTCOMES = ("supported", "not supported", "not resolved")


@dataclass(frozen=True)
class Settings:
    """How large the report's experiments are: ``scale`` "quick" (CI-sized), "default" or
    "full"; ``seeds`` multiplies each experiment's own seed count (1 = its default)."""

    out: Path
    scale: str = "default"
    jobs: int = 1

    def __post_init__(self) -> None:
        if self.scale not in ("quick", "default", "full"):
            raise ValueError(f"scale must be quick, default or full, got {self.scale!r}")
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "jobs", validate.whole("jobs", self.jobs, minimum=1))

    def pick(self, quick: object, default: object, full: object) -> object:
        """The value for this scale."""
        return {"quick": quick, "default": default, "full": full}[self.scale]


@dataclass(frozen=True)
class Table:
    """A table of a section: written as ``<name>.csv`` beside the report and shown in markdown."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str = ""


@dataclass(frozen=True)
class Claim:
    """One claim of the theory as this experiment tested it."""

    claim: str
    figure: str
    numbers: str
    outcome: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")


@dataclass(frozen=True)
class Section:
    """What an experiment reports: markdown paragraphs (figures referenced as ``![x](x.png)``),
    tables, figures (matplotlib ``Figure`` objects by file name) and claims."""

    title: str
    paragraphs: Sequence[str]
    tables: Sequence[Table] = ()
    figures: Mapping[str, object] = field(default_factory=dict)
    claims: Sequence[Claim] = ()


@dataclass(frozen=True)
class Experiment:
    """A grid of runs and the pure analysis of their records."""

    name: str
    specs: Callable[[Settings], list[RunSpec]]
    analyse: Callable[[list[dict], Settings], Section]


def run_experiment(
    experiment: Experiment,
    settings: Settings,
    executor: Executor | None = None,
    on_done: Callable[[RunSpec, list[dict]], None] | None = None,
) -> Section:
    """Sweep the experiment's grid into its records file, then analyse exactly those records."""
    specs = experiment.specs(settings)
    records: list[dict] = []
    if specs:
        path = settings.out / f"runs-{experiment.name}.jsonl"
        sweep(specs, path, executor, on_done)
        keys = {spec.key() for spec in specs}
        records = [r for r in read_records(path) if r["key"] in keys]
    return experiment.analyse(records, settings)

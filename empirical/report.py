"""The main job: a report made of experiments (``REPORT``), written as markdown with its figures
and tables.

``python -m empirical.report [--out report] [--quick | --full] [--jobs 1] [--quiet]`` (also
``empirical report``) runs every experiment of ``REPORT`` (``empirical.experiments``) and writes
into ``--out``: ``report.md``, every figure (PNG), every table as ``<name>.csv``, the claims
table as ``claims.csv``, and ``report-files.json``, the list of the files the report wrote.
Records stay in ``runs-<experiment>.jsonl``.

Made again into the same folder, the report reuses every record whose spec is still asked for,
runs what is missing and reports only what the current scale asks (never older records of other
specs). Every file is replaced atomically; a figure or table the new report no longer makes is
removed only if the previous ``report-files.json`` lists it (a file the report did not write is
never deleted). One report writes a folder at a time (an advisory lock on ``report.md``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

import bounds
from bounds.io import FileBusyError, exclusive_lock, write_text_atomic
from empirical import figures
from empirical.experiments import (
    Claim,
    Experiment,
    Section,
    Settings,
    Table,
    accumulation,
    bounds_curves,
    diffusion_loops,
    early_stopping,
    kde_loops,
    pending,
    real_share,
    records_path,
    run_experiment,
    stopping,
    synthetic_amount,
    theorem1,
    threshold,
)
from empirical.records import RecordsFileError

__all__ = ["MANIFEST", "REPORT", "add_arguments", "build_report", "main", "run"]

REPORT: tuple[Experiment, ...] = (
    bounds_curves.EXPERIMENT,
    threshold.EXPERIMENT,
    stopping.EXPERIMENT,
    kde_loops.EXPERIMENT,
    synthetic_amount.EXPERIMENT,
    real_share.EXPERIMENT,
    accumulation.EXPERIMENT,
    diffusion_loops.EXPERIMENT,
    theorem1.EXPERIMENT,
    early_stopping.EXPERIMENT,
)
MANIFEST = "report-files.json"
_OWN = ("report.md", "claims.csv", MANIFEST)
_FLAG = {"quick": " --quick", "default": "", "full": " --full"}
_WRITTEN = re.compile(r"[a-z0-9][a-z0-9_-]*\.(png|csv|md)")


# --- rendering ---------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A markdown cell: floats with 4 significant digits, booleans yes/no, "violated" and
    "not supported" in bold."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    if value in ("violated", "not supported"):
        return f"**{value}**"
    return str(value).replace("|", "\\|")


def markdown_table(table: Table) -> str:
    """The caption, the shown rows as a markdown table, and a link to the CSV."""
    parts = [f"{table.caption} Data: [`{table.name}.csv`]({table.name}.csv).".strip()]
    shown = range(len(table.rows)) if table.shown_rows is None else table.shown_rows
    if shown:
        lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
        lines += ["| " + " | ".join(_cell(v) for v in table.rows[k]) + " |" for k in shown]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def csv_text(table: Table) -> str:
    """Every row of ``table`` as CSV (floats in full precision, booleans true/false)."""

    def plain(value: object) -> object:
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        return value.item() if isinstance(value, np.generic) else value

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([plain(v) for v in row] for row in table.rows)
    return buffer.getvalue()


def claims_table(sections: Sequence[Section]) -> Table:
    claims: list[Claim] = [c for s in sections for c in s.claims]
    return Table(
        "claims",
        ["claim", "figure", "numbers", "outcome"],
        [[c.claim, c.figure, c.numbers, c.outcome] for c in claims],
        caption="Every claim the sections test, with the figure or table that shows it, the"
        " measured numbers and the outcome (supported, not supported, or not resolved at this"
        " sample size).",
    )


def _render(section: Section, note: str) -> str:
    parts = [f"## {section.title}", *section.paragraphs]
    parts += [markdown_table(t) for t in section.tables]
    parts.append(f"*{note}*")
    return "\n\n".join(parts)


def _check_names(sections: Sequence[Section]) -> None:
    """Figures and tables have distinct file names, every figure is referenced and every
    reference drawn."""
    seen = set(_OWN)
    for section in sections:
        text = "\n".join(section.paragraphs)
        referenced = set(re.findall(r"\]\(([^)]+\.png)\)", text))
        if referenced != set(section.figures):
            raise ValueError(
                f"section {section.title!r} references figures {sorted(referenced)} and draws"
                f" {sorted(section.figures)}"
            )
        for name in [*section.figures, *(f"{t.name}.csv" for t in section.tables)]:
            if name in seen:
                raise ValueError(f"two parts of the report would write {name}")
            seen.add(name)


# --- building ----------------------------------------------------------------------------------


def _previous_files(out: Path) -> set[str]:
    """The files the previous report wrote (plain names only), from its manifest."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in listed if isinstance(name, str) and _WRITTEN.fullmatch(name)}


def _sections(
    experiments: Sequence[Experiment], settings: Settings, progress: bool, quiet: bool
) -> list[tuple[Section, str]]:
    executor: Executor | None = ProcessPoolExecutor(settings.jobs) if settings.jobs > 1 else None
    done: list[tuple[Section, str]] = []
    try:
        bar = tqdm(experiments, desc="report", unit="section", disable=not progress)
        for experiment in bar:
            bar.set_postfix_str(experiment.name)
            todo = len(pending(experiment, settings))
            total = len({s.key() for s in experiment.specs(settings)})
            runs = tqdm(
                total=todo, desc=experiment.name, unit="run", leave=False, disable=not progress
            )
            start = time.perf_counter()
            with runs:
                section = run_experiment(
                    experiment, settings, executor, lambda spec, records, bar=runs: bar.update()
                )
            elapsed = time.perf_counter() - start
            if total:
                note = (
                    f"{total} runs in `{records_path(experiment, settings).name}` ({todo} run now,"
                    f" {total - todo} reused); {elapsed:.1f} s."
                )
            else:
                note = f"Computed from the bounds; {elapsed:.1f} s."
            if not quiet:
                tqdm.write(f"{experiment.name}: {note.replace('`', '')}", file=sys.stderr)
            done.append((section, note))
    except BaseException:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
        raise
    if executor is not None:
        executor.shutdown()
    return done


def build_report(
    settings: Settings,
    experiments: Sequence[Experiment] = REPORT,
    *,
    progress: bool = False,
    quiet: bool = True,
) -> Path:
    """Run ``experiments`` at ``settings`` and write the report into ``settings.out``; return
    the path of ``report.md``. ``progress`` shows tqdm bars on stderr (per experiment and per
    run); ``quiet`` False prints one line per experiment there."""
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise ValueError(f"experiments must have distinct names, got {names}")
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out / "report.md"):
        parts = _sections(experiments, settings, progress, quiet)
        sections = [section for section, _ in parts]
        _check_names(sections)
        claims = claims_table(sections)
        written = ["report.md", "claims.csv", MANIFEST]
        for section in sections:
            for name, figure in section.figures.items():
                figures.save(figure, out / name)
                written.append(name)
            for table in section.tables:
                write_text_atomic(out / f"{table.name}.csv", csv_text(table))
                written.append(f"{table.name}.csv")
        write_text_atomic(out / "claims.csv", csv_text(claims))
        header = (
            "# Self-consuming generative models: bounds and checks\n\n"
            f"Made by `python -m empirical.report{_FLAG[settings.scale]}` (version"
            f" {bounds.VERSION}), scale {settings.scale}. Hidden constants of the theory are"
            " 1, and the approximation and prior terms of the diffusion bound 0, unless a"
            " section says otherwise. Each section says which runs its figures and tables"
            " draw; records are in `runs-*.jsonl`."
        )
        body = [header, "## Claims", markdown_table(claims)]
        body += [_render(section, note) for section, note in parts]
        path = write_text_atomic(out / "report.md", "\n\n".join(body) + "\n")
        previous = _previous_files(out)
        manifest = {"written_by": "empirical.report", "files": sorted(written)}
        write_text_atomic(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        for name in sorted(previous - set(written)):
            stale = out / name
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()
    return path


# --- command line ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The report's options, for ``python -m empirical.report`` and ``empirical report``."""
    parser.add_argument("--out", default="report", help="output folder (default: report)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const="quick",
        help="CI-sized runs: the whole report in about a minute",
    )
    size.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const="full",
        help="more seeds and generations",
    )
    parser.set_defaults(scale="default", report_prog=parser.prog)
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes for the runs (default: 1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    """Build the report from parsed ``add_arguments`` options; 0 on success, 2 on bad settings
    (or a foreign records file), 1 if another report is writing the folder, 130 on Ctrl-C."""
    prog = getattr(args, "report_prog", "empirical report")
    try:
        settings = Settings(Path(args.out), args.scale, args.jobs)
    except (TypeError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    progress = not args.quiet and sys.stderr.isatty()
    try:
        path = build_report(settings, progress=progress, quiet=args.quiet)
    except FileBusyError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    except RecordsFileError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished runs are kept, run again to resume", file=sys.stderr)
        return 130
    print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m empirical.report",
        description="Compute bound curves and thresholds, run loops, check the bounds, report.",
        epilog="example: python -m empirical.report --out report --quick --jobs 2",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

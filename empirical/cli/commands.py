"""The subcommands: text already parsed into scenarios and components becomes run specs, runs
go through ``empirical.cli.execute``, records come back as tables and checks."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from empirical.cli.checks import (
    kde_bound,
    kde_inputs,
    level1_lines,
    outcome,
    read_checked,
    render,
    theorem_r,
    verdict_lines,
)
from empirical.cli.components import (
    build_component,
    build_scenario,
    components_from_flags,
    scenario_from_flags,
)
from empirical.cli.execute import execute, progress_enabled
from empirical.cli.tables import Configurations, generation_table, sweep_table
from empirical.cli.values import (
    MAX_GENERATIONS,
    MAX_JOBS,
    MAX_RUNS,
    UsageError,
    parse_named,
    shard,
    shorten,
    whole_range,
)
from empirical.records import read_records
from empirical.spec import MODELS, TRUTHS, RunSpec

__all__ = ["run_check", "run_loop", "run_report", "run_sweep"]


def _seeds(text: str) -> list[int]:
    seeds = whole_range(text, "--seeds", MAX_RUNS)
    if min(seeds) < 0:
        raise UsageError(f"--seeds must be >= 0, got {min(seeds)}")
    _distinct("--seeds", seeds, lambda seed: seed)
    return seeds


def _distinct(option: str, items: Sequence, key: Callable) -> None:
    """Refuse an option that names the same thing twice (its runs would be recorded twice)."""
    seen: set[str] = set()
    for item in items:
        identity = json.dumps(key(item), sort_keys=True, default=str)
        if identity in seen:
            raise UsageError(f"{option} gives {item} twice")
        seen.add(identity)


def _whole_option(option: str, value: int, low: int, high: int | None = None) -> int:
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in {low}..{high}"
        raise UsageError(f"{option} must be {allowed}, got {value}")
    return value


def _specs(args: argparse.Namespace, scenarios, models, truths, real) -> list[RunSpec]:
    """Every combination, as run specs (seeds and sizes checked first)."""
    generations = _whole_option("--generations", args.generations, 1, MAX_GENERATIONS)
    seeds = _seeds(args.seeds)
    count = len(scenarios) * len(models) * len(truths) * len(real) * len(seeds)
    if count > MAX_RUNS:
        raise UsageError(f"the grid has {count} runs; the limit is {MAX_RUNS}")
    if args.grid_points is not None:
        _whole_option("--grid-points", args.grid_points, 5)
    _whole_option("--mc-samples", args.mc_samples, 2)
    specs = []
    for scenario, model, truth, real_mode, seed in itertools.product(
        scenarios, models, truths, real, seeds
    ):
        try:
            spec = RunSpec(
                scenario, model, truth, generations, seed, real_mode,
                args.grid_points, args.mc_samples, args.subsample, tuple(args.metric or ()),
            )  # fmt: skip
        except ValueError as error:
            raise UsageError(f"{shorten(str(scenario), 60)}: {error}") from None
        specs.append(spec)
    return specs


def _execute(specs: list[RunSpec], path: Path, args: argparse.Namespace) -> tuple[int, list]:
    """Run what ``path`` lacks; return how many ran and the records of ``specs``."""
    jobs = _whole_option("--jobs", args.jobs, 1, MAX_JOBS)
    ran = execute(
        specs,
        path,
        jobs=jobs,
        scheduler=args.scheduler,
        local_dask=args.dask,
        progress=progress_enabled(args.quiet),
    )
    keys = {spec.key() for spec in specs}
    return ran, [r for r in read_records(path) if r["key"] in keys]


def run_loop(args: argparse.Namespace) -> int:
    scenario = scenario_from_flags(args)
    model, truth = components_from_flags(args)
    specs = _specs(args, [scenario], [model], [truth], [args.real])
    if args.output is None:
        with tempfile.TemporaryDirectory() as folder:
            _, records = _execute(specs, Path(folder) / "records.jsonl", args)
        records.sort(key=lambda r: (r["seed"], r["generation"]))
        sys.stdout.writelines(json.dumps(r, sort_keys=True) + "\n" for r in records)
        stream = sys.stderr
    else:
        ran, records = _execute(specs, Path(args.output), args)
        stream = sys.stdout
        print(f"ran {ran} runs, {len(specs) - ran} already in {args.output}", file=stream)
    print(generation_table(records), end="", file=stream)
    if not args.check:
        return 0
    rows = theorem_r(records, Configurations(records))
    print("\n".join(level1_lines(rows, labelled=False) + verdict_lines(rows)), file=stream)
    return 0 if outcome(rows) == "holds" else 1


def run_sweep(args: argparse.Namespace) -> int:
    scenarios = []
    for text in args.scenario:
        name, values = parse_named(text, "--scenario")
        scenarios.append(build_scenario(name, values, str, f"--scenario {text!r}"))
    _distinct("--scenario", scenarios, lambda s: s.to_dict())
    components = {}
    for option, registry, default in (("--model", MODELS, "kde"), ("--truth", TRUTHS, "gaussian")):
        found = []
        for text in getattr(args, option[2:]) or [default]:
            name, values = parse_named(text, option)
            found.append(build_component(registry, name, values, str, f"{option} {text!r}"))
        _distinct(option, found, lambda c: c.to_dict())
        components[option] = found
    real = args.real or ["fixed"]
    _distinct("--real", real, lambda r: r)
    specs = _specs(args, scenarios, components["--model"], components["--truth"], real)
    if args.shard is not None:
        index, count = shard(args.shard)
        specs = specs[index::count]
    ran, records = _execute(specs, Path(args.output), args)
    print(f"ran {ran} runs, skipped {len(specs) - ran} already in {args.output}")
    print(sweep_table(Configurations(records)), end="")
    return 0


def run_check(args: argparse.Namespace) -> int:
    p = args.failure_probability
    if not 0 < p < 1:
        raise UsageError(f"--failure-probability must be in (0, 1), got {p}")
    records = read_checked(args.records)
    configs = Configurations(records)
    inputs = kde_inputs(configs) if args.kde_bound else None
    try:
        level1 = theorem_r(records, configs)
    except ValueError as error:  # e.g. a run with missing generations
        raise UsageError(f"FILE: {error}") from None
    level2 = kde_bound(configs, inputs, p) if inputs is not None else None
    sys.stdout.write(render(args.format, level1, level2, configs, p))
    return 0 if outcome([*level1, *(level2 or [])]) == "holds" else 1


def run_report(argv: Sequence[str], parser: argparse.ArgumentParser) -> int:
    """``empirical report``: the report's own options (``empirical.report.add_arguments``) and
    entry (``empirical.report.run``); ``empirical.report.main`` where those do not exist."""
    from empirical import report

    if hasattr(report, "add_arguments") and hasattr(report, "run"):
        report.add_arguments(parser)
        return report.run(parser.parse_args(argv))
    return report.main(list(argv))

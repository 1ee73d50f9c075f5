"""``empirical check`` and ``loop --check``: records read and checked line by line, Theorem R
(level 1) and the explicit KDE bound (level 2), each row with its verdict, as text, CSV or JSON.

A row is "holds", "violated" or "inconclusive" (``empirical.verify``); the outcome of a check is
"violated" if any row is, else "inconclusive" if any row is, else "holds". Exit code 0 only for
"holds": an inconclusive check exits with 1 and says the measurement cannot decide.
"""

from __future__ import annotations

import csv
import io
import json
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from bounds.scenarios import scenario_from_dict
from empirical.cli.tables import Configurations, component_text, g, table
from empirical.cli.values import UsageError
from empirical.records import RecordsFileError, read_records
from empirical.spec import TRUTHS, Component, plain

__all__ = ["COLUMNS", "kde_bound", "kde_inputs", "outcome", "read_checked", "render", "theorem_r"]

VERDICTS = ("holds", "violated", "inconclusive")

NUMBERS = ("generation", "seed", "delta", "delta_error", "epsilon", "epsilon_error")
COLUMNS = (
    "check",
    "config",
    "run",
    "seed",
    "generation",
    "value",
    "bound",
    "margin",
    "tolerance",
    "verdict",
)
SHOWN = 10  # rows listed per verdict in text output
MIN_SEEDS = 10


def read_checked(paths: Sequence[str]) -> list[dict]:
    """The records of ``paths``, every line checked: a line that is not a record, or a record
    without the numbers a check needs, is named by its file and line number."""
    records = []
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(f"FILE {path!r} does not exist or is not a file")
        try:
            found = read_records(path)
            with open(path, encoding="utf-8") as handle:
                numbers_ = [n for n, line in enumerate(handle, start=1) if line.strip()]
        except RecordsFileError as error:
            raise UsageError(str(error)) from None
        except UnicodeDecodeError:
            raise UsageError(f"FILE {path!r} is not a text file of JSON lines") from None
        for number, record in zip(numbers_, found, strict=True):
            _check_record(record, f"{path}: line {number}")
        records += found
    if not records:
        raise UsageError(f"FILE {', '.join(paths)} holds no records")
    return records


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_record(record: Mapping, where: str) -> None:
    for field in NUMBERS:
        if not _number(record.get(field)):
            raise UsageError(f"{where} is a record without a number {field!r}")
    weights = record.get("weights")
    if not isinstance(weights, list) or not all(_number(w) for w in weights):
        raise UsageError(f"{where} is a record without a list of numbers 'weights'")
    spec = record["spec"]
    if not isinstance(spec, Mapping) or not {"scenario", "model", "truth", "generations"} <= set(
        spec
    ):
        raise UsageError(f"{where} is a record whose 'spec' is not a run spec")


def outcome(rows: Sequence[Mapping]) -> str:
    verdicts = {row["verdict"] for row in rows}
    return next((v for v in ("violated", "inconclusive") if v in verdicts), "holds")


def theorem_r(records: Sequence[Mapping], configs: Configurations) -> list[dict]:
    """Level 1 rows (``empirical.verify.check_propagation``) in the common row shape."""
    from empirical.verify import check_propagation

    try:
        rows = check_propagation(records)
    except (KeyError, IndexError) as error:
        raise UsageError(f"records cannot be checked: field {error} is missing") from None
    return [
        {
            "check": "theorem_r",
            "config": configs.of_run[row["run"]],
            "run": row["run"],
            "seed": row["seed"],
            "generation": row["generation"],
            "value": row["delta"],
            "bound": row["bound"],
            "margin": row["margin"],
            "tolerance": row["tolerance"],
            "verdict": row["verdict"],
        }
        for row in rows
    ]


def kde_inputs(configs: Configurations) -> list[tuple[str, object, object, float]]:
    """(label, scenario, truth, bandwidth) of every configuration, each covered by the explicit
    KDE bound, or a UsageError saying why not (before anything is computed)."""
    checks = []
    for label, config in configs.specs.items():
        model, truth = config["model"], config["truth"]
        bandwidth = model["parameters"].get("bandwidth")
        if model["name"] != "kde" or not _number(bandwidth):
            raise UsageError(
                f"--kde-bound covers KDE runs with a numeric bandwidth; configuration {label} is "
                f"{component_text(model)}"
            )
        if config.get("real") != "fresh":
            raise UsageError(
                f"--kde-bound needs fresh real data every generation (loop --real fresh); "
                f"configuration {label} has real {config.get('real')}"
            )
        scenario = scenario_from_dict(dict(config["scenario"]))
        if scenario.keeps_synthetic:
            raise UsageError(
                f"--kde-bound does not cover scenario {scenario.name} (configuration {label}):"
                " its kept synthetic sets are reused, so training points are not independent draws"
            )
        density = TRUTHS.build(Component(truth["name"], truth["parameters"]))
        if truth["name"] not in ("gaussian", "mixture") or density.dim != 1:
            raise UsageError(
                f"--kde-bound needs a 1-D Gaussian or Gaussian-mixture truth; configuration {label}"
                f" has {component_text(truth)}"
            )
        seeds = {r["seed"] for r in configs.records[label]}
        if len(seeds) < MIN_SEEDS:
            raise UsageError(
                f"--kde-bound needs at least {MIN_SEEDS} seeds per configuration, "
                f"configuration {label} has {len(seeds)}"
            )
        checks.append((label, scenario, density, float(bandwidth)))
    return checks


def kde_bound(configs: Configurations, inputs: Sequence, failure_probability: float) -> list:
    """Level 2 rows: per configuration, mean delta_i over seeds against ``kde_loop_bound``."""
    from bounds.kde import kde_loop_bound
    from empirical.verify import check_expected_tv, gaussian_truth

    rows = []
    for label, scenario, truth, bandwidth in inputs:
        group = configs.records[label]
        generations = max(r["generation"] for r in group)
        explicit = kde_loop_bound(scenario, gaussian_truth(truth), bandwidth, generations)
        for row in check_expected_tv(group, explicit.total, failure_probability):
            rows.append(
                {
                    "check": "kde_bound",
                    "config": label,
                    "run": None,
                    "seed": None,
                    "generation": row["generation"],
                    "value": row["mean_delta"],
                    "bound": row["bound"],
                    "margin": row["margin"],
                    "tolerance": row["half_width"],
                    "verdict": row["verdict"],
                    "runs": row["runs"],
                }
            )
    return rows


# --------------------------------------------------------------------------- text


def level1_lines(rows: Sequence[Mapping], labelled: bool = True) -> list[str]:
    """The violated and inconclusive rows (at most ``SHOWN`` of each), then the summary."""
    lines = []
    for verdict, word in (("violated", "VIOLATED"), ("inconclusive", "INCONCLUSIVE")):
        found = [row for row in rows if row["verdict"] == verdict]
        for row in found[:SHOWN]:
            where = f"seed {row['seed']}, generation {row['generation']}"
            where = f"{row['config']} {where}" if labelled else where
            if verdict == "violated":
                detail = (
                    f"delta {g(row['value'])} > bound {g(row['bound'])}"
                    f" + tolerance {g(row['tolerance'])}"
                )
            else:
                detail = (
                    f"delta {g(row['value'])}, bound {g(row['bound'])}: the measurement error"
                    f" {g(row['tolerance'])} exceeds the margin {g(row['margin'])}"
                )
            lines.append(f"{word} {where}: {detail}")
        if len(found) > SHOWN:
            lines.append(f"... and {len(found) - SHOWN} more {verdict} rows")
    count = Counter(row["verdict"] for row in rows)
    later = [row for row in rows if row["generation"] > 1] or list(rows)
    worst = min(later, key=lambda row: row["margin"])
    note = "; at generation 1 the margin is 0 by definition" if later != list(rows) else ""
    lines.append(
        f"Theorem R (level 1): {len(rows)} rows: {count['holds']} hold, {count['violated']}"
        f" violated, {count['inconclusive']} inconclusive; smallest margin {g(worst['margin'])}"
        f" (seed {worst['seed']}, generation {worst['generation']}{note})"
    )
    return lines


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def verdict_lines(rows: Sequence[Mapping]) -> list[str]:
    """The last word: all checks hold, some FAIL, and/or the measurement cannot decide."""
    count = Counter(row["verdict"] for row in rows)
    lines = []
    if count["violated"]:
        lines.append(f"some checks FAIL: {_rows(count['violated'])} violated")
    if count["inconclusive"]:
        lines.append(
            f"inconclusive: the measurement cannot decide {_rows(count['inconclusive'])} (the"
            " error exceeds the margin); measure on a finer grid (--grid-points), or for the"
            " KDE bound with more seeds"
        )
    return lines or ["all checks hold"]


def run_table(rows: Sequence[Mapping], configs: Configurations) -> str:
    """One line per run: configuration, seed, rows, verdict counts, smallest margin."""
    by_run: dict[str, list[Mapping]] = {}
    for row in rows:
        by_run.setdefault(row["run"], []).append(row)
    lines = []
    for run_rows in by_run.values():
        count = Counter(r["verdict"] for r in run_rows)
        later = [r for r in run_rows if r["generation"] > 1] or run_rows
        first = run_rows[0]
        lines.append(
            [
                first["config"],
                first["seed"],
                len(run_rows),
                count["holds"],
                count["violated"],
                count["inconclusive"],
                min(r["margin"] for r in later),
            ]
        )
    lines.sort(key=lambda line: (line[0], line[1]))
    columns = ["config", "seed", "rows", "hold", "violated", "inconclusive", "smallest margin"]
    return table(columns, lines, configs.legend())


def level2_table(rows: Sequence[Mapping], failure_probability: float) -> str:
    columns = ["config", "generation", "runs", "mean delta", "+-", "bound", "ratio", "verdict"]
    lines = [
        [
            r["config"],
            r["generation"],
            r["runs"],
            r["value"],
            r["tolerance"],
            r["bound"],
            r["value"] / r["bound"],
            r["verdict"],
        ]
        for r in rows
    ]
    note = (
        f"explicit KDE bound (level 2): mean delta_i over seeds, t interval with failure"
        f" probability {failure_probability:g} over all generations"
    )
    return table(columns, lines, [note])


def render(
    fmt: str,
    level1: Sequence[Mapping],
    level2: Sequence[Mapping] | None,
    configs: Configurations,
    failure_probability: float,
) -> str:
    """The check's output as text, CSV (one row per checked row, legend as '#' lines) or JSON."""
    rows = [*level1, *(level2 or [])]
    if fmt == "json":
        data = {
            "configurations": {label: plain(c) for label, c in configs.specs.items()},
            "rows": [{k: plain(row.get(k)) for k in COLUMNS} for row in rows],
            "counts": {v: sum(row["verdict"] == v for row in rows) for v in VERDICTS},
            "outcome": outcome(rows),
        }
        return json.dumps(data, indent=1, allow_nan=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        out.writelines(f"# {line}\n" for line in configs.legend())
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(["" if row.get(k) is None else plain(row[k]) for k in COLUMNS])
        return out.getvalue()
    text = run_table(level1, configs) + "\n".join(level1_lines(level1)) + "\n"
    if level2 is not None:
        text += level2_table(level2, failure_probability)
    return text + "\n".join(verdict_lines(rows)) + "\n"

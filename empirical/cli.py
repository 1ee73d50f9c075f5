"""The ``empirical`` command: self-consuming loops and sweeps from the shell, and their checks.

``loop`` runs the seeds of one loop, ``sweep`` a grid of scenarios x models x truths x real modes
x seeds, ``check`` tests a records file against Theorem R (level 1) and, with ``--kde-bound``,
the explicit KDE bound (level 2). Every run goes through ``empirical.sweep.sweep``: records are
JSON lines appended as runs finish, so a command run again with the same file runs only what is
not recorded yet. Bad arguments give a one-line message naming the argument and exit code 2;
a failed check exits with 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NoReturn

from bounds.cli import SCENARIO_PARAMETERS, UsageError, _scenario, _table, _whole_list

TRUTH_OPTIONS = {"gaussian": ("mean", "sd"), "mixture": (), "bump": ("center", "radius")}
REAL_MODES = ("fixed", "fresh")

LOOP_EXAMPLE = """example:
  empirical loop --scenario augment --n 500 --m 1000 --bandwidth 0.2 --generations 10 \\
      --seeds 0:9 --real fresh --jobs 2 --output augment.jsonl --check
  empirical loop --scenario replace --N 1000 --model diffusion --width 128 --tau optimal \\
      --truth mixture --generations 5"""
SWEEP_EXAMPLE = """example:
  empirical sweep --scenario replace:N=1000 --scenario augment:n=500,m=1000 \\
      --model kde:bandwidth=0.2 --model diffusion:width=128,tau=optimal \\
      --seeds 0:9 --generations 10 --jobs 2 --output sweep.jsonl
  empirical sweep ... --output part-3.jsonl --shard 3/8   (one of 8 cluster jobs)"""
CHECK_EXAMPLE = """example:
  empirical check sweep.jsonl
  empirical check augment.jsonl --kde-bound --failure-probability 0.01"""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``empirical`` console script and ``python -m empirical``."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"empirical {args.command}: error: {message}", file=sys.stderr)
        return 2


# --------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="empirical",
        description="Self-consuming loops of small generative models, with TV measured exactly.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    loop = commands.add_parser(
        "loop",
        help="one loop over one or more seeds; records as JSON lines",
        epilog=LOOP_EXAMPLE,
        formatter_class=formatter,
    )
    loop.add_argument(
        "--scenario", required=True, choices=tuple(SCENARIO_PARAMETERS), help="mixing scenario"
    )
    loop.add_argument("--N", type=float, help="training size (replace, proportion)")
    loop.add_argument("--lam", type=float, help="real share lambda (proportion)")
    loop.add_argument("--n", type=float, help="real-data size (augment, accumulate)")
    loop.add_argument("--m", type=float, help="synthetic size (augment, accumulate)")
    loop.add_argument("--model", choices=tuple(MODEL_OPTIONS), default="kde", help="the model")
    loop.add_argument("--bandwidth", help="kde: a number > 0, scott or silverman (default scott)")
    for key, text in _DIFFUSION_HELP.items():
        loop.add_argument(_flag(key), help=f"diffusion: {text}")
    loop.add_argument("--truth", choices=tuple(TRUTH_OPTIONS), default="gaussian", help=_TRUTH_HELP)
    loop.add_argument("--mean", help="gaussian truth: mean (default 0)")
    loop.add_argument("--sd", help="gaussian truth: standard deviation (default 1)")
    _run_arguments(loop)
    loop.add_argument("--real", choices=REAL_MODES, default="fixed", help=_REAL_HELP)
    loop.add_argument(
        "--output", "-o", metavar="FILE", help="append records here (default: print them)"
    )
    loop.add_argument("--check", action="store_true", help="check Theorem R on every row")
    loop.set_defaults(run=_run_loop)

    grid = commands.add_parser(
        "sweep",
        help="a grid of scenarios x models x truths x seeds, resumable",
        epilog=SWEEP_EXAMPLE,
        formatter_class=formatter,
    )
    grid.add_argument(
        "--scenario",
        action="append",
        required=True,
        metavar="SPEC",
        help="NAME:KEY=VALUE,... e.g. replace:N=1000, augment:n=500,m=1000 (repeat for more)",
    )
    grid.add_argument(
        "--model",
        action="append",
        metavar="SPEC",
        help="kde[:bandwidth=B] or diffusion[:width=M,tau=T,steps=S,sampler=ode,...]"
        " (repeat for more; default kde)",
    )
    grid.add_argument(
        "--truth",
        action="append",
        metavar="SPEC",
        help="gaussian[:mean=A,sd=S], mixture or bump[:center=C,radius=R] (default gaussian)",
    )
    _run_arguments(grid)
    grid.add_argument(
        "--real", action="append", choices=REAL_MODES, help=_REAL_HELP + " (repeat for both)"
    )
    grid.add_argument("--output", "-o", metavar="FILE", required=True, help="records file")
    grid.add_argument(
        "--shard",
        metavar="K/S",
        help="run only the runs k, k+S, k+2S, ... of the grid (k = 0..S-1), e.g. one cluster job",
    )
    grid.set_defaults(run=_run_sweep)

    check = commands.add_parser(
        "check",
        help="does Theorem R hold on a records file (and the explicit KDE bound)?",
        epilog=CHECK_EXAMPLE,
        formatter_class=formatter,
    )
    check.add_argument("records", nargs="+", metavar="FILE", help="JSON-lines records files")
    check.add_argument(
        "--kde-bound",
        action="store_true",
        help="also level 2: mean delta over seeds against bounds.kde.kde_loop_bound",
    )
    check.add_argument(
        "--failure-probability",
        type=float,
        default=0.01,
        help="level 2: probability that an interval fails, over all generations (default 0.01)",
    )
    check.set_defaults(run=_run_check)
    return parser


_TRUTH_HELP = "gaussian N(0,1) (or --mean/--sd), mixture 1/2 N(-1.5,0.5) + 1/2 N(1.5,0.5), bump"
_DIFFUSION_HELP = {
    "width": "hidden width M (default 256)",
    "tau": "training time, a number >= 0 or optimal (default 1e4)",
    "steps": "sampler steps (default 200)",
    "sampler": "ode or sde (default ode)",
    "T": "horizon (default 5)",
    "t0": "smallest time (default 1e-3)",
    "draws": "(t, z) draws per training point (default 8)",
    "bias_scale": "standard deviation of the feature biases (default 2)",
    "feature_seed": "fix the random features (default: drawn from the run's seed)",
}
_REAL_HELP = "real data: one pool drawn once (fixed) or fresh draws every generation (fresh)"


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generations", type=int, default=10, help="generations (default 10)")
    parser.add_argument(
        "--seeds", default="0", help="A:B (inclusive), A:B:STEP or a,b,c (default 0)"
    )
    parser.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")


# --------------------------------------------------------------------------- building runs


def _number(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{option} must be a number, got {text!r}") from None


def _integer(option: str, text: str) -> int:
    """A whole number, also when written like 1e3."""
    try:
        value = float(text)
        if value.is_integer():
            return int(value)
    except ValueError:
        pass
    raise UsageError(f"{option} must be a whole number, got {text!r}")


def _bandwidth(option: str, text: str) -> float | str:
    if text in ("scott", "silverman"):
        return text
    try:
        return float(text)
    except ValueError:
        message = f"{option} must be a number > 0, scott or silverman, got {text!r}"
        raise UsageError(message) from None


def _tau(option: str, text: str) -> float | str:
    if text == "optimal":
        return text
    if text in ("inf", "infinity"):
        return math.inf
    return _number(option, text)


def _sampler(option: str, text: str) -> str:
    return text  # DiffusionModel names the allowed samplers


MODEL_OPTIONS: dict[str, dict[str, Callable[[str, str], object]]] = {
    "kde": {"bandwidth": _bandwidth},
    "diffusion": {
        "width": _integer,
        "T": _number,
        "t0": _number,
        "steps": _integer,
        "sampler": _sampler,
        "tau": _tau,
        "draws": _integer,
        "bias_scale": _number,
        "feature_seed": _integer,
    },
}


def _model_factory(kind: str, options: Mapping[str, str], label: Callable[[str], str]):
    """A picklable factory ``partial(Model, **options)``, checked by building one model.
    ``label(key)`` is how the user wrote the option, for messages."""
    from empirical.spec import MODELS

    converters = MODEL_OPTIONS[kind]
    unknown = [key for key in options if key not in converters]
    if unknown:
        allowed = ", ".join(label(key).split(": ")[-1] for key in converters)
        raise UsageError(
            f"{label(unknown[0])} is not an option of model {kind} (allowed: {allowed})"
        )
    values = {key: converters[key](label(key), text) for key, text in options.items()}
    return MODELS.component(kind, **values)  # the model validates its hyper-parameters


def _truth(kind: str, options: Mapping[str, str], label: Callable[[str], str]):
    """N(mean, sd^2), 1/2 N(-1.5, 0.5) + 1/2 N(1.5, 0.5), or the bump on center +- radius."""
    from empirical.spec import TRUTHS

    return TRUTHS.describe(_truth_object(kind, options, label))


def _truth_object(kind: str, options: Mapping[str, str], label: Callable[[str], str]):
    from empirical.truths import Bump, Gaussian, GaussianMixture

    allowed = TRUTH_OPTIONS[kind]
    unknown = [key for key in options if key not in allowed]
    if unknown:
        allowed_text = ", ".join(allowed) if allowed else "none"
        raise UsageError(
            f"{label(unknown[0])} is not an option of truth {kind} (allowed: {allowed_text})"
        )
    values = {key: _number(label(key), text) for key, text in options.items()}
    if kind == "gaussian":
        sd = values.get("sd", 1.0)
        if not sd > 0 or not math.isfinite(sd):
            raise UsageError(f"{label('sd')} must be a finite number > 0, got {sd!r}")
        return Gaussian(values.get("mean", 0.0), sd**2)
    if kind == "mixture":
        return GaussianMixture([0.5, 0.5], [[-1.5], [1.5]], [0.5, 0.5])
    return Bump(values.get("center", 0.0), values.get("radius", 1.0))


def _seeds(text: str) -> list[int]:
    seeds = _whole_list(text, "--seeds")
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
            raise UsageError(f"{option} gives {item!r} twice")
        seen.add(identity)


def _spec(text: str, option: str) -> tuple[str, dict[str, str]]:
    """'augment:n=500,m=1000' -> ('augment', {'n': '500', 'm': '1000'})."""
    name, _, rest = text.partition(":")
    options: dict[str, str] = {}
    for item in rest.split(",") if rest else ():
        key, equals, value = (part.strip() for part in item.partition("="))
        if not (key and equals and value):
            raise UsageError(f"{option} {text!r}: expected NAME:KEY=VALUE,..., got {item!r}")
        if key in options:
            raise UsageError(f"{option} {text!r} gives {key} twice")
        options[key] = value
    return name.strip(), options


def _choice(option: str, text: str, name: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if name not in allowed:
        raise UsageError(f"{option} {text!r}: {name!r} is not one of {', '.join(allowed)}")


def _scenario_from_spec(text: str):
    name, options = _spec(text, "--scenario")
    _choice("--scenario", text, name, SCENARIO_PARAMETERS)
    unknown = [key for key in options if key not in ("N", "lam", "n", "m")]
    if unknown:
        allowed = ", ".join(SCENARIO_PARAMETERS[name])
        raise UsageError(
            f"--scenario {text!r}: {unknown[0]} is not a parameter of {name} (allowed: {allowed})"
        )
    given = {key: _number(f"--scenario {text!r}: {key}", v) for key, v in options.items()}
    values = {key: given.get(key) for key in ("N", "lam", "n", "m")}
    try:
        return _scenario(argparse.Namespace(scenario=name, **values))
    except ValueError as error:  # bounds' messages say --N where the spec says N=
        message = str(error).replace("--", "")
        raise UsageError(f"--scenario {text!r}: {message}") from None


def _model_from_spec(text: str):
    name, options = _spec(text, "--model")
    _choice("--model", text, name, MODEL_OPTIONS)
    return _model_factory(name, options, lambda key: f"--model {text!r}: {key}")


def _truth_from_spec(text: str):
    name, options = _spec(text, "--truth")
    _choice("--truth", text, name, TRUTH_OPTIONS)
    return _truth(name, options, lambda key: f"--truth {text!r}: {key}")


def _jobs(jobs: int) -> int:
    if jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")
    return jobs


def _generations(generations: int) -> int:
    if generations < 1:
        raise UsageError(f"--generations must be >= 1, got {generations}")
    return generations


def _execute(runs: list, path: Path, jobs: int, progress: bool) -> tuple[int, list[dict]]:
    """Run what ``path`` does not hold yet; return how many ran and the records of ``runs``."""
    from empirical.records import RecordsFileError, read_jsonl
    from empirical.sweep import sweep

    total = len(runs)
    finished = []

    def report(run, records: list[dict]) -> None:
        finished.append(run)
        seconds = sum(r["wall_time"] for r in records)
        print(
            f"[{len(finished)}] {run.scenario} {run.model.name} seed {run.seed}"
            f" real {run.real}: {len(records)} generations in {seconds:.2f} s",
            file=sys.stderr,
        )

    if not path.parent.is_dir():
        raise UsageError(f"--output {str(path)!r}: folder {str(path.parent)!r} does not exist")
    executor = ProcessPoolExecutor(min(jobs, total)) if jobs > 1 and total > 1 else None
    try:
        ran = sweep(runs, path, executor, report if progress else None)
    except RecordsFileError as error:
        raise UsageError(f"--output: {error}") from None
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)  # on Ctrl-C, start nothing more
    keys = {run.key() for run in runs}
    return ran, [r for r in read_jsonl(path) if r["key"] in keys]


# --------------------------------------------------------------------------- summaries


def _g(value: float) -> str:
    return f"{value:.4g}"


def _describe(part: Mapping) -> str:
    """'KDE(bandwidth=0.2)' from a record's {"type": ..., "parameters": ...}, values compacted."""

    def compact(value: object) -> str:
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
        return json.dumps(value)

    name = part.get("type", part.get("name"))
    params = ", ".join(f"{k}={compact(v)}" for k, v in part["parameters"].items())
    return f"{name}({params})"


def _configurations(records: Iterable[Mapping]) -> dict[str, list[Mapping]]:
    """Records grouped by scenario, model, truth and real mode (everything but the seed)."""
    groups: dict[str, list[Mapping]] = defaultdict(list)
    for record in records:
        groups[_configuration_key(record)].append(record)
    return groups


def _legend(groups: Mapping[str, list[Mapping]]) -> tuple[dict[str, str], list[str]]:
    """A short label per configuration (A, B, ...) and the lines that say what each is."""
    labels, lines = {}, []
    for k, key in enumerate(groups):
        label = _label(k)
        labels[key] = label
        fields = json.loads(key)
        lines.append(
            f"{label}: {_scenario_text(fields['scenario'])}, {_describe(fields['model'])}, "
            f"{_describe(fields['truth'])}, real {fields['real']}"
        )
    return labels, lines


def _scenario_text(part: Mapping) -> str:
    """'augment(n=500, m=1000)': the scenario's own str, its parameters in their order."""
    from bounds.scenarios import SCENARIOS

    try:
        return str(SCENARIOS[part["name"]](**part["parameters"]))
    except (KeyError, TypeError, ValueError):  # a scenario this version does not know
        return _describe(part)


def _label(k: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[k] if k < 26 else f"C{k + 1}"


def _generation_table(records: Sequence[Mapping]) -> str:
    """Generation, runs, mean delta and mean epsilon over the runs."""
    by_generation: dict[int, list[Mapping]] = defaultdict(list)
    for record in records:
        by_generation[record["generation"]].append(record)
    rows = []
    for i in sorted(by_generation):
        group = by_generation[i]
        delta = sum(r["delta"] for r in group) / len(group)
        epsilon = sum(r["epsilon"] for r in group) / len(group)
        rows.append([i, len(group), _g(delta), _g(epsilon)])
    return _table(["generation", "runs", "mean delta", "mean epsilon"], rows)


def _level1(records: Sequence[Mapping]) -> tuple[list[dict], str]:
    """Theorem R's rows and a one-line summary: rows holding, smallest margin past i = 1."""
    from empirical.verify import check_propagation

    rows = check_propagation(records)
    held = sum(row["holds"] for row in rows)
    later = [row for row in rows if row["generation"] > 1] or rows
    worst = min(later, key=lambda row: row["margin"])
    seed = worst["seed"]
    summary = (
        f"Theorem R (level 1): {held}/{len(rows)} rows hold; smallest margin {_g(worst['margin'])}"
        f" (seed {seed}, generation {worst['generation']}"
        + ("; at generation 1 the margin is 0 by definition)" if later is not rows else ")")
    )
    return rows, summary


def _failures(
    rows: Sequence[Mapping], labels: Mapping[str, str] | None = None, runs: Mapping | None = None
) -> list[str]:
    lines = []
    for row in rows:
        if row["holds"]:
            continue
        where = f"seed {row['seed']}, generation {row['generation']}"
        if labels is not None:
            where = f"{labels[_configuration_key(runs[row['run']])]} {where}"
        lines.append(
            f"FAILS {where}: delta {_g(row['delta'])} > bound {_g(row['bound'])}"
            f" + tolerance {_g(row['tolerance'])}"
        )
    return lines


def _configuration_key(record: Mapping) -> str:
    fields = ("scenario", "model", "truth", "real")
    return json.dumps({k: record[k] for k in fields}, sort_keys=True)


# --------------------------------------------------------------------------- subcommands


def _run_loop(args: argparse.Namespace) -> int:
    from empirical.sweep import grid

    scenario = _scenario(args)
    model_options = {
        key: getattr(args, key)
        for key in ("bandwidth", *_DIFFUSION_HELP)
        if getattr(args, key) is not None
    }
    factory = _model_factory(args.model, model_options, _flag)
    truth_options = {k: getattr(args, k) for k in ("mean", "sd") if getattr(args, k) is not None}
    truth = _truth(args.truth, truth_options, lambda key: f"--{key}")
    runs = grid(
        [scenario],
        [factory],
        [truth],
        _seeds(args.seeds),
        _generations(args.generations),
        (args.real,),
    )
    jobs = _jobs(args.jobs)
    if args.output is None:
        with tempfile.TemporaryDirectory() as folder:
            _, records = _execute(runs, Path(folder) / "records.jsonl", jobs, progress=False)
        records.sort(key=lambda r: (r["seed"], r["generation"]))
        sys.stdout.writelines(json.dumps(r, sort_keys=True) + "\n" for r in records)
        stream = sys.stderr
    else:
        ran, records = _execute(runs, Path(args.output), jobs, progress=False)
        stream = sys.stdout
        print(f"ran {ran} runs, {len(runs) - ran} already in {args.output}", file=stream)
    print(_generation_table(records), end="", file=stream)
    if not args.check:
        return 0
    rows, summary = _level1(records)
    print("\n".join([summary, *_failures(rows)]), file=stream)
    return 0 if all(row["holds"] for row in rows) else 1


def _run_sweep(args: argparse.Namespace) -> int:
    from empirical.sweep import grid

    scenarios = [_scenario_from_spec(text) for text in args.scenario]
    _distinct("--scenario", scenarios, lambda s: [s.name, s.parameters()])
    models = [_model_from_spec(text) for text in args.model or ["kde"]]
    _distinct("--model", models, lambda c: c.to_dict())
    truths = [_truth_from_spec(text) for text in args.truth or ["gaussian"]]
    _distinct("--truth", truths, lambda c: c.to_dict())
    real = args.real or ["fixed"]
    _distinct("--real", real, lambda r: r)
    runs = grid(scenarios, models, truths, _seeds(args.seeds), _generations(args.generations), real)
    if args.shard is not None:
        index, count = _shard(args.shard)
        runs = runs[index::count]
    ran, records = _execute(runs, Path(args.output), _jobs(args.jobs), progress=True)
    print(f"ran {ran} runs, skipped {len(runs) - ran} already in {args.output}")
    groups = _configurations(records)
    labels, legend = _legend(groups)
    rows = []
    for key, group in groups.items():
        last = max(r["generation"] for r in group)
        first = [r["delta"] for r in group if r["generation"] == 1]
        final = [r for r in group if r["generation"] == last]
        rows.append(
            [
                labels[key],
                len(final),
                _g(sum(first) / len(first)),
                last,
                _g(sum(r["delta"] for r in final) / len(final)),
                _g(sum(r["epsilon"] for r in final) / len(final)),
            ]
        )
    columns = ["config", "runs", "mean delta_1", "G", "mean delta_G", "mean epsilon_G"]
    print(_table(columns, rows, legend), end="")
    return 0


def _shard(text: str) -> tuple[int, int]:
    index, slash, count = text.partition("/")
    try:
        k, s = int(index), int(count)
    except ValueError:
        k, s = -1, 0
    if not slash or s < 1 or not 0 <= k < s:
        raise UsageError(f"--shard must be K/S with S >= 1 and 0 <= K < S, got {text!r}")
    return k, s


_FIELDS = (
    "key",
    "spec",
    "scenario",
    "model",
    "truth",
    "seed",
    "real",
    "generation",
    "weights",
    "delta",
    "delta_error",
    "epsilon",
    "epsilon_error",
)


def _read_records(paths: Sequence[str]) -> list[dict]:
    from empirical.records import read_jsonl

    records = []
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(f"FILE {path!r} does not exist")
        try:
            found = read_jsonl(path)
        except json.JSONDecodeError as error:
            raise UsageError(f"FILE {path!r} is not JSON lines: {error}") from None
        for number, record in enumerate(found, start=1):
            missing = [f for f in _FIELDS if not isinstance(record, dict) or f not in record]
            if missing:
                raise UsageError(f"FILE {path!r}: record {number} has no {missing[0]!r} field")
        records += found
    if not records:
        raise UsageError(f"FILE {', '.join(paths)} holds no records")
    return records


def _run_check(args: argparse.Namespace) -> int:
    records = _read_records(args.records)
    groups = _configurations(records)
    labels, legend = _legend(groups)
    level2 = _kde_bound_checks(groups, labels) if args.kde_bound else None
    if not 0 < args.failure_probability < 1:
        p = args.failure_probability
        raise UsageError(f"--failure-probability must be in (0, 1), got {p}")
    rows, summary = _level1(records)
    by_run: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_run[row["run"]].append(row)
    table = []
    first = {r["key"]: r for r in records}
    for key, run_rows in by_run.items():
        run = first[key]
        later = [r for r in run_rows if r["generation"] > 1] or run_rows
        held = sum(r["holds"] for r in run_rows)
        smallest = min(r["margin"] for r in later)
        config = labels[_configuration_key(run)]
        table.append([config, run["seed"], len(run_rows), f"{held}/{len(run_rows)}", _g(smallest)])
    table.sort(key=lambda row: (row[0], row[1]))
    columns = ["config", "seed", "generations", "rows holding", "smallest margin"]
    print(_table(columns, table, legend), end="")
    failures = _failures(rows, labels, first)
    print("\n".join([*failures, summary]))
    passed = not failures
    if level2 is not None:
        passed = _check_kde_bound(level2, args.failure_probability) and passed
    print("all checks hold" if passed else "some checks FAIL")
    return 0 if passed else 1


def _kde_bound_checks(groups: Mapping[str, list[Mapping]], labels: Mapping[str, str]) -> list:
    """(label, records, scenario, truth, bandwidth) of every configuration, each one covered by
    the explicit KDE bound, or a UsageError saying why not (before anything is computed)."""
    checks = []
    for key, group in groups.items():
        scenario, truth, bandwidth = _kde_bound_inputs(json.loads(key), labels[key])
        seeds = {r["seed"] for r in group}
        if len(seeds) < 10:
            raise UsageError(
                f"--kde-bound needs at least 10 seeds per configuration, "
                f"configuration {labels[key]} has {len(seeds)}"
            )
        checks.append((labels[key], group, scenario, truth, bandwidth))
    return checks


def _check_kde_bound(checks: Sequence, failure_probability: float) -> bool:
    """Level 2 per configuration: mean delta_i over seeds against ``kde_loop_bound``."""
    from bounds.kde import kde_loop_bound
    from empirical.verify import check_expected_tv, gaussian_truth

    table, passed = [], True
    for label, group, scenario, truth, bandwidth in checks:
        generations = max(r["generation"] for r in group)
        explicit = kde_loop_bound(scenario, gaussian_truth(truth), bandwidth, generations)
        for row in check_expected_tv(group, explicit.total, failure_probability):
            passed = passed and row["holds"]
            table.append(
                [
                    label,
                    row["generation"],
                    row["runs"],
                    _g(row["mean_delta"]),
                    _g(row["half_width"]),
                    _g(row["bound"]),
                    _g(row["ratio"]),
                    row["holds"],
                ]
            )
    columns = ["config", "generation", "runs", "mean delta", "+-", "bound", "ratio", "holds"]
    note = (
        f"explicit KDE bound (level 2): mean delta_i over seeds, t interval with failure"
        f" probability {failure_probability:g} over all generations"
    )
    print(_table(columns, table, [note]), end="")
    return passed


def _kde_bound_inputs(config: Mapping, label: str):
    """The scenario, truth and bandwidth of a configuration the explicit KDE bound covers."""
    from bounds.scenarios import SCENARIOS
    from empirical.truths import Gaussian, GaussianMixture

    model, truth, scenario = config["model"], config["truth"], config["scenario"]
    bandwidth = model["parameters"].get("bandwidth")
    if model["type"] != "KDE" or isinstance(bandwidth, str):
        raise UsageError(
            f"--kde-bound covers KDE runs with a numeric bandwidth; configuration {label} is "
            f"{_describe(model)}"
        )
    if config["real"] != "fresh":
        raise UsageError(
            f"--kde-bound needs fresh real data every generation (loop --real fresh); "
            f"configuration {label} has real {config['real']}"
        )
    if scenario["name"] not in SCENARIOS or SCENARIOS[scenario["name"]].keeps_synthetic:
        raise UsageError(
            f"--kde-bound does not cover scenario {scenario['name']} (configuration {label}):"
            " its kept synthetic sets are reused, so training points are not independent draws"
        )
    params = truth["parameters"]
    if truth["type"] == "Gaussian" and len(params["mean"]) == 1:
        density = Gaussian(params["mean"], params["cov"])
    elif truth["type"] == "GaussianMixture" and len(params["means"][0]) == 1:
        density = GaussianMixture(params["weights"], params["means"], params["covs"])
    else:
        raise UsageError(
            f"--kde-bound needs a 1-D Gaussian or Gaussian-mixture truth; configuration {label}"
            f" has {_describe(truth)}"
        )
    return SCENARIOS[scenario["name"]](**scenario["parameters"]), density, bandwidth

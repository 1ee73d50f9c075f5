"""The ``empirical`` command: self-consuming loops and sweeps from the shell, and their checks.

``loop`` runs the seeds of one loop, ``sweep`` a grid of scenarios x models x truths x real modes
x seeds (here, in worker processes, or on a Dask cluster), ``check`` tests records files against
Theorem R (level 1) and, with ``--kde-bound``, the explicit KDE bound (level 2); ``report`` makes
the report. This package only parses text into run specs (``values``, ``components``) and formats
results (``tables``, ``checks``); running is ``empirical.sweep.sweep`` (``execute``).

Exit codes: 0 when everything ran and every checked row holds; 1 when a row is violated or
inconclusive (the measurement cannot decide), or a run failed; 2 for bad input (one line naming
the argument, never a traceback), always before anything is computed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bounds import VERSION
from empirical.choices import METRICS, REAL_MODES, SUBSAMPLE_RULES

__all__ = ["build_parser", "main"]

LOOP_EXAMPLE = """example:
  empirical loop --scenario augment --n 500 --m 1000 --bandwidth 0.2 --generations 10 \\
      --seeds 0:9 --real fresh --jobs 2 --output augment.jsonl --check
  empirical loop --scenario replace --N 1000 --model diffusion --width 128 --tau theorem1 \\
      --truth mixture --generations 5"""
SWEEP_EXAMPLE = """example:
  empirical sweep --scenario replace:N=1000 --scenario augment:n=500,m=1000 \\
      --model kde:bandwidth=0.2 --model diffusion:width=128,tau=theorem1 \\
      --truth gaussian:mean=1,sd=2 --seeds 0:9 --generations 10 --jobs 2 --output sweep.jsonl
  empirical sweep ... --output part-3.jsonl --shard 3/8   (one of 8 cluster jobs)
  empirical sweep ... --scheduler tcp://10.0.0.5:8786    (on a Dask cluster)"""
CHECK_EXAMPLE = """example:
  empirical check sweep.jsonl
  empirical check augment.jsonl --kde-bound --failure-probability 0.01 --format csv"""
REAL_HELP = "real data: one pool drawn once (fixed) or fresh draws every generation (fresh)"


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or with ``only`` the full options of that one alone
    (the loop's flags, read off the constructors, import the models: ``--help`` and
    ``--version`` start faster without them)."""
    from empirical.cli.values import MAX_GENERATIONS, MAX_POINTS

    parser = Parser(
        prog="empirical",
        description="Self-consuming loops of small generative models, with TV measured exactly.",
    )
    parser.add_argument("--version", action="version", version=f"empirical {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter
    limits = (
        f"limits: at most {MAX_POINTS:.0e} training points per generation and"
        f" {MAX_GENERATIONS} generations"
    )

    loop = commands.add_parser(
        "loop",
        help="one loop over one or more seeds; records as JSON lines",
        description=f"One loop (a scenario, a model, a truth) over seeds. {limits}.",
        epilog=LOOP_EXAMPLE,
        formatter_class=formatter,
    )
    if only in (None, "loop"):
        from empirical.cli.components import add_component_flags, add_scenario_flags

        add_scenario_flags(loop)
        add_component_flags(loop)
    _run_arguments(loop)
    loop.add_argument(
        "--real", choices=REAL_MODES, default="fixed", help=REAL_HELP + " (default fixed)"
    )
    loop.add_argument(
        "--output", "-o", metavar="FILE", help="append records here (default: print them)"
    )
    loop.add_argument(
        "--check", action="store_true", help="check Theorem R on every row (default: off)"
    )
    loop.set_defaults(run=_command("run_loop"))

    grid = commands.add_parser(
        "sweep",
        help="a grid of scenarios x models x truths x seeds, resumable",
        description=f"A grid of runs, appended to one records file as they finish. {limits}.",
        epilog=SWEEP_EXAMPLE,
        formatter_class=formatter,
    )
    grid.add_argument(
        "--scenario",
        action="append",
        required=True,
        metavar="SPEC",
        help="NAME:KEY=VALUE,... e.g. replace:N=1000, augment:n=500,m=1000 (required; repeat)",
    )
    grid.add_argument(
        "--model",
        action="append",
        metavar="SPEC",
        help="NAME[:KEY=VALUE,...], keys as the loop's flags, e.g. kde:bandwidth=0.2 or"
        " diffusion:width=128,tau=theorem1 (repeat for more; default kde)",
    )
    grid.add_argument(
        "--truth",
        action="append",
        metavar="SPEC",
        help="NAME[:KEY=VALUE,...], e.g. gaussian:mean=1,sd=2, mixture, bump:radius=2,"
        " gaussian:mean=[0,0],cov=[1,4] (repeat for more; default gaussian)",
    )
    _run_arguments(grid)
    grid.add_argument(
        "--real",
        action="append",
        choices=REAL_MODES,
        help=REAL_HELP + " (repeat for both; default fixed)",
    )
    grid.add_argument("--output", "-o", metavar="FILE", required=True, help="records (required)")
    grid.add_argument(
        "--shard",
        metavar="K/S",
        help="run only the runs K, K+S, K+2S, ... of the grid (default: all), e.g. one cluster job",
    )
    grid.set_defaults(run=_command("run_sweep"))

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
        help="also level 2: mean delta over seeds against bounds.kde.kde_loop_bound (default off)",
    )
    check.add_argument(
        "--failure-probability",
        type=float,
        default=0.01,
        help="level 2: probability that an interval fails, over all generations (default 0.01)",
    )
    check.add_argument(
        "--format",
        choices=("text", "csv", "json"),
        default="text",
        help="text tables, or one row per checked row with its verdict (default text)",
    )
    check.set_defaults(run=_command("run_check"))

    commands.add_parser("report", add_help=False, help="the report (see empirical report --help)")
    return parser


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generations", type=int, default=10, help="generations (default 10)")
    parser.add_argument(
        "--seeds", default="0", help="A:B (inclusive), A:B:STEP or a,b,c (default 0)"
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=1, help="worker processes, or Dask workers (default 1)"
    )
    parser.add_argument(
        "--grid-points",
        type=int,
        metavar="P",
        help="points per axis of the TV grid in d <= 2 (default 8193 in 1-D, 257 in 2-D)",
    )
    parser.add_argument(
        "--mc-samples",
        type=int,
        default=20_000,
        metavar="S",
        help="Monte Carlo samples per TV in d > 2 (default 20000)",
    )
    parser.add_argument(
        "--metric",
        action="append",
        choices=METRICS,
        help="record beside TV: held-out NLL of 500 real points, KL(p_i || p_0), moment drift"
        " (repeat for more; default none)",
    )
    parser.add_argument(
        "--subsample",
        choices=SUBSAMPLE_RULES,
        default="counts",
        help="how a scenario that keeps synthetic data takes its training set: whole counts per"
        " source, or uniform from the whole pool, fresh each generation (default counts)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (default: here)",
    )
    parser.add_argument(
        "--dask",
        action="store_true",
        help="run on a Dask cluster of --jobs processes on this machine (default off)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar (default: shown on a terminal)"
    )


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        from empirical.cli import commands

        return getattr(commands, name)(args)

    return call


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``empirical`` console script and ``python -m empirical``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["report"]:
        from empirical.cli.commands import run_report

        report = Parser(prog="empirical report", description="The report.")
        return _guarded("report", lambda: run_report(argv[1:], report))
    command = next((a for a in argv if not a.startswith("-")), "")
    args = build_parser(only=command).parse_args(argv)
    return _guarded(args.command, lambda: args.run(args))


def _guarded(command: str, call: Callable[[], int]) -> int:
    """Run a subcommand; bad input and failed runs become one line on stderr."""
    from empirical.cli.execute import RunError

    def say(message: object) -> None:
        print(f"empirical {command}: error: {' '.join(str(message).split())}", file=sys.stderr)

    try:
        return call()
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        say("interrupted; finished runs are recorded, run the same command again to resume")
        return 130
    except RunError as error:
        say(error)
        return 1
    except (ValueError, TypeError, OverflowError) as error:
        say(error)
        return 2
    except OSError as error:  # e.g. the disk filled up while appending
        say(f"{error.strerror or error}: {error.filename or ''}")
        return 1

"""The ``bounds`` command: curves of a bound, phase-transition thresholds, stopping times, formulas.

This module only turns text into objects (scenarios, error models, ranges) and results into
text; the computing lives in ``bounds.propagation``, ``bounds.phase`` and ``bounds.stopping``.
Heavy modules (sympy, matplotlib) are imported only by the subcommand that needs them. Every bad
argument or path gives one line on stderr and exit code 2, before anything is computed.
The module is longer than most (about 480 lines) because it holds the four subcommands' option
tables and output formats side by side; shared pieces live in ``bounds.commandline``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bounds import VERSION
from bounds.commandline import (
    SCENARIO_PARAMETERS,
    HelpFormatter,
    OneLineParser,
    UsageError,
    build_scenario,
    csv_text,
    json_text,
    number_option,
    real_list,
    report_error,
    scenario_options,
    table,
    whole_list,
)
from bounds.io import check_writable, write_text_atomic

MODELS = ("power-law", "diffusion", "diffusion-early", "expression")
SWEEPABLE = ("i", "N", "lam", "n", "m")
PLOT_SUFFIXES = (".png", ".pdf", ".svg")
MAX_DIGITS = 1000  # threshold --digits: mpmath solves stay under a second per generation
MAX_DIGIT_GENERATIONS = 1000  # generations solved in mpmath in one call
VACUOUS = "TV bounds above 1 are reported as they are and flagged, never clipped"

CURVE_EXAMPLE = """example:
  bounds curve augment --n 1000 --generation 5 --over m --values 0:1e5:201 --plot curve.png
  bounds curve proportion --N 5000 --over lam --values 0.05:1:20 --generation 10 --format json"""
THRESHOLD_EXAMPLE = """example:
  bounds threshold --generations 2:50 --n 1000 --alpha 0.2
  bounds threshold --generations 2,10,100,10000 --digits 30 --format json -o thresholds.json"""
STOPPING_EXAMPLE = """example:
  bounds stopping --N 1000 10000 100000 --M 1000 --format csv"""
FORMULA_EXAMPLE = """example:
  bounds formula augment
  bounds formula augment --n 1000 --m 5000 --latex --substitute
  bounds formula accumulate --model diffusion-early"""

_CONSTANTS = {  # error-model constant: (allowed range for number_option, help)
    "C": ((0.0, float("inf"), True, False), "power-law constant C > 0 (default 1)"),
    "alpha": ((0.0, 1.0, True, True), "power-law exponent alpha in (0, 1) (default 0.2)"),
    "M": ((1.0, float("inf"), False, False), "hidden width M >= 1 (diffusion models)"),
    "tau": ((1.0, float("inf"), False, False), "training time tau >= 1 (--model diffusion)"),
    "C1": ((0.0, float("inf"), True, False), "generalisation constant C1 > 0 (default 1)"),
    "C2": ((0.0, float("inf"), True, False), "1/M approximation constant C2 > 0 (default 1)"),
    "approx": ((0.0, float("inf"), False, False), "approximation error >= 0 (default 0)"),
    "prior": ((0.0, float("inf"), False, False), "prior mismatch KL >= 0 (default 0)"),
}
_MODEL_CONSTANTS = {
    "power-law": ("C", "alpha"),
    "diffusion": ("M", "tau", "C1", "C2", "approx", "prior"),
    "diffusion-early": ("M", "C1", "C2", "approx", "prior"),
    "expression": (),
}
# values that build a scenario or model whose formula is printed in symbols only
_SYMBOLIC_STAND_INS = {"N": 1, "lam": 0.5, "n": 1, "m": 1, "M": 1, "tau": 1.0}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bounds`` console script and ``python -m bounds``."""
    args = _parser().parse_args(argv)
    try:
        for option in ("output", "plot"):
            _check_path(args, option)
        return args.run(args)
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, TypeError, OSError) as error:
        return report_error(f"bounds {args.command}", error)


def _check_path(args: argparse.Namespace, option: str) -> None:
    path = getattr(args, option, None)
    if path is None:
        return
    check_writable(path, f"--{option}")
    if option == "plot" and Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise UsageError(f"--plot {path!r} must end in {', '.join(PLOT_SUFFIXES)}")


# --------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="bounds",
        description="TV bounds for self-consuming generative models.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bounds {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, epilog: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, epilog=epilog, formatter_class=HelpFormatter)

    curve = command("curve", "a bound along one parameter, as CSV or JSON", CURVE_EXAMPLE)
    _scenario_arguments(curve)
    curve.add_argument("--generation", "-i", dest="i", type=int, help="generation i (unless swept)")
    curve.add_argument("--over", required=True, choices=SWEEPABLE, help="the parameter to sweep")
    curve.add_argument(
        "--values",
        required=True,
        help="START:STOP:COUNT (evenly spaced; i takes START:STOP, every whole number) or a,b,c",
    )
    curve.add_argument("--log", action="store_true", help="space START:STOP:COUNT geometrically")
    _output_arguments(curve, ("csv", "json"))
    curve.add_argument("--plot", metavar="PNG", help="also draw the curve to this PNG file")
    curve.set_defaults(run=_run_curve)

    threshold = command(
        "threshold", "phase-transition thresholds m*_i of the augment scenario", THRESHOLD_EXAMPLE
    )
    threshold.add_argument(
        "--generations", required=True, help="i values: A:B (inclusive), A:B:STEP or a,b,c"
    )
    threshold.add_argument(
        "--n", type=number_option("--n", 0, low_open=True), default=1000.0, help="real size n"
    )
    threshold.add_argument(
        "--alpha", type=_constant_type("alpha"), default=0.2, help="power-law exponent in (0, 1)"
    )
    threshold.add_argument("--C", type=_constant_type("C"), default=1.0, help="power-law C > 0")
    threshold.add_argument(
        "--digits",
        type=int,
        help=f"solve in mpmath to this many digits, 1..{MAX_DIGITS} (default: float64)",
    )
    _output_arguments(threshold, ("table", "csv", "json"))
    threshold.add_argument("--plot", metavar="PNG", help="draw B_i(m) with the thresholds")
    threshold.set_defaults(run=_run_threshold)

    stopping = command(
        "stopping",
        "optimal early-stopping time tau* of the random-feature diffusion model",
        STOPPING_EXAMPLE,
    )
    size = number_option("--N/--M", 1.0)
    stopping.add_argument("--N", type=size, nargs="+", required=True, help="training sizes >= 1")
    stopping.add_argument("--M", type=size, nargs="+", required=True, help="hidden widths >= 1")
    for name, default in (("C1", 1.0), ("C2", 1.0), ("approx", 0.0), ("prior", 0.0)):
        text = _CONSTANTS[name][1].replace(f" (default {default:g})", "")
        stopping.add_argument(f"--{name}", type=_constant_type(name), default=default, help=text)
    _output_arguments(stopping, ("table", "csv", "json"))
    stopping.set_defaults(run=_run_stopping)

    formula = command(
        "formula",
        "print a bound as a formula (numbers needed only with --substitute)",
        FORMULA_EXAMPLE,
    )
    _scenario_arguments(formula)
    formula.add_argument("--latex", action="store_true", help="LaTeX instead of plain text")
    formula.add_argument(
        "--substitute", action="store_true", help="replace every parameter but i by its value"
    )
    formula.set_defaults(run=_run_formula)
    return parser


def _constant_type(name: str):
    (low, high, low_open, high_open), _ = _CONSTANTS[name]
    return number_option(f"--{name}", low, high, low_open=low_open, high_open=high_open)


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", choices=tuple(SCENARIO_PARAMETERS), help="mixing scenario")
    real = number_option("--N/--n/--m")
    parser.add_argument("--N", type=real, help="training size (replace, proportion)")
    parser.add_argument(
        "--lam", type=number_option("--lam", 0, 1), help="real share lambda in [0, 1] (proportion)"
    )
    parser.add_argument("--n", type=real, help="real-data size (augment, accumulate)")
    parser.add_argument("--m", type=real, help="synthetic size (augment, accumulate)")
    parser.add_argument("--model", choices=MODELS, default="power-law", help="error model eps(N)")
    parser.add_argument("--expression", help="eps(N) for --model expression, e.g. 'N**-0.3'")
    parser.add_argument(
        "--N-min",
        dest="N_min",
        type=number_option("--N-min", 0, low_open=True),
        help="smallest N where --expression holds (default 1)",
    )
    for name, (_, text) in _CONSTANTS.items():
        parser.add_argument(f"--{name}", type=_constant_type(name), help=text)


def _output_arguments(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")


# --------------------------------------------------------------------------- text to objects


def _given(args: argparse.Namespace) -> dict[str, float | None]:
    return {key: getattr(args, key) for key in ("N", "lam", "n", "m")}


def _error_model(args: argparse.Namespace, symbolic: bool = False):
    """The error model the options name; with ``symbolic``, missing M and tau stand in as 1
    (the formula is then printed in symbols, so the stand-ins never show)."""
    from bounds import errors

    given = {k: getattr(args, k) for k in _CONSTANTS if getattr(args, k) is not None}
    extra = sorted(set(given) - set(_MODEL_CONSTANTS[args.model]))
    if extra:
        raise UsageError(f"--{extra[0]} is not a constant of --model {args.model}")
    if args.model == "expression":
        if not args.expression:
            raise UsageError("--expression is required with --model expression")
        N_min = args.N_min if args.N_min is not None else 1.0
        return errors.from_expression(args.expression, N_min=N_min)
    if args.expression or args.N_min is not None:
        raise UsageError("--expression and --N-min need --model expression")
    if args.model == "power-law":
        return errors.power_law(**given)
    required = ("M", "tau") if args.model == "diffusion" else ("M",)
    for key in required:
        if key not in given:
            if not symbolic:
                raise UsageError(f"--{key} is required with --model {args.model}")
            given[key] = _SYMBOLIC_STAND_INS[key]
    given["M"] = int(given["M"]) if float(given["M"]).is_integer() else given["M"]
    if args.model == "diffusion":
        return errors.diffusion_random_features(**given)
    return errors.diffusion_early_stopped(**given)


def _swept_scenario(args: argparse.Namespace, values):
    """The scenario with its swept parameter at a valid value (the sweep overrides it)."""
    from bounds import scenarios

    options = scenario_options(args.scenario, _given(args), swept=args.over)
    if args.over in SCENARIO_PARAMETERS[args.scenario]:
        at_least_one = values[values >= 1]
        stand_in = 0.5 if args.over == "lam" else round(at_least_one[0]) if at_least_one.size else 1
        options[args.over] = stand_in
    return scenarios.SCENARIOS[args.scenario](**options)


def _described(scenario, swept: str) -> str:
    """'augment(n=1000, m=swept)': the scenario with the swept parameter named as such."""
    shown = [f"{k}={'swept' if k == swept else v}" for k, v in scenario.parameters().items()]
    return f"{scenario.name}({', '.join(shown)})"


def _write_text(text: str, path: str | None) -> None:
    """Print ``text``, or write it to ``path`` atomically."""
    if path is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(path, text)


def _scenario(args: argparse.Namespace):
    given = {k: getattr(args, k, None) for k in ("N", "lam", "n", "m")}
    return build_scenario(args.scenario, given)


# --------------------------------------------------------------------------- subcommands


def _run_curve(args: argparse.Namespace) -> int:
    import numpy as np

    from bounds import propagation

    if args.over == "i":
        if args.log:
            raise UsageError("--log does not apply when sweeping --over i")
        if args.i is not None:
            raise UsageError("--generation is swept by --over i; leave it out")
        values = np.array(whole_list(args.values, "--values"), dtype=float)
        if values.min() < 1:
            raise UsageError(f"--values must be generations >= 1, got {int(values.min())}")
    else:
        if args.i is None:
            raise UsageError("--generation is required unless sweeping --over i")
        if args.over not in SCENARIO_PARAMETERS[args.scenario]:
            raise UsageError(f"--over {args.over} is not a parameter of scenario {args.scenario}")
        values = real_list(args.values, "--values", args.log)
    bound = propagation.bound(_swept_scenario(args, values), _error_model(args))
    params = {args.over: values} if args.over == "i" else {args.over: values, "i": args.i}
    result = bound.evaluate(**params)
    vacuous = np.asarray(bound.vacuous(result), dtype=bool)
    scenario_text = _described(bound.scenario, args.over)
    fixed = {k: v for k, v in bound.defaults.items() if k != args.over}
    metadata = {
        "formula": str(bound),
        "scenario": scenario_text,
        "error model": str(bound.error),
        "parameters": {**fixed, **({"i": args.i} if args.over != "i" else {})},
        "swept": args.over,
        "vacuous": VACUOUS,
        "provenance": str(bound.provenance),
        "version": VERSION,
    }
    rows = [
        [int(v) if args.over == "i" else float(v), float(b), bool(f)]
        for v, b, f in zip(values, result, vacuous, strict=True)
    ]
    render = csv_text if args.format == "csv" else json_text
    _write_text(render(metadata, [args.over, "bound", "vacuous"], rows), args.output)
    if args.plot:
        from bounds import plotting

        generation = (
            f"generation i = {args.i}"
            if args.over != "i"
            else f"generations i = {int(values[0])}..{int(values[-1])}"
        )
        title = f"{scenario_text}, {bound.error.name}, {generation}"
        figure = plotting.curve_figure(values, result, args.over, title, log=args.log)
        plotting.save_figure(figure, args.plot)
    return 0


def _run_threshold(args: argparse.Namespace) -> int:
    from bounds import phase

    generations = whole_list(args.generations, "--generations")
    if min(generations) < 1:
        raise UsageError(f"--generations must be >= 1, got {min(generations)}")
    if args.digits is not None:
        if not 1 <= args.digits <= MAX_DIGITS:
            raise UsageError(f"--digits must be in [1, {MAX_DIGITS}], got {args.digits}")
        if len(generations) > MAX_DIGIT_GENERATIONS:
            raise UsageError(
                f"--generations gives {len(generations)} values; with --digits at most "
                f"{MAX_DIGIT_GENERATIONS} are solved in one call"
            )
    solvable = [i for i in generations if i >= 2]
    found = _thresholds(args, solvable) if solvable else {}
    none = ["none", "none", "none", "none", False, False]
    rows = [[i, *found.get(i, none)] for i in generations]
    asymptote = phase.asymptotic_slope(args.alpha)
    constant = phase.asymptotic_peak_constant(args.alpha)
    notes = [
        "i = 1: no transition (B_1 = eps(n) does not depend on m)" if 1 in generations else "",
        f"large i: m*_i/(i n) -> {asymptote:.10g}; B(m*)/B(0) ~ {constant:.10g} i^(1-alpha)",
        "vacuous: the peak bound exceeds 1 (TV is at most 1)" if any(r[6] for r in rows) else "",
    ]
    metadata = {
        "scenario": "augment",
        "error model": f"eps(N) = {args.C:g} N^-{args.alpha:g}",
        "n": args.n,
        "alpha": args.alpha,
        "C": args.C,
        "digits": args.digits if args.digits is not None else "float64",
        "bound": "B_i(m) = eps(n+m)(1 - r^(i-1))/(1 - r) + r^(i-1) eps(n), r = m/(n+m)",
        "asymptotic slope m*/(i n)": asymptote,
        "asymptotic peak constant": constant,
        "vacuous": VACUOUS,
        "version": VERSION,
    }
    if args.format == "table":
        columns = ["i", "m*", "m*/n", "peak B", "B(m*)/B(0)", "certified", "vacuous"]
        text = table(columns, rows, [note for note in notes if note])
    else:
        columns = ["i", "m", "m_over_n", "peak", "ratio", "certified", "vacuous"]
        text = (csv_text if args.format == "csv" else json_text)(metadata, columns, rows)
    _write_text(text, args.output)
    if args.plot:
        from bounds import plotting

        shown = solvable[:: max(1, len(solvable) // 4)][:5]
        if not shown:
            raise UsageError("--plot needs at least one generation >= 2")
        figure = plotting.threshold_figure(shown, args.alpha, args.C, args.n)
        plotting.save_figure(figure, args.plot)
    return 0


def _thresholds(args: argparse.Namespace, generations: list[int]) -> dict[int, list]:
    """i -> [m*, m*/n, peak, ratio, certified, vacuous]: floats, or text with ``--digits``
    digits, each computed at that precision (m*/n divided in mpmath, not in floats)."""
    from bounds import phase

    if args.digits is None:
        found = phase.power_law_thresholds(generations, args.alpha, args.n, args.C)
        columns = zip(found.i, found.m, found.peak, found.ratio, found.certified, strict=True)
        return {
            int(i): [float(m), float(m) / args.n, float(p), float(r), bool(c), bool(p > 1)]
            for i, m, p, r, c in columns
        }
    import mpmath as mp

    from bounds import errors

    model = errors.power_law(C=args.C, alpha=args.alpha)
    rows = {}
    for i in generations:
        t = phase.threshold(i, args.n, model, digits=args.digits)
        if t.exists:
            with mp.workdps(args.digits + 10):
                values = (t.m, mp.mpf(t.m) / mp.mpf(t.n), t.peak, t.ratio)
                text = [mp.nstr(mp.mpf(v), args.digits) for v in values]
                rows[i] = [*text, t.certified, bool(mp.mpf(t.peak) > 1)]
    return rows


def _run_stopping(args: argparse.Namespace) -> int:
    import numpy as np

    from bounds import stopping

    N, M = np.meshgrid(np.asarray(args.N), np.asarray(args.M), indexing="ij")
    result = stopping.early_stopped_error(
        N.ravel(), M.ravel(), C1=args.C1, C2=args.C2, approx=args.approx, prior=args.prior
    )
    asymptotic = np.atleast_1d(stopping.tau_star_asymptotic(N.ravel(), M.ravel()))
    parts = (result.N, result.M, result.tau_exact, asymptotic, result.tau, result.clipped)
    rows = [
        [float(a), float(b), float(t), float(s), float(u), bool(c), float(e), bool(e > 1)]
        for a, b, t, s, u, c, e in zip(*parts, result.epsilon, strict=True)
    ]
    vacuous = "vacuous: eps exceeds 1, a TV bound that says nothing"
    metadata = {
        "stationarity": "4 M tau^5 + 3 N tau^4 = M^2 N",
        "epsilon": "sqrt((C1 (tau^4/(M N) + tau^3/M^2 + 1/tau) + C2/M + approx + prior)/2)",
        "constants": result.constants,
        "note": result.note,
        "vacuous": VACUOUS,
        "version": VERSION,
    }
    if args.format == "table":
        columns = ["N", "M", "tau*", "(MN/4)^(1/5)", "tau used", "clipped", "eps", "vacuous"]
        notes = [result.note, *([vacuous] if any(r[7] for r in rows) else [])]
        text = table(columns, rows, notes)
    else:
        columns = ["N", "M", "tau_star", "tau_asymptotic", "tau", "clipped", "eps", "vacuous"]
        text = (csv_text if args.format == "csv" else json_text)(metadata, columns, rows)
    _write_text(text, args.output)
    return 0


def _run_formula(args: argparse.Namespace) -> int:
    import sympy as sp

    from bounds import propagation

    given = _given(args)
    missing = [k for k in SCENARIO_PARAMETERS[args.scenario] if given[k] is None]
    if missing and args.substitute:
        raise UsageError(f"--substitute needs --{missing[0]} for scenario {args.scenario}")
    stand_ins = {k: _SYMBOLIC_STAND_INS[k] for k in missing}
    scenario = build_scenario(args.scenario, {**given, **stand_ins})
    bound = propagation.bound(scenario, _error_model(args, symbolic=not args.substitute))
    if args.substitute:
        expr = bound.substituted()
        text = f"B_i = {sp.latex(expr)}" if args.latex else f"B_i = {expr}"
    else:
        text = bound.latex() if args.latex else str(bound)
    _write_text(text + "\n", None)
    return 0

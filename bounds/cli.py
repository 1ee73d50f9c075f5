"""The ``bounds`` command: curves of a bound, phase-transition thresholds, stopping times, formulas.

Heavy modules (sympy through ``bounds.propagation``, matplotlib) are imported only by the
subcommand that needs them. Bad arguments give a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bounds.io import write_text_atomic

SCENARIO_PARAMETERS = {
    "replace": ("N",),
    "proportion": ("N", "lam"),
    "augment": ("n", "m"),
    "accumulate": ("n", "m"),
}
MODELS = ("power-law", "diffusion", "diffusion-early", "expression")
SWEEPABLE = ("i", "N", "lam", "n", "m")

CURVE_EXAMPLE = """example:
  bounds curve augment --n 1000 --generation 5 --over m --values 0:1e5:201 --plot curve.png
  bounds curve proportion --N 5000 --over lam --values 0.05:1:20 --generation 10 --format json"""
THRESHOLD_EXAMPLE = """example:
  bounds threshold --generations 2:50 --n 1000 --alpha 0.2
  bounds threshold --generations 2,10,100,10000 --digits 30 --format json -o thresholds.json"""
STOPPING_EXAMPLE = """example:
  bounds stopping --N 1000 10000 100000 --M 1000 --format csv"""
FORMULA_EXAMPLE = """example:
  bounds formula augment --n 1000 --m 5000 --latex
  bounds formula accumulate --n 100 --m 100 --model diffusion-early --M 1000"""


class UsageError(ValueError):
    """A command-line argument that parsed but makes no sense; reported in one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bounds`` console script and ``python -m bounds``."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"bounds {args.command}: error: {message}", file=sys.stderr)
        return 2


# --------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bounds", description="TV bounds for self-consuming generative models."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    curve = commands.add_parser(
        "curve",
        help="a bound along one parameter, as CSV or JSON (and a PNG plot)",
        epilog=CURVE_EXAMPLE,
        formatter_class=formatter,
    )
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

    threshold = commands.add_parser(
        "threshold",
        help="phase-transition thresholds m*_i of the augment scenario",
        epilog=THRESHOLD_EXAMPLE,
        formatter_class=formatter,
    )
    threshold.add_argument(
        "--generations", required=True, help="i values: A:B (inclusive), A:B:STEP or a,b,c"
    )
    threshold.add_argument("--n", type=float, default=1000.0, help="real-data size n")
    threshold.add_argument("--alpha", type=float, default=0.2, help="power-law exponent")
    threshold.add_argument("--C", type=float, default=1.0, help="power-law constant")
    threshold.add_argument(
        "--digits", type=int, help="solve in mpmath to this many digits (default: floats)"
    )
    _output_arguments(threshold, ("table", "csv", "json"))
    threshold.add_argument("--plot", metavar="PNG", help="draw B_i(m) with the thresholds")
    threshold.set_defaults(run=_run_threshold)

    stopping = commands.add_parser(
        "stopping",
        help="optimal early-stopping time tau* of the random-feature diffusion model",
        epilog=STOPPING_EXAMPLE,
        formatter_class=formatter,
    )
    stopping.add_argument("--N", type=float, nargs="+", required=True, help="training sizes")
    stopping.add_argument("--M", type=float, nargs="+", required=True, help="hidden widths")
    for name, default in (("C1", 1.0), ("C2", 1.0), ("approx", 0.0), ("prior", 0.0)):
        stopping.add_argument(f"--{name}", type=float, default=default, help=f"constant {name}")
    _output_arguments(stopping, ("table", "csv", "json"))
    stopping.set_defaults(run=_run_stopping)

    formula = commands.add_parser(
        "formula",
        help="print a bound as a formula",
        epilog=FORMULA_EXAMPLE,
        formatter_class=formatter,
    )
    _scenario_arguments(formula)
    formula.add_argument("--latex", action="store_true", help="LaTeX instead of plain text")
    formula.add_argument(
        "--substitute", action="store_true", help="replace every parameter but i by its value"
    )
    formula.set_defaults(run=_run_formula)
    return parser


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", choices=tuple(SCENARIO_PARAMETERS), help="mixing scenario")
    parser.add_argument("--N", type=float, help="training size (replace, proportion)")
    parser.add_argument("--lam", type=float, help="real share lambda (proportion)")
    parser.add_argument("--n", type=float, help="real-data size (augment, accumulate)")
    parser.add_argument("--m", type=float, help="synthetic size (augment, accumulate)")
    parser.add_argument("--model", choices=MODELS, default="power-law", help="error model eps(N)")
    parser.add_argument("--expression", help="eps(N) for --model expression, e.g. 'N**-0.3'")
    for name in ("C", "alpha", "M", "tau", "C1", "C2", "approx", "prior"):
        parser.add_argument(f"--{name}", type=float, help=f"error-model constant {name}")


def _output_arguments(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")


# --------------------------------------------------------------------------- helpers


def _whole_list(text: str, name: str) -> list[int]:
    """'2:50' -> 2..50, '2:50:4' -> 2, 6, ..., '2,5,9' -> [2, 5, 9]."""
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            start, stop, step = (*parts, 1) if len(parts) == 2 else parts
            values = list(range(start, stop + 1, step))
        else:
            values = [int(p) for p in text.split(",")]
    except ValueError:
        message = f"{name} must be A:B, A:B:STEP or a,b,c of whole numbers, got {text!r}"
        raise UsageError(message) from None
    if not values:
        raise UsageError(f"{name} gives no values: {text!r}")
    return values


def _real_list(text: str, name: str, log: bool):
    import numpy as np

    try:
        if ":" in text:
            start, stop, count = text.split(":")
            start, stop, count = float(start), float(stop), int(count)
            if count < 1:
                raise ValueError
            if log:
                if start <= 0 or stop <= 0:
                    raise UsageError(f"{name} must be > 0 at both ends with --log, got {text!r}")
                return np.geomspace(start, stop, count)
            return np.linspace(start, stop, count)
        return np.array([float(p) for p in text.split(",")])
    except UsageError:
        raise
    except ValueError:
        message = f"{name} must be START:STOP:COUNT or a,b,c of numbers, got {text!r}"
        raise UsageError(message) from None


def _error_model(args: argparse.Namespace):
    from bounds import errors

    given = {
        k: getattr(args, k)
        for k in ("C", "alpha", "M", "tau", "C1", "C2", "approx", "prior")
        if getattr(args, k) is not None
    }
    allowed = {
        "power-law": ("C", "alpha"),
        "diffusion": ("M", "tau", "C1", "C2", "approx", "prior"),
        "diffusion-early": ("M", "C1", "C2", "approx", "prior"),
        "expression": (),
    }[args.model]
    extra = sorted(set(given) - set(allowed))
    if extra:
        raise UsageError(f"--{extra[0]} is not a constant of --model {args.model}")
    if args.model == "expression":
        if not args.expression:
            raise UsageError("--expression is required with --model expression")
        return errors.from_expression(args.expression)
    if args.expression:
        raise UsageError("--expression needs --model expression")
    if args.model == "power-law":
        return errors.power_law(**given)
    if "M" not in given:
        raise UsageError(f"--M (hidden width) is required with --model {args.model}")
    given["M"] = _whole("M", given["M"])
    if args.model == "diffusion":
        if "tau" not in given:
            raise UsageError("--tau (training time >= 1) is required with --model diffusion")
        return errors.diffusion_random_features(**given)
    return errors.diffusion_early_stopped(**given)


def _whole(name: str, value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _scenario(args: argparse.Namespace, swept: str | None = None, first=None):
    from bounds import scenarios

    values = {}
    for name in SCENARIO_PARAMETERS[args.scenario]:
        value = getattr(args, name)
        if name == swept:
            value = value if value is not None else first
        if value is None:
            raise UsageError(f"--{name} is required for scenario {args.scenario}")
        values[name] = value if name == "lam" else _whole(name, value)
    others = [k for k in ("N", "lam", "n", "m") if k not in values and getattr(args, k) is not None]
    if others:
        raise UsageError(f"--{others[0]} is not a parameter of scenario {args.scenario}")
    return scenarios.SCENARIOS[args.scenario](**values)


def _write_text(text: str, path: str | None) -> None:
    """Print ``text``, or write it to ``path`` atomically."""
    if path is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(path, text)


def _csv(metadata: dict, columns: list[str], rows: list[list]) -> str:
    lines = [f"# {key}: {' '.join(str(value).split())}" for key, value in metadata.items()]
    lines.append(",".join(columns))
    lines += [",".join(_cell(v, exact=True) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _json(metadata: dict, columns: list[str], rows: list[list]) -> str:
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return json.dumps({"metadata": metadata, "rows": records}, indent=2, default=str) + "\n"


def _table(columns: list[str], rows: list[list], notes: Sequence[str] = ()) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[k]) for r in cells]) for k, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines + list(notes)) + "\n"


def _cell(value, exact: bool = False) -> str:
    """A table cell: floats to 10 digits, or round-tripping (repr) in files meant to be parsed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if exact else f"{value:.10g}"
    return str(value)


def _version() -> str:
    from bounds import __version__

    return __version__


# --------------------------------------------------------------------------- subcommands


def _run_curve(args: argparse.Namespace) -> int:
    import numpy as np

    from bounds import propagation

    if args.over == "i":
        values = np.array(_whole_list(args.values, "--values"), dtype=float)
        if args.log:
            raise UsageError("--log does not apply when sweeping --over i")
    else:
        values = _real_list(args.values, "--values", args.log)
    if args.over != "i" and args.i is None:
        raise UsageError("--generation is required unless sweeping --over i")
    if args.over != "i" and args.over not in SCENARIO_PARAMETERS[args.scenario]:
        raise UsageError(f"--over {args.over} is not a parameter of scenario {args.scenario}")
    first = _placeholder(args.over, values)
    bound = propagation.bound(_scenario(args, args.over, first), _error_model(args))
    params = {args.over: values} if args.over == "i" else {args.over: values, "i": args.i}
    result = bound.evaluate(**params)
    vacuous = np.asarray(bound.vacuous(result), dtype=bool)
    metadata = {
        "formula": str(bound),
        "scenario": str(bound.scenario),
        "error model": str(bound.error),
        "parameters": {
            **{k: v for k, v in bound.defaults.items() if k != args.over},
            **({"i": args.i} if args.over != "i" else {}),
        },
        "swept": args.over,
        "vacuous": "TV bounds above 1 are reported as they are and flagged, never clipped",
        "provenance": str(bound.provenance),
        "version": _version(),
    }
    column = args.over if args.over != "lam" else "lam"
    columns = [column, "bound", "vacuous"]
    rows = [
        [int(v) if args.over == "i" else float(v), float(b), bool(f)]
        for v, b, f in zip(values, result, vacuous, strict=True)
    ]
    render = _csv if args.format == "csv" else _json
    _write_text(render(metadata, columns, rows), args.output)
    if args.plot:
        from bounds import plotting

        title = f"{bound.scenario}, {bound.error.name}"
        figure = plotting.curve_figure(values, result, args.over, title, log=args.log)
        plotting.save_figure(figure, args.plot)
    return 0


def _placeholder(name: str, values) -> float:
    """A valid value of the swept parameter, to build the scenario the sweep then overrides."""
    if name == "lam":
        return 0.5
    positive = values[values >= 1]
    return float(round(positive[0])) if positive.size else 1.0


def _run_threshold(args: argparse.Namespace) -> int:
    from bounds import phase

    generations = _whole_list(args.generations, "--generations")
    if min(generations) < 1:
        raise UsageError(f"--generations must be >= 1, got {min(generations)}")
    columns = ["i", "m*", "m*/n", "peak B", "B(m*)/B(0)", "certified"]
    rows: list[list] = []
    solvable = [i for i in generations if i >= 2]
    if args.digits is None and solvable:
        table = phase.power_law_thresholds(solvable, args.alpha, args.n, args.C)
        found = {
            int(i): [float(m), float(m) / args.n, float(p), float(r), bool(c)]
            for i, m, p, r, c in zip(
                table.i, table.m, table.peak, table.ratio, table.certified, strict=True
            )
        }
    else:
        found = {}
        if solvable:
            from bounds import errors

            model = errors.power_law(C=args.C, alpha=args.alpha)
            for i in solvable:
                t = phase.threshold(i, args.n, model, digits=args.digits)
                if t.exists:
                    found[i] = [
                        str(_rounded(v, args.digits)) for v in (t.m, t.m / t.n, t.peak, t.ratio)
                    ]
                    found[i].append(t.certified)
    for i in generations:
        rows.append([i, *found.get(i, ["none", "none", "none", "none", False])])
    asymptote = phase.asymptotic_slope(args.alpha)
    constant = phase.asymptotic_peak_constant(args.alpha)
    notes = [
        "i = 1: no transition (B_1 = eps(n) does not depend on m)" if 1 in generations else "",
        f"large i: m*_i/(i n) -> {asymptote:.10g}; B(m*)/B(0) ~ {constant:.10g} i^(1-alpha)",
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
        "version": _version(),
    }
    if args.format == "table":
        text = _table(columns, rows, [note for note in notes if note])
    elif args.format == "csv":
        text = _csv(metadata, ["i", "m", "m_over_n", "peak", "ratio", "certified"], rows)
    else:
        text = _json(metadata, ["i", "m", "m_over_n", "peak", "ratio", "certified"], rows)
    _write_text(text, args.output)
    if args.plot:
        from bounds import plotting

        shown = solvable[:: max(1, len(solvable) // 4)][:5]
        if not shown:
            raise UsageError("--plot needs at least one generation >= 2")
        figure = plotting.threshold_figure(shown, args.alpha, args.C, args.n)
        plotting.save_figure(figure, args.plot)
    return 0


def _rounded(value, digits: int):
    import mpmath as mp

    return mp.nstr(value, digits)


def _run_stopping(args: argparse.Namespace) -> int:
    import numpy as np

    from bounds import stopping

    N, M = np.meshgrid(np.asarray(args.N), np.asarray(args.M), indexing="ij")
    result = stopping.early_stopped_error(
        N.ravel(), M.ravel(), C1=args.C1, C2=args.C2, approx=args.approx, prior=args.prior
    )
    asymptotic = stopping.tau_star_asymptotic(N.ravel(), M.ravel())
    columns = ["N", "M", "tau*", "(MN/4)^(1/5)", "tau used", "clipped", "eps"]
    rows = [
        [float(a), float(b), float(t), float(s), float(u), bool(c), float(e)]
        for a, b, t, s, u, c, e in zip(
            result.N,
            result.M,
            result.tau_exact,
            asymptotic,
            result.tau,
            result.clipped,
            result.epsilon,
            strict=True,
        )
    ]
    metadata = {
        "stationarity": "4 M tau^5 + 3 N tau^4 = M^2 N",
        "epsilon": "sqrt((C1 (tau^4/(M N) + tau^3/M^2 + 1/tau) + C2/M + approx + prior)/2)",
        "constants": result.constants,
        "note": result.note,
        "version": _version(),
    }
    if args.format == "table":
        text = _table(columns, rows, [result.note])
    elif args.format == "csv":
        text = _csv(
            metadata, ["N", "M", "tau_star", "tau_asymptotic", "tau", "clipped", "eps"], rows
        )
    else:
        text = _json(
            metadata, ["N", "M", "tau_star", "tau_asymptotic", "tau", "clipped", "eps"], rows
        )
    _write_text(text, args.output)
    return 0


def _run_formula(args: argparse.Namespace) -> int:
    import sympy as sp

    from bounds import propagation

    bound = propagation.bound(_scenario(args), _error_model(args))
    if args.substitute:
        expr = bound.substituted()
        text = f"B_i = {sp.latex(expr)}" if args.latex else f"B_i = {expr}"
    else:
        text = bound.latex() if args.latex else str(bound)
    _write_text(text + "\n", None)
    return 0

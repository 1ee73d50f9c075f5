"""What the ``bounds`` and ``empirical`` command lines share: text into values, results into text.

- ``UsageError``: an argument that parsed but makes no sense (one line on stderr, exit 2);
- ``OneLineParser`` / ``HelpFormatter``: argparse with one-line errors and defaults in ``--help``;
- ``number_option``: an argparse ``type`` for finite numbers in a stated range;
- ``whole_list`` / ``real_list``: ranges such as ``0:9``, ``1:1e5:201`` or lists ``a,b,c``, never
  longer than ``MAX_VALUES``;
- ``scenario_options`` / ``build_scenario``: a scenario from its name and the options given;
- ``table`` / ``csv_text`` / ``json_text`` / ``cell``: aligned tables and files with metadata.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from bounds import validate

MAX_VALUES = 1_000_000  # longest range a command line expands (a million rows of output)

SCENARIO_PARAMETERS = {
    "replace": ("N",),
    "proportion": ("N", "lam"),
    "augment": ("n", "m"),
    "accumulate": ("n", "m"),
}


class UsageError(ValueError):
    """A command-line argument that parsed but makes no sense; reported in one line, exit 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line (``PROG: error: MESSAGE``, no usage block), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; every option with a default says it, as ``(default: X)``."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default" in text
            or default is None
            or default is False
            or default == argparse.SUPPRESS
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


def number_option(
    option: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], float]:
    """An argparse ``type``: the text as a finite float in the range, else a one-line error."""

    def parse(text: str) -> float:
        try:
            return validate.parse_real(
                option, text, low, high, low_open=low_open, high_open=high_open
            )
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix(f"{option} ")) from None

    parse.__name__ = "number"
    return parse


def _count_limit(name: str, count: int, text: str) -> None:
    if count > MAX_VALUES:
        raise UsageError(f"{name} {text!r} gives {count} values; at most {MAX_VALUES} are allowed")


def whole_list(text: str, name: str) -> list[int]:
    """'2:50' -> 2..50 (inclusive), '2:50:4' -> 2, 6, ..., '2,5,9' -> [2, 5, 9].

    Whole numbers may be written like 1e3; more than ``MAX_VALUES`` values are refused.
    """
    _text(text, name)
    try:
        if ":" in text:
            parts = [_whole_text(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            start, stop, step = (*parts, 1) if len(parts) == 2 else parts
            values = range(start, stop + 1, step)
            _count_limit(name, len(values), text)
            values = list(values)
        else:
            parts = text.split(",")
            _count_limit(name, len(parts), text)
            values = [_whole_text(p) for p in parts]
    except UsageError:
        raise
    except ValueError:
        message = f"{name} must be A:B, A:B:STEP or a,b,c of whole numbers, got {text!r}"
        raise UsageError(message) from None
    if not values:
        raise UsageError(f"{name} gives no values: {text!r}")
    return values


def _text(text: object, name: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be text such as '1:10' or '1,2,5', got {text!r}")


def _whole_text(text: str) -> int:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        value = float(text)  # '1e3'; ValueError for anything else
        if not (math.isfinite(value) and value.is_integer() and abs(value) < 2**53):
            raise ValueError(text) from None
        return int(value)


def real_list(text: str, name: str, log: bool = False):
    """'START:STOP:COUNT' evenly spaced (geometric with ``log``) or 'a,b,c', as a float array.

    Every number must be finite ('1e400' is refused, not rounded to inf); COUNT is at most
    ``MAX_VALUES``.
    """
    import numpy as np

    _text(text, name)
    usage = f"{name} must be START:STOP:COUNT or a,b,c of finite numbers, got {text!r}"
    try:
        if ":" in text:
            start, stop, count = text.split(":")
            start, stop = (validate.parse_real(name, p.strip()) for p in (start, stop))
            count = _whole_text(count)
            if count < 1:
                raise ValueError
        else:
            parts = text.split(",")
            _count_limit(name, len(parts), text)
            return np.array([validate.parse_real(name, p.strip()) for p in parts])
    except UsageError:
        raise
    except ValueError:
        raise UsageError(usage) from None
    _count_limit(name, count, text)
    if log:
        if start <= 0 or stop <= 0:
            raise UsageError(f"{name} must be > 0 at both ends with --log, got {text!r}")
        return np.geomspace(start, stop, count)
    return np.linspace(start, stop, count)


def scenario_options(
    name: str, given: Mapping[str, float | None], swept: str | None = None
) -> dict[str, float | int]:
    """The keyword arguments of scenario ``name`` from the options ``given`` (None: not given).

    Each of the scenario's parameters must be given, except ``swept`` (a curve's swept parameter,
    which must then be left out); other parameters are refused. Sizes written as integral floats
    become ints.
    """
    if not isinstance(name, str) or name not in SCENARIO_PARAMETERS:
        raise UsageError(f"scenario must be one of {', '.join(SCENARIO_PARAMETERS)}, got {name!r}")
    if not isinstance(given, Mapping):
        raise TypeError(f"given must map option names to numbers or None, got {given!r}")
    given = {
        key: None if value is None else validate.real(f"--{key}", value)
        for key, value in given.items()
    }
    values: dict[str, float | int] = {}
    for key in SCENARIO_PARAMETERS[name]:
        value = given.get(key)
        if key == swept:
            if value is not None:
                raise UsageError(f"--{key} is swept by --over {key}; leave --{key} out")
        elif value is None:
            raise UsageError(f"--{key} is required for scenario {name}")
        else:
            values[key] = value if key == "lam" or not value.is_integer() else int(value)
    others = [k for k, v in given.items() if v is not None and k not in SCENARIO_PARAMETERS[name]]
    if others:
        raise UsageError(f"--{others[0]} is not a parameter of scenario {name}")
    return values


def build_scenario(name: str, given: Mapping[str, float | None]):
    """The scenario ``name`` built from ``scenario_options(name, given)``."""
    from bounds import scenarios

    return scenarios.SCENARIOS[name](**scenario_options(name, given))


def table(columns: Sequence[str], rows: Sequence[Sequence], notes: Sequence[str] = ()) -> str:
    """Right-aligned columns, floats to 10 significant digits, then the notes, one per line."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[k]) for r in cells]) for k, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines + list(notes)) + "\n"


def csv_text(metadata: Mapping, columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """CSV with ``# key: value`` metadata lines first; floats round-trip (repr)."""
    lines = [f"# {key}: {' '.join(str(value).split())}" for key, value in metadata.items()]
    lines.append(",".join(columns))
    lines += [",".join(cell(v, exact=True) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def json_text(metadata: Mapping, columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """``{"metadata": ..., "rows": [{column: value}, ...]}``, indented."""
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return json.dumps({"metadata": metadata, "rows": records}, indent=2, default=str) + "\n"


def cell(value: object, exact: bool = False) -> str:
    """A table cell: floats to 10 digits, or round-tripping (repr) in files meant to be parsed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if exact else f"{value:.10g}"
    return str(value)


def report_error(prog: str, error: BaseException) -> int:
    """Print ``PROG: error: MESSAGE`` on one line to stderr; return exit code 2."""
    print(f"{prog}: error: {' '.join(str(error).split())}", file=sys.stderr)
    return 2

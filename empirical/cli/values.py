"""Text to values for the command line: literals, ``NAME:KEY=VALUE,...`` specs, ranges, shards.

Also the command's stated size limits (``MAX_*``), refused before anything runs. Nothing is
evaluated. A literal is read as, in this order: a bracketed list ``[a,b,...]`` (nested
lists allowed), ``true``/``false``, ``none``/``null``, ``inf``/``-inf``, a whole number, a decimal
number, and otherwise the text itself (``scott``, ``theorem1``, ``ode``): the constructor it
reaches says whether it is allowed. Commas inside brackets do not separate options.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "UsageError",
    "parse_named",
    "parse_value",
    "shard",
    "shorten",
    "split_top",
    "whole_range",
]

MAX_POINTS = 10**7  # training points of one generation (80 MB of floats per dimension)
MAX_GENERATIONS = 10_000
MAX_RUNS = 100_000
MAX_JOBS = 256

_INTEGER = re.compile(r"[+-]?\d+\Z")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_WORDS = {
    "true": True,
    "false": False,
    "none": None,
    "null": None,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}


class UsageError(ValueError):
    """A command-line argument that parsed but makes no sense: one line, exit code 2."""


def shorten(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters, for a one-line message."""
    return text if len(text) <= width else text[: width - 3] + "..."


def split_top(text: str, where: str) -> list[str]:
    """``text`` split at the commas outside brackets: 'a=[1,2],b=3' -> ['a=[1,2]', 'b=3']."""
    parts, depth, start = [], 0, 0
    for k, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise UsageError(f"{where}: unbalanced ']' in {text!r}")
        elif char == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    if depth:
        raise UsageError(f"{where}: unbalanced '[' in {text!r}")
    parts.append(text[start:])
    return parts


def parse_value(text: str, where: str) -> object:
    """The literal ``text`` as a Python value (see the module docstring); ``where`` names the
    option in messages."""
    text = text.strip()
    if text.startswith("[") or text.endswith("]"):
        if not (text.startswith("[") and text.endswith("]")):
            raise UsageError(f"{where}: a list is written [a,b,...], got {text!r}")
        inner = text[1:-1].strip()
        return [parse_value(item, where) for item in split_top(inner, where)] if inner else []
    if not text:
        raise UsageError(f"{where}: a value is missing")
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    if _INTEGER.match(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts
            raise UsageError(f"{where}: {text[:20]}... has too many digits") from None
    if _DECIMAL.match(text):
        return float(text)
    return text


def parse_named(text: str, option: str) -> tuple[str, dict[str, object]]:
    """'augment:n=500,m=1000' -> ('augment', {'n': 500, 'm': 1000})."""
    name, _, rest = text.partition(":")
    where = f"{option} {shorten(text, 60)!r}"
    options: dict[str, object] = {}
    for item in split_top(rest, where) if rest.strip() else ():
        key, equals, value = (part.strip() for part in item.partition("="))
        if not (key and equals and value):
            raise UsageError(f"{where}: expected NAME:KEY=VALUE,..., got {item!r}")
        if key in options:
            raise UsageError(f"{where} gives {key} twice")
        options[key] = parse_value(value, f"{where}: {key}")
    return name.strip(), options


def whole_range(text: str, option: str, limit: int) -> list[int]:
    """'2:50' -> 2..50 (inclusive), '2:50:4' -> 2, 6, ..., '2,5,9' -> [2, 5, 9]; at most
    ``limit`` values, counted before any list is built."""
    message = f"{option} must be A:B, A:B:STEP or a,b,c of whole numbers, got {text!r}"
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            start, stop, step = (*parts, 1) if len(parts) == 2 else parts
            values: range | list[int] = range(start, stop + 1, step)
        else:
            values = [int(p) for p in text.split(",")]
    except ValueError:
        raise UsageError(message) from None
    if not len(values):
        raise UsageError(f"{option} gives no values: {text!r}")
    if len(values) > limit:
        raise UsageError(f"{option} gives {len(values)} values; the limit is {limit}")
    return list(values)


def shard(text: str) -> tuple[int, int]:
    """'3/8' -> (3, 8): the runs 3, 11, 19, ... of a grid split into 8 parts."""
    index, slash, count = text.partition("/")
    try:
        k, s = int(index), int(count)
    except ValueError:
        k, s = -1, 0
    if not slash or s < 1 or not 0 <= k < s:
        raise UsageError(f"--shard must be K/S with S >= 1 and 0 <= K < S, got {text!r}")
    return k, s

"""The machinery of the fuzzing suites: ``test_fuzz.py`` (bounds), ``test_fuzz_empirical.py``.

A suite lists each public entry point as an :class:`Entry`: one valid call and the parameters to
feed bad values. For each (entry, parameter), every value of ``BAD`` and values drawn from
``DRAWN`` replace the parameter in the valid call; :func:`check` then asks for a ValueError or
TypeError whose message names the parameter, or a result whose numbers are all finite and real.
Any other exception, a NaN, an infinity, a complex number or a call over its time limit fails.
:func:`public_entry_points` lists the names a suite must cover, so a new entry point without an
entry (or a reason in the suite's ``NOT_FUZZED``) fails the suite. :func:`suite_tests` gives a
suite its four tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import io
import math
import os
import pkgutil
import signal
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bounds import validate

TIMEOUT = 5.0  # seconds per call: a hang fails the test (Entry.timeout for symbolic work)

BAD: tuple = (
    math.nan,
    math.inf,
    -math.inf,
    -1,
    0,
    -1e-300,
    5e-324,
    1e300,
    10**400,
    -(10**400),
    2**63,
    True,
    None,
    "1",
    "nan",
    "-100",
    "abc",
    "",
    1 + 2j,
    [],
    [1.0, math.nan],
    [[1.0], [1.0, 2.0]],
    {},
    np.array([]),
    np.array(math.nan),
    np.float64(-1.0),
    np.complex128(1j),
    object(),
)
DRAWN = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.text(max_size=12),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.complex_numbers(),
    st.booleans(),
    st.none(),
)


@dataclass(frozen=True)
class Entry:
    """One entry point: ``call(**valid)`` succeeds; each name in ``fuzz`` gets bad values.

    ``names`` maps a parameter to the word (or tuple of words) its messages use when that is not
    its own name;
    ``raises`` adds exception types that are the documented refusal (e.g. argparse's);
    ``infinity``: the one infinity the documented result may hold (-inf for a log-density,
    log 0 where the density is 0: outside a compact support or below the smallest float; +inf
    for a divergence or a negative log-likelihood where a density is 0).
    """

    call: Callable[..., object]
    valid: dict
    fuzz: tuple[str, ...]
    names: dict = field(default_factory=dict)
    raises: tuple[type[BaseException], ...] = ()
    timeout: float = TIMEOUT
    infinity: float | None = None


# --------------------------------------------------------------------------- listing


def _takes_arguments(function: Callable, method: bool) -> bool:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return True
    return len(parameters) > (1 if method else 0)


def package_modules(package: ModuleType) -> tuple[ModuleType, ...]:
    """``package`` and every module below it (but ``__main__``), imported: a suite fuzzes all
    of them, so a new module cannot be left out."""
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    kept = [name for name in names if name.rsplit(".", 1)[-1] != "__main__"]
    return (package, *(importlib.import_module(name) for name in kept))


def public_entry_points(modules: Iterable[ModuleType]) -> set[str]:
    """Functions and classes defined in ``modules``, and their classes' public methods that take
    arguments (constructors count as the class itself)."""
    found = set()
    for module in modules:
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            if not callable(value):
                continue
            qualified = f"{module.__name__}.{name}"
            if inspect.isclass(value):
                found.add(qualified)
                for attribute, member in vars(value).items():
                    public = not attribute.startswith("_") or attribute == "__call__"
                    if public and inspect.isfunction(member) and _takes_arguments(member, True):
                        found.add(f"{qualified}.{attribute}")
                    elif public and isinstance(member, staticmethod | classmethod):
                        found.add(f"{qualified}.{attribute}")
            elif _takes_arguments(value, False):
                found.add(qualified)
    return found


def unlisted_and_stale(
    modules: Iterable[ModuleType], entries: dict, not_fuzzed: dict
) -> tuple[list[str], list[str]]:
    """Public names with neither an entry nor a reason, and listed names no longer public."""
    public = public_entry_points(modules)
    listed = set(entries) | set(not_fuzzed)
    return sorted(public - listed), sorted(listed - public)


def cases(entries: dict[str, Entry]) -> list[str]:
    """One ``"key:parameter"`` case per fuzzed parameter."""
    return [f"{key}:{parameter}" for key, entry in entries.items() for parameter in entry.fuzz]


# --------------------------------------------------------------------------- the property


class Hang(BaseException):
    """A call ran over its time limit (BaseException: the code under test cannot catch it)."""


@contextmanager
def time_limit(seconds: float):
    def alarm(signum, frame):
        raise Hang(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def non_finite(value: object, depth: int = 0, allowed: float | None = None) -> str | None:
    """A description of the first NaN, infinity (but ``allowed``) or complex number inside
    ``value``, or None."""
    if depth > 6 or value is None or isinstance(value, bool | str | bytes | os.PathLike):
        return None
    if isinstance(value, complex | np.complexfloating | mp.mpc):
        return f"complex {value!r}"
    if isinstance(value, float | np.floating):
        return None if math.isfinite(value) or value == allowed else repr(value)
    if isinstance(value, mp.mpf):
        return None if mp.isfinite(value) else repr(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":
            return "a complex array"
        if value.dtype.kind == "f":
            finite = np.isfinite(value) | (value == allowed if allowed is not None else False)
            return None if np.all(finite) else "an array holding NaN or inf"
        if value.dtype.kind == "O":
            return next(filter(None, (non_finite(v, depth + 1, allowed) for v in value.flat)), None)
        return None
    if isinstance(value, sp.Basic):
        if value.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
            return f"sympy {value}"
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [getattr(value, f.name) for f in dataclasses.fields(value)]
        return next(filter(None, (non_finite(v, depth + 1, allowed) for v in parts)), None)
    if isinstance(value, dict):
        return next(filter(None, (non_finite(v, depth + 1, allowed) for v in value.values())), None)
    if isinstance(value, list | tuple):
        return next(filter(None, (non_finite(v, depth + 1, allowed) for v in value)), None)
    return None


def check(entries: dict[str, Entry], key: str, parameter: str, bad: object) -> None:
    """Call ``entries[key]`` with ``parameter=bad``: refused by name, or a finite result."""
    entry = entries[key]
    words = entry.names.get(parameter, parameter)
    words = (words,) if isinstance(words, str) else words
    shown = validate.shown(bad)
    try:
        with time_limit(entry.timeout):
            result = entry.call(**{**entry.valid, parameter: bad})
    except (ValueError, TypeError, *entry.raises) as error:
        named = any(word in str(error) for word in words)
        assert named, f"{key}({parameter}={shown}): {error!r} does not name {' or '.join(words)}"
        return
    except Hang:
        pytest.fail(f"{key}({parameter}={shown}) ran over {entry.timeout} s")
    except Exception as error:  # noqa: BLE001 - any other exception is the failure reported
        pytest.fail(f"{key}({parameter}={shown}) raised {type(error).__name__}: {error}")
    problem = non_finite(result, allowed=entry.infinity)
    assert problem is None, f"{key}({parameter}={shown}) returned {problem}"


def suite_tests(
    modules: Iterable[ModuleType], entries: dict[str, Entry], not_fuzzed: dict, package: str
) -> tuple[Callable, Callable, Callable, Callable]:
    """The four tests of a suite over ``entries``: every public name of ``modules`` is listed
    (an entry or a reason in ``not_fuzzed``) and no listed name is stale; every valid call
    succeeds (so a refusal is caused by the bad value alone); every value of ``BAD``, then 4
    values drawn from ``DRAWN``, for each (entry, parameter) case, passes ``check``. Bind them to
    ``test_*`` names."""
    ids = [case.removeprefix(f"{package}.") for case in cases(entries)]

    def every_entry_point_is_listed():
        unlisted, stale = unlisted_and_stale(modules, entries, not_fuzzed)
        assert not unlisted, f"public entry points with no fuzzing entry: {unlisted}"
        assert not stale, f"listed names that are no longer public: {stale}"

    def valid_calls_succeed():
        failures = []
        for key, entry in entries.items():
            try:
                with time_limit(3 * entry.timeout):
                    entry.call(**entry.valid)
            except BaseException as error:  # noqa: BLE001 - every failing call is reported
                failures.append(f"{key}: {error!r}")
        assert not failures, "\n".join(failures)

    @pytest.mark.parametrize("case", cases(entries), ids=ids)
    def fixed_values(case):
        key, parameter = case.split(":")
        failures = []
        for bad in BAD:
            try:
                check(entries, key, parameter, bad)
            except (AssertionError, pytest.fail.Exception) as failure:
                failures.append(str(failure).splitlines()[0])
        assert not failures, "\n".join(failures)

    @pytest.mark.parametrize("case", cases(entries), ids=ids)
    @settings(
        max_examples=4,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure is reported as found
    )
    @given(data=st.data())
    def drawn_values(case, data):
        key, parameter = case.split(":")
        try:
            check(entries, key, parameter, data.draw(DRAWN, label=parameter))
        except pytest.fail.Exception as failure:
            raise AssertionError(str(failure)) from None

    return every_entry_point_is_listed, valid_calls_succeed, fixed_values, drawn_values


# --------------------------------------------------------------------------- command lines


def run_command(main: Callable[[Sequence[str]], int], argv: Sequence[str], seconds: float):
    """Run ``main(argv)`` within ``seconds``; return (exit code, stdout, stderr)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            with time_limit(seconds):
                code = main(list(argv))
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def assert_clean_exit(program: str, argv: Sequence[str], code: object, err: str) -> None:
    """Exit 0, or 2 with one line on stderr starting with the program's name."""
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(program), (argv, err)


# --------------------------------------------------------------------------- the safety page


def safety_rows(page: Path, heading: str) -> dict[str, str]:
    """The table of ``page`` under the line ``heading``: entry point -> parameters fuzzed."""
    lines = page.read_text().splitlines()
    start = lines.index(heading)
    rows = {}
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("| `"):
            cells = line.split("|")
            rows[cells[1].strip().strip("`")] = cells[2].strip()
    return rows


def expected_rows(entries: dict[str, Entry], package: str) -> dict[str, str]:
    """The rows the safety page must hold for ``entries`` of ``package``."""
    return {key.removeprefix(f"{package}."): ", ".join(e.fuzz) for key, e in entries.items()}

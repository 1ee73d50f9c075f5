"""Hypothesis strategies for property tests of code built on ``bounds`` (needs ``hypothesis``,
installed with the ``test`` extra), in the manner of ``hypothesis.extra.numpy``.

Valid inputs: ``scenarios()`` (or one kind: ``replace_scenarios()``, ``proportion_scenarios()``,
``augment_scenarios()``, ``accumulate_scenarios()``, ``custom_scenarios()``), ``error_models()``
(or ``power_laws()``, ``diffusion_models()``), ``generations()`` and ``parameter_grids(bound)``,
keyword arrays that ``Bound.evaluate`` accepts. Invalid inputs, each drawn with the name of the
parameter a correct implementation must name in its error: ``invalid_scenario_parameters()`` and
``invalid_evaluation_parameters(bound)``. Ranges are keyword arguments with the defaults shown.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from bounds import errors
from bounds import symbols as S
from bounds.propagation import Bound
from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace, Scenario

KINDS = ("replace", "proportion", "augment", "accumulate", "custom")


def sizes(min_value: int = 1, max_value: int = 10**7) -> st.SearchStrategy[int]:
    """Training-set sizes N >= 1."""
    return st.integers(min_value=max(1, min_value), max_value=max_value)


def shares(min_value: float = 0.0, max_value: float = 1.0) -> st.SearchStrategy[float]:
    """Real-data shares lam in [0, 1]."""
    return st.floats(min_value=max(0.0, min_value), max_value=min(1.0, max_value))


def generations(min_value: int = 1, max_value: int = 60) -> st.SearchStrategy[int]:
    """Generation indices i >= 1."""
    return st.integers(min_value=max(1, min_value), max_value=max_value)


def replace_scenarios(max_size: int = 10**7) -> st.SearchStrategy[Replace]:
    return st.builds(Replace, sizes(max_value=max_size))


def proportion_scenarios(
    max_size: int = 10**7, min_share: float = 0.0, max_share: float = 1.0
) -> st.SearchStrategy[Proportion]:
    return st.builds(Proportion, sizes(max_value=max_size), shares(min_share, max_share))


def augment_scenarios(max_size: int = 10**7, max_synthetic: int = 10**7) -> st.SearchStrategy:
    return st.builds(Augment, sizes(max_value=max_size), st.integers(0, max_synthetic))


def accumulate_scenarios(max_size: int = 10**7, max_synthetic: int = 10**7) -> st.SearchStrategy:
    return st.builds(Accumulate, sizes(max_value=max_size), st.integers(0, max_synthetic))


@st.composite
def custom_scenarios(
    draw: st.DrawFn, max_generations: int = 8, max_size: int = 10**6, floats: bool = True
) -> Custom:
    """Custom loops with 1..max_generations generations; each row of weights is a random
    probability vector of exact fractions (some written as floats when ``floats``)."""
    count = draw(st.integers(1, max_generations))
    rows: list[tuple] = [(1,)]
    for g in range(2, count + 1):
        raw = draw(st.lists(st.integers(0, 20), min_size=g, max_size=g).filter(any))
        row = [Fraction(w, sum(raw)) for w in raw]
        if floats and draw(st.booleans()):
            row = [float(w) if w.denominator in (1, 2, 4, 5, 8, 10) else w for w in row]
        rows.append(tuple(row))
    table = tuple(rows)
    chosen = tuple(draw(sizes(max_value=max_size)) for _ in range(count))
    return Custom(chosen, table, keep_synthetic=draw(st.booleans()))


def scenarios(
    kinds: tuple[str, ...] = KINDS, max_size: int = 10**7, max_generations: int = 8
) -> st.SearchStrategy[Scenario]:
    """A scenario of one of ``kinds`` (``custom`` with up to ``max_generations`` generations)."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {kinds!r}")
    table = {
        "replace": replace_scenarios(max_size),
        "proportion": proportion_scenarios(max_size),
        "augment": augment_scenarios(max_size, max_size),
        "accumulate": accumulate_scenarios(max_size, max_size),
        "custom": custom_scenarios(max_generations, max_size),
    }
    return st.one_of(*(table[k] for k in kinds))


def power_laws(
    C: tuple[float, float] = (0.01, 100.0), alpha: tuple[float, float] = (0.05, 0.95)
) -> st.SearchStrategy[errors.ErrorModel]:
    """eps(N) = C N^-alpha with C and alpha drawn from the closed ranges given."""
    return st.builds(errors.power_law, st.floats(*C), st.floats(*alpha))


def diffusion_models(
    M: tuple[int, int] = (1, 10**5), tau: tuple[float, float] = (1.0, 100.0)
) -> st.SearchStrategy[errors.ErrorModel]:
    """The random-feature diffusion bound at a fixed training time, or early-stopped."""
    fixed = st.builds(
        errors.diffusion_random_features, st.integers(*M), st.floats(*tau), st.floats(0.1, 10.0)
    )
    stopped = st.builds(errors.diffusion_early_stopped, st.integers(*M), st.floats(0.1, 10.0))
    return st.one_of(fixed, stopped)


def error_models() -> st.SearchStrategy[errors.ErrorModel]:
    """Any of the library's error models, with constants in the default ranges above."""
    return st.one_of(power_laws(), diffusion_models())


def _ranges(bound: Bound) -> dict[str, st.SearchStrategy[float]]:
    """A strategy of valid floats for each parameter of ``bound`` but i."""
    out: dict[str, st.SearchStrategy[float]] = {}
    for symbol in bound.symbols:
        name = S.keyword(symbol)
        if symbol == S.i:
            continue
        if symbol == S.lam:
            out[name] = shares()
        elif symbol in (S.N, S.n):
            out[name] = st.integers(1, 10**7).map(float)
        elif symbol == S.m:
            out[name] = st.integers(0, 10**7).map(float)
        elif symbol == S.alpha:
            out[name] = st.floats(0.05, 0.95)
        elif symbol == S.M:
            out[name] = st.integers(1, 10**5).map(float)
        elif symbol == S.tau:
            out[name] = st.floats(1.0, 100.0)
        elif symbol.is_positive:
            out[name] = st.floats(0.01, 100.0)
        else:
            out[name] = st.floats(0.0, 10.0)
    return out


@st.composite
def parameter_grids(draw: st.DrawFn, bound: Bound, max_points: int = 5) -> dict[str, np.ndarray]:
    """Keyword arguments for ``bound.evaluate``: i and a random subset of the other parameters,
    each a 1-d array on its own axis, so that together they broadcast to a grid."""
    horizon = bound.scenario.horizon or 60
    ranges = _ranges(bound)
    names = draw(st.lists(st.sampled_from(sorted(ranges)), unique=True)) if ranges else []
    axes = ["i", *names]
    grid: dict[str, np.ndarray] = {}
    for axis, name in enumerate(axes):
        values = st.integers(1, horizon).map(float) if name == "i" else ranges[name]
        points = draw(st.lists(values, min_size=1, max_size=max_points))
        shape = [1] * len(axes)
        shape[axis] = len(points)
        grid[name] = np.asarray(points, dtype=float).reshape(shape)
    return grid


class Invalid(NamedTuple):
    """A bad input and the parameter a good error message names."""

    kind: str
    parameters: dict
    name: str


_BAD_NUMBERS = (-1.0, -1e300, math.nan, math.inf, -math.inf)


@st.composite
def invalid_scenario_parameters(draw: st.DrawFn) -> Invalid:
    """(kind, parameters, name): ``SCENARIOS[kind](**parameters)`` must raise ValueError or
    TypeError whose message names ``name``."""
    kind = draw(st.sampled_from(("replace", "proportion", "augment", "accumulate")))
    good = {
        "replace": {"N": 10},
        "proportion": {"N": 10, "lam": 0.5},
        "augment": {"n": 10, "m": 5},
        "accumulate": {"n": 10, "m": 5},
    }[kind]
    name = draw(st.sampled_from(sorted(good)))
    whole = name in ("N", "n", "m")
    bad = st.sampled_from(_BAD_NUMBERS) | st.sampled_from(("3", None, True, 1 + 2j, [1]))
    if whole:
        bad = bad | st.floats(0.01, 1e6).filter(lambda v: not v.is_integer())
        bad = bad | (st.integers(-(10**9), 0) if name != "m" else st.integers(-(10**9), -1))
    else:
        bad = (
            bad
            | st.floats(1.0, 1e300, exclude_min=True)
            | st.floats(-1e300, 0.0).filter(lambda v: v < 0)
        )
    return Invalid(kind, {**good, name: draw(bad)}, name)


@st.composite
def invalid_evaluation_parameters(draw: st.DrawFn, bound: Bound) -> Invalid:
    """(scenario name, keyword arguments, name): ``bound.evaluate(**kwargs)`` and
    ``bound.evaluate_mp(**kwargs)`` must raise ValueError or TypeError naming ``name``."""
    names = [S.keyword(s) for s in bound.symbols if s != S.i]
    name = draw(st.sampled_from(["i", *names]))
    symbol = {S.keyword(s): s for s in bound.symbols}.get(name)
    bad = st.sampled_from((math.nan, math.inf, "nan", "-inf", "x", None, True, 1j))
    if name == "i":
        bad = (
            bad
            | st.integers(-(10**6), 0)
            | st.floats(1.5, 1e6).filter(lambda v: not v.is_integer())
        )
    elif symbol == S.lam:
        bad = bad | st.floats(1.0, 1e300, exclude_min=True) | st.just("3")
    elif symbol is not None and symbol.is_positive:
        bad = bad | st.floats(-1e300, 0.0) | st.just("-100")
    else:
        bad = bad | st.floats(-1e300, 0.0, exclude_max=True) | st.just("-1")
    params = {"i": 2} if name != "i" else {}
    return Invalid(bound.scenario.name, {**params, name: draw(bad)}, name)

"""Theorem R's bound B_i by scenario for the power-law error eps(N) = C N^-alpha: the curves
(figure and CSV, i = 1..100), each closed form and its limit. Bounds only, no runs."""

from __future__ import annotations

import numpy as np
import sympy

from bounds import Accumulate, Augment, Proportion, Replace, bound, power_law, validate
from empirical import figures
from empirical.experiments import Experiment, Section, Settings, Table
from empirical.experiments.common import ALPHA

__all__ = ["EXPERIMENT", "N", "scenarios"]

N = 1000  # the real-data size of every scenario shown
GENERATIONS = 100


def scenarios(n: int) -> dict[str, object]:
    """The four scenarios the report compares at real size n."""
    n = validate.size("n", n)
    return {
        "replace": Replace(n),
        "proportion": Proportion(n, 0.5),
        "augment": Augment(n, 2 * n),
        "accumulate": Accumulate(n, n),
    }


def specs(settings: Settings) -> list:
    del settings
    return []


def analyse(records: list[dict], settings: Settings) -> Section:
    del records, settings
    error = power_law(1.0, ALPHA)
    i = np.arange(1, GENERATIONS + 1)
    curves = {name: bound(s, error) for name, s in scenarios(N).items()}
    values = {name: np.asarray(b.evaluate(i=i), dtype=float) for name, b in curves.items()}
    parameters = f"ε(N) = N^−{ALPHA}, n = N = {N}, λ = 0.5, m = 2n (augment), m = n (accumulate)"
    limit = {name: float(b.limit_value()) for name, b in curves.items()}
    figure = figures.bound_curves(i, values, f"Theorem R bound $B_i$, {parameters}", limit)
    data = Table(
        "bounds",
        ["i", *values],
        [[int(g), *(float(values[k][g - 1]) for k in values)] for g in i],
        caption=f"B_i for i = 1..{GENERATIONS}, one column per scenario.",
        shown_rows=(),
    )
    limits = Table(
        "bounds-limits",
        ["scenario", "B_i", "lim B_i", "vacuous at i = 100"],
        [
            [name, f"${sympy.latex(b.expr)}$", limit[name], bool(values[name][-1] > 1)]
            for name, b in curves.items()
        ],
        caption="Each closed form, its limit as i → ∞, and whether B_100 exceeds 1 (vacuous).",
    )
    return Section(
        "Theorem R: the bound B_i by scenario",
        [
            f"Error model ε(N) = C·N^(−α) with C = 1, α = {ALPHA}; n = N = {N}, λ = 0.5, m = 2n"
            " (augment), m = n (accumulate). One panel per scenario, on a linear axis where its"
            " values sit within a decade, the limit as i → ∞ dashed; TV = 1 is drawn where a"
            " bound or its limit reaches it (a TV bound above 1 says nothing, and is drawn as it"
            " is). Computed from the bounds, no runs.",
            "![bounds](bounds.png)",
        ],
        tables=(data, limits),
        figures={"bounds.png": figure},
    )


EXPERIMENT = Experiment("bounds", specs, analyse)

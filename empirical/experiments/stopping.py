"""Optimal early stopping of Li et al.'s random-feature diffusion bound: tau* exact against its
asymptotic, and the TV bound at the time used. Bounds only, no runs."""

from __future__ import annotations

import numpy as np

from bounds import stopping
from empirical.experiments import Experiment, Section, Settings, Table

__all__ = ["EXPERIMENT"]

SIZES = (1e3, 1e4, 1e5, 1e6)
WIDTHS = (256, 4096)


def specs(settings: Settings) -> list:
    del settings
    return []


def analyse(records: list[dict], settings: Settings) -> Section:
    del records, settings
    sizes = np.array(SIZES)
    rows, notes = [], []
    for width in WIDTHS:
        result = stopping.early_stopped_error(sizes, width)
        asymptotic = stopping.tau_star_asymptotic(sizes, width)
        notes.append(f"M = {width}: {result.note}.")
        for k, size in enumerate(sizes):
            rows.append(
                [
                    width,
                    int(size),
                    float(result.tau_exact[k]),
                    float(asymptotic[k]),
                    float(result.tau[k]),
                    float(result.epsilon[k]),
                ]
            )
    table = Table(
        "stopping",
        ["M", "N", "τ* exact", "(MN/4)^(1/5)", "τ used", "ε(N) at τ"],
        rows,
        caption="Stopping times and the TV bound at the time used.",
    )
    return Section(
        "Optimal early stopping (random-feature diffusion, Li et al.)",
        [
            "τ* is the positive root of 4Mτ⁵ + 3Nτ⁴ = M²N; ε is the Pinsker TV bound"
            " √((τ⁴/(MN) + τ³/M² + 1/τ + 1/M)/2) at τ = max(τ*, 1) (Theorem 1 needs τ ≥ 1), with"
            " C1 = C2 = 1 and the approximation and prior terms 0. The asymptotic (MN/4)^(1/5) is"
            " accurate when M ≫ N^(2/3). Computed from the bound, no runs. " + " ".join(notes),
        ],
        tables=(table,),
    )


EXPERIMENT = Experiment("stopping", specs, analyse)

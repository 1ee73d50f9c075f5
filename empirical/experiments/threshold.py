"""The synthetic-data threshold m*_i of ``augment`` under the power-law error: B_i(m) against
m/n with each m*_i marked, the table of thresholds (with the peak value and whether it is
vacuous), the closed form at i = 2 and the asymptotics. Bounds only, no runs."""

from __future__ import annotations

import numpy as np

from bounds import phase, power_law
from empirical import figures
from empirical.experiments import Claim, Experiment, Section, Settings, Table
from empirical.experiments.common import ALPHA

__all__ = ["EXPERIMENT"]

N = 1000
C = 1.0
TABLE_GENERATIONS = (2, 3, 5, 10, 20, 50, 100, 1000, 10000)
FIGURE_GENERATIONS = (2, 5, 10, 20)


def specs(settings: Settings) -> list:
    del settings
    return []


def analyse(records: list[dict], settings: Settings) -> Section:
    del records, settings
    found = phase.power_law_thresholds(np.array(TABLE_GENERATIONS), ALPHA, N, C)
    rows = [
        [
            r["i"],
            r["m"],
            r["m"] / N,
            r["m"] / (r["i"] * N),
            r["peak"],
            r["ratio"],
            bool(r["peak"] > 1),
            bool(certified),
        ]
        for r, certified in zip(found.rows(), found.certified, strict=True)
    ]
    table = Table(
        "threshold",
        ["i", "m*_i", "m*_i/n", "m*_i/(i n)", "B_i(m*)", "B_i(m*)/B_i(0)", "vacuous", "certified"],
        rows,
        caption="Thresholds m*_i, the peak B_i(m*_i) (vacuous: above 1, where a TV bound says"
        " nothing) and its ratio to the bound without synthetic data.",
    )
    ratios = np.logspace(-3, 3, 400)
    shown = phase.power_law_thresholds(np.array(FIGURE_GENERATIONS), ALPHA, N, C)
    curves = {
        i: C * N**-ALPHA * phase.power_law_ratio(ratios, i, ALPHA) for i in FIGURE_GENERATIONS
    }
    peaks = {
        i: (float(shown.m[k] / N), float(shown.peak[k])) for k, i in enumerate(FIGURE_GENERATIONS)
    }
    title = f"augment, ε(N) = {C:g}·N^−{ALPHA}, n = {N}: B_i(m) for i = " + ", ".join(
        map(str, FIGURE_GENERATIONS)
    )
    figure = figures.threshold_curves(ratios, curves, peaks, title)
    exact = phase.threshold(2, N, power_law(C, ALPHA), digits=30)
    certified = int(np.count_nonzero(found.certified))
    vacuous = [r[0] for r in rows if r[6]]
    claim = Claim(
        "Theorem R's bound for augment rises, then falls, as the synthetic amount m grows",
        "threshold.png",
        f"a certified peak m*_i for {certified} of {len(rows)} generations i ="
        f" {TABLE_GENERATIONS[0]}..{TABLE_GENERATIONS[-1]}; the peak is above 1 (vacuous) for"
        f" i in {vacuous or 'none'} (n = {N}, C = {C:g})",
        "supported" if certified == len(rows) else "not resolved",
    )
    return Section(
        "Phase transition in the amount of synthetic data",
        [
            f"Scenario augment (n real points plus m synthetic ones each generation), ε(N) ="
            f" {C:g}·N^(−α), α = {ALPHA}, n = {N}: as m grows the bound first rises, then falls"
            " past m*_i. Each threshold is certified by the sign of dB_i/dm on both sides."
            " Computed from the bound, no runs: this is the transition of the bound, not of TV.",
            "![threshold](threshold.png)",
            f"At i = 2 the closed form (α^(−1/(1−α)) − 1)·n gives m*_2 = {exact.m} (30 digits)."
            f" As i → ∞, m*_i/(i n) → {phase.asymptotic_slope(ALPHA):.6f} and the peak ratio"
            f" grows like {phase.asymptotic_peak_constant(ALPHA):.6f}·i^(1−α).",
        ],
        tables=(table,),
        figures={"threshold.png": figure},
        claims=(claim,),
    )


EXPERIMENT = Experiment("threshold", specs, analyse)

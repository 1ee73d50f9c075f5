"""Claim 4, measured: how mixing real data changes error propagation in KDE loops.

A fixed-bandwidth Gaussian KDE on a fixed real set, under ``replace`` (every generation trains
on the previous one's samples only), ``accumulate`` (the real set plus every earlier synthetic
set, kept) and accumulate-subsample (N points a generation, drawn evenly from the real set and
the kept sets). The population recursion predicts how the smoothing bias compounds: the mean
KDE's variance is s^2 + i h^2 under replace (without limit) and s^2 + h^2 H_i under accumulate
with n = m (H_i the harmonic number: logarithmic, still without limit). Each curve is drawn
with the martingale bound on E delta_i and the recursion's prediction
(``bounds.kde_martingale``: both cover a reused real set and kept synthetic sets).
"""

from __future__ import annotations

import math

import numpy as np

from bounds import Accumulate, Custom, Replace
from bounds.kde_martingale import kde_martingale_bound
from bounds.kde_population import accumulate_variances
from empirical.experiments import Claim, Experiment, Section, Settings, Table
from empirical.experiments.real_share import welch_interval
from empirical.experiments.synthetic_amount import GAUSSIAN_TRUTH, TRUTH
from empirical.figures import new_figure
from empirical.spec import MODELS, RunSpec

__all__ = ["EXPERIMENT"]

N = 200
BANDWIDTH = 0.2
MODEL = MODELS.component("kde", bandwidth=BANDWIDTH)


def _generations(settings: Settings) -> int:
    return settings.pick(8, 30, 50)


def _scenarios(settings: Settings) -> dict[str, tuple[object, str]]:
    """Name -> (scenario, subsample rule)."""
    G = _generations(settings)
    subsample = Custom.accumulate_subsample(N, G)
    return {
        "replace": (Replace(N), "counts"),
        "accumulate": (Accumulate(N, N), "counts"),
        "accumulate-subsample, even counts": (subsample, "counts"),
        "accumulate-subsample, uniform from the pool": (subsample, "pool"),
    }


def _seeds(settings: Settings) -> int:
    return settings.pick(10, 40, 100)


def _specs(settings: Settings) -> list[RunSpec]:
    G = _generations(settings)
    return [
        RunSpec(scenario, MODEL, TRUTH, G, seed, "fixed", subsample=rule)
        for scenario, rule in _scenarios(settings).values()
        for seed in range(_seeds(settings))
    ]


def _analyse(records: list[dict], settings: Settings) -> Section:
    G = _generations(settings)
    scenarios = _scenarios(settings)
    fig = new_figure(10, 4.2)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    i = np.arange(1, G + 1)
    table, final = [], {}
    for k, (name, (scenario, rule)) in enumerate(scenarios.items()):
        runs = [
            r
            for r in records
            if r["spec"]["scenario"] == scenario.to_dict() and r["spec"]["subsample"] == rule
        ]
        delta = np.array([[r["delta"] for r in runs if r["generation"] == g] for g in i])
        mean = delta.mean(axis=1)
        se = delta.std(axis=1, ddof=1) / math.sqrt(delta.shape[1])
        left.fill_between(i, mean - 2 * se, mean + 2 * se, color=f"C{k}", alpha=0.25)
        left.plot(i, mean, "o-", ms=3, color=f"C{k}", label=f"{name}: measured mean δ_i (±2 se)")
        final[name] = delta[-1]
        if rule == "pool":  # random counts: the martingale bound's weights are not these
            table.append([name, delta.shape[1], float(mean[-1]), "", "", "", ""])
            continue
        theory = kde_martingale_bound(scenario, GAUSSIAN_TRUTH, BANDWIDTH, G, real="fixed")
        left.plot(i, theory.predicted, "--", color=f"C{k}", label=f"{name}: predicted E δ_i")
        left.plot(i, theory.total, ":", color=f"C{k}", label=f"{name}: bound on E δ_i")
        z = float(np.max(np.abs(mean - theory.predicted) / se))
        below = bool(np.all(mean - 2 * se <= theory.total))
        row = [float(mean[-1]), float(theory.predicted[-1]), float(theory.total[-1]), below, z]
        table.append([name, delta.shape[1], *row])
    s2 = float(np.dot(GAUSSIAN_TRUTH.weights, np.square(GAUSSIAN_TRUTH.sds)))
    right.plot(i, s2 + i * BANDWIDTH**2, label="replace: s² + i h²")
    right.plot(i, accumulate_variances(N, N, s2, BANDWIDTH, G), label="accumulate: s² + h² H_i")
    right.set_xlabel("generation i")
    right.set_ylabel("within-component variance of E p_i")
    right.legend(fontsize=7)
    left.set_xlabel("generation i")
    left.set_ylabel("TV to the truth")
    left.legend(fontsize=6)
    fig.suptitle(
        f"KDE h = {BANDWIDTH}, N = n = m = {N}, fixed real set, {_seeds(settings)} seeds;"
        " truth ½N(−1.5, 0.5) + ½N(1.5, 0.5)",
        fontsize=9,
    )
    fig.tight_layout()
    gap = welch_interval(final["replace"], final["accumulate"], 0.01)
    rules = welch_interval(
        final["accumulate-subsample, uniform from the pool"],
        final["accumulate-subsample, even counts"],
        0.01,
    )
    outcome = "supported" if gap[1] > 0 else "not supported" if gap[2] < 0 else "not resolved"
    columns = [
        "scenario",
        "seeds",
        f"mean δ_{G}",
        f"predicted E δ_{G}",
        f"bound on E δ_{G}",
        "mean − 2 se ≤ bound at every i",
        "max |measured − predicted| / se",
    ]
    return Section(
        "Accumulating versus replacing, measured (claim 4)",
        [
            f"Fixed-bandwidth KDE (h = {BANDWIDTH}) on a fixed real set of {N} points, {G}"
            " generations. Left: measured mean δ_i with ±2 standard errors, the population"
            " recursion's prediction and the martingale bound on E δ_i. Right: the compounding"
            " bias as the population variance predicts it (THEORY §5, §8). The two"
            " accumulate-subsample rules differ at the last generation by"
            f" {rules[0]:.3g} (99% Welch interval [{rules[1]:.3g}, {rules[2]:.3g}]): uniform"
            " from the pool (random counts, as published) minus even counts per source. The"
            " bound is not drawn for the pool rule, whose random counts it does not cover.",
            "![accumulation](accumulation.png)",
        ],
        (Table("accumulation", columns, table),),
        {"accumulation.png": fig},
        (
            Claim(
                "Claim 4: keeping real data changes KDE error propagation (accumulate below"
                " replace)",
                "accumulation.png",
                f"δ_{G}(replace) − δ_{G}(accumulate) ∈ [{gap[1]:.3g}, {gap[2]:.3g}]",
                outcome,
            ),
        ),
    )


EXPERIMENT = Experiment("accumulation", _specs, _analyse)

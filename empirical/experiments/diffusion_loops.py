"""The random-feature diffusion model in the loop: its output densities across generations,
Theorem R in every run (level 1), the N^(-1/5) rate of the learning error, and that rate with
its constant fitted on generation-1 runs, checked on held-out loops (level 3).

The densities figure draws records, never a new simulation: this experiment's ``runner``
(``run_with_densities``) runs each spec exactly as ``empirical.loop.run`` does and adds to each
record ``density``, the fitted model's exact output density on ``DENSITY_POINTS`` points, so
the figure shows the very runs the tables check.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from bounds import Augment, Replace, power_law, validate
from bounds.scenarios import scenario_from_dict
from empirical import figures
from empirical.experiments import Claim, Experiment, Section, Settings, Table, describe_runs
from empirical.experiments.common import (
    ALPHA,
    count_verdicts,
    counts_text,
    level1_table,
    outcome,
)
from empirical.loop import run_loop
from empirical.spec import MODELS, TRUTHS, RunSpec
from empirical.sweep import grid
from empirical.truths import GaussianMixture
from empirical.verify import check_calibrated_bound, check_propagation, fit_power_law_constant

__all__ = ["DENSITY_POINTS", "EXPERIMENT", "SIZES", "TRUTH", "density_points", "run_with_densities"]

TRUTH = GaussianMixture([0.5, 0.5], [[-1.5], [1.5]], [0.5, 0.5])
DENSITY_POINTS = 401
FIGURE_GENERATIONS = 5
SIZES = {  # scale: (n, width M, generations, calibration seeds, held-out seeds)
    "quick": (200, 64, 3, 2, (100,)),
    "default": (1000, 256, 6, 2, (100,)),
    "full": (1000, 256, 10, 4, (100, 101, 102)),
}


def density_points(truth: object) -> np.ndarray:
    """Where the figure's densities are evaluated: the truth's box of outside mass 1e-4, 1.5
    times wider, on ``DENSITY_POINTS`` points."""
    if not callable(getattr(truth, "bounding_box", None)) or getattr(truth, "dim", None) != 1:
        raise TypeError(f"truth must be a one-dimensional density, got {validate.shown(truth)}")
    lo, hi = truth.bounding_box(1e-4)
    centre, half = (lo[0] + hi[0]) / 2, 0.75 * (hi[0] - lo[0])
    return np.linspace(centre - half, centre + half, DENSITY_POINTS)


def run_with_densities(spec: RunSpec) -> list[dict]:
    """``empirical.loop.run(spec)``'s records, each with ``density``: {"lo", "hi", "points",
    "pdf"}, generation i's output density on ``density_points(truth)`` (a one-dimensional
    truth; the spec's components as the registries write them)."""
    truth = spec.build_truth()
    if truth.dim != 1:
        raise ValueError(f"the densities figure needs a one-dimensional truth, got dim {truth.dim}")
    models = []

    def factory() -> object:
        models.append(spec.build_model())
        return models[-1]

    records = run_loop(
        spec.scenario,
        factory,
        truth,
        spec.generations,
        spec.seed,
        spec.real,
        grid_points=spec.grid_points,
        mc_samples=spec.mc_samples,
    )
    if records[0]["key"] != spec.key():
        raise ValueError(
            f"spec {spec} must name its model and truth as MODELS.component and TRUTHS.describe"
            " write them, so that its records carry its key"
        )
    x = density_points(truth)
    for record, model in zip(records, models, strict=True):
        pdf = model.pdf(x[:, None])
        record["density"] = {
            "lo": float(x[0]),
            "hi": float(x[-1]),
            "points": len(x),
            "pdf": pdf.tolist(),
        }
    return records


def _sizes(settings: Settings) -> tuple[int, int, int, int, tuple[int, ...]]:
    return SIZES[settings.scale]


def _calibration(settings: Settings) -> list[RunSpec]:
    n, width, _, seeds, _ = _sizes(settings)
    model = MODELS.component("diffusion", width=width)
    sizes = [Replace(size) for size in (n // 4, n // 2, n, 2 * n)]
    return grid(sizes, [model], [TRUTHS.describe(TRUTH)], range(seeds), 1)


def _held_out(settings: Settings) -> list[RunSpec]:
    n, width, generations, _, seeds = _sizes(settings)
    model = MODELS.component("diffusion", width=width)
    scenarios = [Augment(n, k * n) for k in (1, 2, 4)]
    return grid(scenarios, [model], [TRUTHS.describe(TRUTH)], seeds, generations)


def specs(settings: Settings) -> list[RunSpec]:
    return _calibration(settings) + _held_out(settings)


def _figure(held_out: list[dict], settings: Settings) -> tuple[object, str]:
    n, width, generations, _, seeds = _sizes(settings)
    scenario = Augment(n, 2 * n)
    model = MODELS.component("diffusion", width=width)
    key = RunSpec(scenario, model, TRUTHS.describe(TRUTH), generations, seeds[0]).key()
    shown = [r for r in held_out if r["key"] == key][:FIGURE_GENERATIONS]
    box = shown[0]["density"]
    x = np.linspace(box["lo"], box["hi"], box["points"])
    curves = [
        (rf"$p_{{{r['generation']}}}$, $\delta$ = {r['delta']:.3f}", np.array(r["density"]["pdf"]))
        for r in shown
    ]
    runs = describe_runs(shown)
    title = f"random-feature diffusion, M = {width}, {scenario}, seed {seeds[0]}, fixed real data"
    return figures.densities(x, TRUTH.pdf(x[:, None]), curves, title), runs


def analyse(records: list[dict], settings: Settings) -> Section:
    n, width, generations, calibration_seeds, held_out_seeds = _sizes(settings)
    calibration_keys = {spec.key() for spec in _calibration(settings)}
    calibration = [r for r in records if r["key"] in calibration_keys]
    held_out = [r for r in records if r["key"] not in calibration_keys]
    level1 = check_propagation(records)
    counts1 = count_verdicts(level1)
    group_of = {r["key"]: str(scenario_from_dict(r["spec"]["scenario"])) for r in records}
    C = fit_power_law_constant(calibration, ALPHA)
    level3 = check_calibrated_bound(held_out, power_law(C, ALPHA))
    counts3 = count_verdicts(level3)
    fit = stats.linregress(
        np.log([r["N"] for r in calibration]), np.log([r["delta"] for r in calibration])
    )
    spread = float(stats.t.ppf(0.975, len(calibration) - 2) * fit.stderr)
    figure, figure_runs = _figure(held_out, settings)
    sizes = sorted({r["N"] for r in calibration})
    table = Table(
        "diffusion-level3",
        ["scenario", "seed", "i", "δ_i", "bound B_i", "margin", "verdict", "ε_i ≤ C N_i^(−1/5)"],
        [
            [
                r["scenario"],
                r["seed"],
                r["generation"],
                r["delta"],
                r["bound"],
                r["margin"],
                r["verdict"],
                r["eps_within"],
            ]
            for r in level3
        ],
        caption="Level 3: Theorem R's bound with the calibrated rate against the measured δ_i of"
        " each held-out generation. The last column checks the assumption behind the bound, that"
        " one constant serves every generation: the learning error ε_i = TV(p_i, q_i) against the"
        " calibrated rate at its own training-set size.",
    )
    within = sum(r["eps_within"] for r in level3)
    return Section(
        "Diffusion with a random-feature score in the loop",
        [
            f"Score (1/M)·A·relu(Wx + U e(t)), M = {width}, A trained by the closed-form gradient"
            " flow; the probability-flow sampler's output density is computed exactly, so TV"
            " needs no samples. Truth: the mixture ½N(−1.5, 0.5) + ½N(1.5, 0.5); fixed real data."
            f" Calibration: {describe_runs(calibration)} (replace, N ="
            f" {', '.join(map(str, sizes))})."
            f" Held out: {describe_runs(held_out)} (augment, n = {n}, m = n, 2n, 4n).",
            f"The figure draws the recorded densities of the held-out run augment(n={n},"
            f" m={2 * n}), {figure_runs}: each record of this section carries its model's output"
            f" density on {DENSITY_POINTS} points, computed in the same run (no re-simulation).",
            "![diffusion](diffusion.png)",
            f"**Level 1.** Theorem R: {counts_text(counts1)} (run, generation) rows of the runs"
            " above.",
            f"**The rate.** On generation 1, log δ_1 against log N has slope {fit.slope:.3f} ±"
            f" {spread:.3f} (least squares, 95% t interval over {len(calibration)} runs); Li et"
            " al.'s bound decays like N^(−1/5) (slope −0.2), and an upper bound may be less steep"
            " than the truth.",
            f"**Level 3 (calibrated rate).** The smallest C with ε_1 ≤ C·N^(−1/5) on the"
            f" calibration runs is C = {C:.4g}. With it, Theorem R's bound on the held-out runs:"
            f" {counts_text(counts3)} (run, generation) rows; ε_i within the calibrated rate in"
            f" {within} of {len(level3)}.",
        ],
        tables=(level1_table("diffusion-level1", level1, group_of), table),
        figures={"diffusion.png": figure},
        claims=(
            Claim(
                "Theorem R (δ_i ≤ ε_i + Σ_j w_ij δ_j) holds in every diffusion run",
                "diffusion-level1.csv",
                f"{counts_text(counts1)} rows; {describe_runs(records)}",
                outcome(counts1),
            ),
            Claim(
                "With ε(N) = C·N^(−1/5) calibrated on generation 1, Theorem R's bound holds on"
                " held-out diffusion loops",
                "diffusion-level3.csv",
                f"C = {C:.4g}; {counts_text(counts3)} rows; slope of log δ_1 in log N"
                f" {fit.slope:.3f} ± {spread:.3f}",
                outcome(counts3),
            ),
        ),
    )


EXPERIMENT = Experiment("diffusion", specs, analyse, run_with_densities)

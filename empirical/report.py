"""The main job: bound curves, thresholds, stopping times and loops checked against the bounds.

``python -m empirical.report [--out report] [--seeds 10] [--generations 30] [--jobs 1]`` writes
``report.md`` with its figures (PNG) and data (CSV, JSON lines) into ``--out``. Each section is a
function returning markdown; the loops' records are kept in ``runs-*.jsonl`` and reused when the
report is made again with the same settings (a sweep resumes where it stopped).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy

import bounds
from bounds import Accumulate, Augment, Proportion, Replace, bound, phase, power_law, stopping
from bounds.io import write_text_atomic
from bounds.kde import kde_loop_bound
from bounds.plotting import save_figure, threshold_figure
from empirical import figures
from empirical.records import read_records
from empirical.spec import MODELS, TRUTHS
from empirical.sweep import grid, sweep
from empirical.truths import Gaussian, GaussianMixture
from empirical.verify import (
    check_calibrated_bound,
    check_expected_tv,
    check_propagation,
    fit_power_law_constant,
    gaussian_truth,
)

ALPHA = 0.2  # Li et al.'s TV rate N^(-1/5)
KDE_BANDWIDTH = 0.2
KDE_TRUTH = Gaussian(0.0, 1.0)
DIFFUSION_WIDTH = 256
DIFFUSION_GENERATIONS = 6
DIFFUSION_TRUTH = GaussianMixture([0.5, 0.5], [[-1.5], [1.5]], [0.5, 0.5])


@dataclass(frozen=True)
class Settings:
    """What the report runs: seeds per loop, generations, loop size, worker processes."""

    out: Path
    seeds: int = 10
    generations: int = 30
    n: int = 1000
    jobs: int = 1

    def __post_init__(self) -> None:
        bounds.validate.whole("seeds", self.seeds, minimum=10)
        bounds.validate.whole("generations", self.generations, minimum=2)
        bounds.validate.whole("n", self.n, minimum=10)
        bounds.validate.whole("jobs", self.jobs, minimum=1)


# --- small writers -----------------------------------------------------------------------------


def _csv_text(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; floats with 4 significant digits."""

    def cell(value: object) -> str:
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "**no**"
        if isinstance(value, float | np.floating):
            return f"{value:.4g}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- sections ----------------------------------------------------------------------------------


def _scenarios(n: int) -> dict[str, bounds.Scenario]:
    return {
        "replace": Replace(n),
        "proportion": Proportion(n, 0.5),
        "augment": Augment(n, 2 * n),
        "accumulate": Accumulate(n, n),
    }


def section_bounds(settings: Settings) -> str:
    """Theorem R's bound B_i for each scenario, the power-law error, i = 1..100."""
    error = power_law(1.0, ALPHA)
    i = np.arange(1, 101)
    curves = {name: bound(s, error) for name, s in _scenarios(settings.n).items()}
    values = {name: b.evaluate(i=i) for name, b in curves.items()}
    rows = [[int(g), *(float(values[k][g - 1]) for k in values)] for g in i]
    write_text_atomic(settings.out / "bounds.csv", _csv_text(["i", *values], rows))
    figure = figures.bound_curves(i, values, f"eps(N) = N^-{ALPHA}, n = N = {settings.n}")
    save_figure(figure, settings.out / "bounds.png")
    limits = [[name, f"${sympy.latex(b.expr)}$", b.limit_value()] for name, b in curves.items()]
    return "\n\n".join(
        [
            "## Theorem R: the bound B_i by scenario",
            f"Error model ε(N) = C·N^(−α) with C = 1, α = {ALPHA}; n = N = {settings.n}, λ = 0.5,"
            f" m = 2n (augment), m = n (accumulate). Values above 1 are vacuous for TV and drawn"
            f" as they are. Data: `bounds.csv`.",
            "![bounds](bounds.png)",
            _table(["scenario", "B_i", "lim B_i"], limits),
        ]
    )


def section_threshold(settings: Settings) -> str:
    """The synthetic-data threshold m*_i of ``augment``: table, figure and asymptotics."""
    generations = np.array([2, 3, 5, 10, 20, 50, 100, 1000, 10000])
    found = phase.power_law_thresholds(generations, ALPHA, settings.n)
    rows = [
        [
            int(r["i"]),
            r["m"],
            r["m"] / settings.n,
            r["m"] / (r["i"] * settings.n),
            r["ratio"],
            bool(c),
        ]
        for r, c in zip(found.rows(), found.certified, strict=True)
    ]
    save_figure(
        threshold_figure((2, 5, 10, 20), ALPHA, n=settings.n), settings.out / "threshold.png"
    )
    exact = phase.threshold(2, settings.n, power_law(1.0, ALPHA), digits=30)
    return "\n\n".join(
        [
            "## Phase transition in the amount of synthetic data",
            "Scenario augment, ε(N) = N^(−α): as the synthetic amount m grows the bound first"
            " rises, then falls past m*_i. Each threshold is certified by the sign of dB_i/dm on"
            " both sides.",
            "![threshold](threshold.png)",
            _table(["i", "m*_i", "m*_i/n", "m*_i/(i n)", "B_i(m*)/B_i(0)", "certified"], rows),
            f"At i = 2 the closed form (α^(−1/(1−α)) − 1)·n gives m*_2 = {exact.m} (30 digits)."
            f" As i → ∞, m*_i/(i n) → {phase.asymptotic_slope(ALPHA):.6f} and the peak ratio"
            f" grows like {phase.asymptotic_peak_constant(ALPHA):.6f}·i^(1−α).",
        ]
    )


def section_stopping(settings: Settings) -> str:
    """Optimal early stopping of the random-feature diffusion bound."""
    del settings
    sizes = np.array([1e3, 1e4, 1e5, 1e6])
    rows = []
    for width in (256, 4096):
        result = stopping.early_stopped_error(sizes, width)
        asymptotic = stopping.tau_star_asymptotic(sizes, width)
        for k, size in enumerate(sizes):
            rows.append([width, int(size), result.tau_exact[k], asymptotic[k], result.epsilon[k]])
    return "\n\n".join(
        [
            "## Optimal early stopping (random-feature diffusion, Li et al.)",
            "τ* is the positive root of 4Mτ⁵ + 3Nτ⁴ = M²N; ε is the Pinsker TV bound at"
            " max(τ*, 1) with every constant 1. The asymptotic (MN/4)^(1/5) is accurate when"
            " M ≫ N^(2/3).",
            _table(["M", "N", "τ* exact", "(MN/4)^(1/5)", "ε(N) at τ*"], rows),
        ]
    )


def _executor(settings: Settings) -> Executor | None:
    return ProcessPoolExecutor(settings.jobs) if settings.jobs > 1 else None


def _run_sweep(runs: list, path: Path, settings: Settings) -> list[dict]:
    executor = _executor(settings)
    try:
        sweep(runs, path, executor)
    finally:
        if executor is not None:
            executor.shutdown()
    keys = {run.key() for run in runs}  # only what these settings ask for, never stale records
    return [r for r in read_records(path) if r["key"] in keys]


def section_kde(settings: Settings) -> str:
    """KDE loops under every scenario: delta_i, Theorem R per run (level 1), explicit constants
    (level 2)."""
    scenarios = _scenarios(settings.n)
    runs = grid(
        list(scenarios.values()),
        [MODELS.component("kde", bandwidth=KDE_BANDWIDTH)],
        [TRUTHS.describe(KDE_TRUTH)],
        range(settings.seeds),
        settings.generations,
        real=("fresh",),
    )
    start = time.perf_counter()
    records = _run_sweep(runs, settings.out / "runs-kde.jsonl", settings)
    elapsed = time.perf_counter() - start
    level1 = check_propagation(records)
    by_name = {name: [r for r in records if r["scenario"]["name"] == name] for name in scenarios}
    explicit = {
        name: kde_loop_bound(s, gaussian_truth(KDE_TRUTH), KDE_BANDWIDTH, settings.generations)
        for name, s in scenarios.items()
        if not s.keeps_synthetic
    }
    figure = figures.delta_by_generation(
        by_name, {k: v.total for k, v in explicit.items()}, "KDE loop"
    )
    save_figure(figure, settings.out / "kde.png")
    level2_rows = []
    for name, result in explicit.items():
        checked = check_expected_tv(by_name[name], result.total)
        for row in checked:
            if row["generation"] in (1, 2, 5, 10, settings.generations):
                level2_rows.append(
                    [
                        name,
                        row["generation"],
                        row["mean_delta"],
                        row["half_width"],
                        row["bound"],
                        row["ratio"],
                        row["holds"],
                    ]
                )
    later = [r for r in level1 if r["generation"] > 1]  # at i = 1, delta_1 = eps_1 exactly
    worst = min(later, key=lambda r: r["margin"])
    worst_scenario = next(r for r in records if r["key"] == worst["run"])["scenario"]["name"]
    return "\n\n".join(
        [
            "## Kernel density estimation in the loop",
            f"Gaussian KDE, h = {KDE_BANDWIDTH}, truth N(0, 1), fresh real data each generation,"
            f" {settings.seeds} seeds × {len(scenarios)} scenarios × {settings.generations}"
            f" generations ({elapsed:.1f} s). TV is exact up to the reported quadrature error."
            " Solid: mean δ_i over seeds (band: min–max); dashed: the explicit-constant bound on"
            " E δ_i (not defined for accumulate, whose kept synthetic sets are reused).",
            "![kde](kde.png)",
            "**Level 1 (Theorem R in every run).**"
            f" {sum(r['holds'] for r in level1)} of {len(level1)} (run, generation) rows hold."
            f" Beyond generation 1 (where δ_1 = ε_1 exactly) the smallest margin"
            f" ε_i + Σ_j w_ij δ_j − δ_i is {worst['margin']:.3g} ({worst_scenario}, i ="
            f" {worst['generation']}), against a quadrature tolerance of {worst['tolerance']:.2g}."
            " For two-component mixtures (replace, proportion, augment) the convexity step is an"
            " identity, so margins there come from the triangle inequality alone.",
            "**Level 2 (explicit constants).** Mean δ_i over seeds with a t interval (Bonferroni"
            " over generations, failure probability 0.01) against the bound of `bounds.kde`:",
            _table(["scenario", "i", "mean δ_i", "±", "bound", "mean/bound", "holds"], level2_rows),
        ]
    )


def section_diffusion(settings: Settings) -> str:
    """The random-feature diffusion model in the loop: densities, Theorem R (level 1), and the
    N^(-1/5) rate with its constant fitted on generation-1 runs, checked on held-out loops
    (level 3)."""
    model = MODELS.component("diffusion", width=DIFFUSION_WIDTH)
    truth = TRUTHS.describe(DIFFUSION_TRUTH)
    n, generations = settings.n, min(settings.generations, DIFFUSION_GENERATIONS)
    sizes = [n // 4, n // 2, n, 2 * n]
    calibration_runs = grid([Replace(N) for N in sizes], [model], [truth], range(2), 1)
    calibration = _run_sweep(
        calibration_runs, settings.out / "runs-diffusion-calibration.jsonl", settings
    )
    held_out_runs = grid(
        [Augment(n, k * n) for k in (1, 2, 4)], [model], [truth], [100], generations
    )
    held_out = _run_sweep(held_out_runs, settings.out / "runs-diffusion-held-out.jsonl", settings)
    C = fit_power_law_constant(calibration, ALPHA)
    level3 = check_calibrated_bound(held_out, power_law(C, ALPHA))
    level1 = check_propagation(calibration + held_out)
    log_n = np.log([r["N"] for r in calibration])
    slope = float(np.polyfit(log_n, np.log([r["delta"] for r in calibration]), 1)[0])
    figures.diffusion_generations(
        settings.out / "diffusion.png",
        scenario=Augment(n, 2 * n),
        generations=min(generations, 5),
        width=DIFFUSION_WIDTH,
        truth=DIFFUSION_TRUTH,
    )
    rows = [
        [
            r["scenario"],
            r["generation"],
            r["delta"],
            r["bound"],
            r["margin"],
            r["holds"],
            r["eps_within"],
        ]
        for r in level3
    ]
    return "\n\n".join(
        [
            "## Diffusion with a random-feature score in the loop",
            f"Score (1/M)·A·relu(Wx + U e(t)), M = {DIFFUSION_WIDTH}, A trained by the closed-form"
            " gradient flow; the probability-flow sampler's output density is computed exactly,"
            " so TV needs no samples. Truth: the mixture ½N(−1.5, 0.5) + ½N(1.5, 0.5).",
            "![diffusion](diffusion.png)",
            f"**Level 1.** Theorem R holds in {sum(r['holds'] for r in level1)} of {len(level1)}"
            " (run, generation) rows of the runs below.",
            f"**The rate.** On generation 1 (N = {', '.join(map(str, sizes))}, two seeds each),"
            f" log δ_1 against log N has slope {slope:.3f}; Li et al.'s bound decays like"
            f" N^(−1/5) (slope −0.2), and an upper bound may be less steep than the truth.",
            f"**Level 3 (calibrated rate).** The smallest C with ε_1 ≤ C·N^(−1/5) on those"
            f" calibration runs is C = {C:.4g}. With it, Theorem R's bound for augment (n = {n},"
            f" held-out seed, m = n, 2n, 4n, {generations} generations) against the measured δ_i:",
            _table(
                ["scenario", "i", "δ_i", "bound B_i", "margin", "holds", "ε_i ≤ C N_i^(−1/5)"], rows
            ),
            "The last column checks the assumption behind the bound, that one constant serves"
            " every generation: the learning error ε_i = TV(p_i, q_i) of each held-out generation"
            " against the calibrated rate at its own training-set size.",
        ]
    )


SECTIONS: tuple[Callable[[Settings], str], ...] = (
    section_bounds,
    section_threshold,
    section_stopping,
    section_kde,
    section_diffusion,
)


def build_report(settings: Settings) -> Path:
    """Run every section and write ``report.md`` into ``settings.out``."""
    settings.out.mkdir(parents=True, exist_ok=True)
    header = (
        "# Self-consuming generative models: bounds and checks\n\n"
        f"Made by `python -m empirical.report` (version {bounds.__version__}) with seeds ="
        f" {settings.seeds}, generations = {settings.generations}, n = {settings.n}. Every"
        " hidden constant of the theory is 1 unless a section says otherwise."
    )
    parts = [header]
    for section in SECTIONS:
        start = time.perf_counter()
        parts.append(section(settings))
        print(f"{section.__name__}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return write_text_atomic(settings.out / "report.md", "\n\n".join(parts) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m empirical.report",
        description="Compute bound curves and thresholds, run loops, check the bounds, report.",
        epilog="example: python -m empirical.report --out report --seeds 20 --jobs 2",
    )
    parser.add_argument("--out", default="report", help="output folder (default: report)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per loop (>= 10)")
    parser.add_argument("--generations", type=int, default=30, help="generations per loop")
    parser.add_argument("--n", type=int, default=1000, help="real-data size of the loops")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the loops")
    args = parser.parse_args(argv)
    try:
        settings = Settings(Path(args.out), args.seeds, args.generations, args.n, args.jobs)
    except (TypeError, ValueError) as error:
        print(f"python -m empirical.report: error: {error}", file=sys.stderr)
        return 2
    path = build_report(settings)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

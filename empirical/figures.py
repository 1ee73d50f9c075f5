"""Figures, one function each, drawn on matplotlib's Agg canvas (no pyplot, no global state).

From records: ``bound_curves`` and ``delta_by_generation`` return a Figure (save it with
``bounds.plotting.save_figure``). Self-contained demonstrations that run their loops and write a
PNG: ``kde_replace_vs_proportion`` and ``diffusion_generations``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bounds import Proportion, Replace, validate
from bounds.plotting import save_figure
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.truths import Gaussian

__all__ = [
    "bound_curves",
    "delta_by_generation",
    "diffusion_generations",
    "kde_replace_vs_proportion",
]


def _figure(width: float = 6.0, height: float = 4.0) -> Figure:
    """A figure on an Agg canvas (no pyplot, no global state)."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def kde_replace_vs_proportion(
    path: str | os.PathLike,
    *,
    N: int = 2000,
    lam: float = 0.5,
    bandwidth: float = 0.3,
    generations: int = 30,
    seeds: int = 3,
    truth: object | None = None,
) -> Path:
    """delta_i = TV(p_i, p_0) against i for a fixed-bandwidth KDE loop under ``replace`` and
    ``proportion(lam)``: the mean over ``seeds`` seeds, with the min-max band. Under replace
    the population variance s^2 + i h^2 grows without limit; with real data it stays below
    s^2 + h^2 / lam, so delta levels off."""
    seeds = validate.whole("seeds", seeds, minimum=1)
    truth = Gaussian(0.0, 1.0) if truth is None else truth
    runs = {
        str(scenario): [
            record
            for seed in range(seeds)
            for record in run_loop(scenario, lambda: KDE(bandwidth), truth, generations, seed)
        ]
        for scenario in (Replace(N), Proportion(N, lam))
    }
    title = f"KDE loop, h = {bandwidth}, {seeds} seeds (band: min-max)"
    return save_figure(delta_by_generation(runs, {}, title), path)


def diffusion_generations(
    path: str | os.PathLike,
    *,
    scenario: object | None = None,
    generations: int = 5,
    width: int = 256,
    seed: int = 0,
    truth: object | None = None,
) -> Path:
    """The random-feature diffusion model's computed output densities p_1, ..., p_G (exact, not
    sampled: ``empirical.diffusion.density``) next to the truth p_0, for one loop run of
    ``scenario`` (default ``Augment(1000, 2000)``), each labelled with delta_i = TV(p_i, p_0)."""
    import matplotlib

    from bounds import Augment
    from empirical.diffusion import DiffusionModel

    generations = validate.whole("generations", generations, minimum=1)
    scenario = Augment(1000, 2000) if scenario is None else scenario
    truth = Gaussian(0.0, 1.0) if truth is None else truth
    if truth.dim != 1:
        raise ValueError(f"truth must be one-dimensional for this figure, got dim {truth.dim}")
    models: list[DiffusionModel] = []

    def factory() -> DiffusionModel:
        models.append(DiffusionModel(width=width))
        return models[-1]

    records = run_loop(scenario, factory, truth, generations, seed)
    lo, hi = truth.bounding_box(1e-4)
    centre, half = (lo[0] + hi[0]) / 2, 0.75 * (hi[0] - lo[0])
    x = np.linspace(centre - half, centre + half, 2001)[:, None]
    fig = _figure()
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["viridis"]
    for i, (model, record) in enumerate(zip(models, records, strict=True), start=1):
        colour = cmap((i - 1) / max(1, generations - 1))
        label = rf"$p_{{{i}}}$, $\delta$ = {record['delta']:.3f}"
        ax.plot(x[:, 0], model.pdf(x), color=colour, lw=1.2, label=label)
    ax.plot(x[:, 0], truth.pdf(x), color="black", lw=2.0, ls="--", label=r"truth $p_0$")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(f"random-feature diffusion, M = {width}\n{scenario}: generated densities")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def bound_curves(i: np.ndarray, values: dict[str, np.ndarray], title: str) -> Figure:
    """Theorem R's bound B_i against i, one curve per scenario; the vacuous region (TV > 1)
    shaded, values drawn as they are."""
    fig = _figure()
    ax = fig.add_subplot()
    for name, curve in values.items():
        ax.plot(i, curve, label=name)
    top = max(float(np.max(v)) for v in values.values())
    if top > 1:
        ax.axhspan(1.0, top * 1.05, color="grey", alpha=0.15, label="TV > 1: vacuous")
    ax.set_xlabel("generation i")
    ax.set_ylabel("bound $B_i$ on TV$(p_i, p_0)$")
    ax.set_title(title)
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def delta_by_generation(
    records: dict[str, list[dict]], bound: dict[str, np.ndarray], title: str
) -> Figure:
    """Mean delta_i over the runs of each scenario (band: min-max), and a bound per scenario
    where given (dashed, same colour)."""
    fig = _figure()
    ax = fig.add_subplot()
    for k, (name, rows) in enumerate(records.items()):
        generations = sorted({r["generation"] for r in rows})
        deltas = [[r["delta"] for r in rows if r["generation"] == g] for g in generations]
        colour = f"C{k}"
        ax.plot(generations, [np.mean(d) for d in deltas], color=colour, label=name)
        low, high = [np.min(d) for d in deltas], [np.max(d) for d in deltas]
        ax.fill_between(generations, low, high, color=colour, alpha=0.2)
        if name in bound:
            ax.plot(generations, bound[name][: len(generations)], "--", color=colour, lw=1)
    ax.set_xlabel("generation i")
    ax.set_ylabel(r"$\delta_i = \mathrm{TV}(p_i, p_0)$")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

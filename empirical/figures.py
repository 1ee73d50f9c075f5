"""Figures, one function each, drawn on matplotlib ``Figure`` objects with an Agg canvas (no
pyplot, the process-wide backend never switched). Save one with ``save(figure, path)``.

Drawn from records or bound values, never simulating: ``bound_curves``, ``threshold_curves``,
``delta_by_generation`` and ``densities``. Every drawn line has a legend entry; an axis is linear
where the values it shows sit within a decade and logarithmic otherwise (``value_scale``); a TV
bound that can exceed 1 is drawn with the line TV = 1 (above it a TV bound says nothing).

Two demonstrations run their own loops and write a PNG (the report never uses them):
``kde_replace_vs_proportion`` and ``diffusion_generations``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bounds import Proportion, Replace, validate
from bounds.io import write_atomic
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.records import check_records
from empirical.spec import check_sequence
from empirical.truths import Gaussian

__all__ = [
    "new_figure",
    "bound_curves",
    "delta_by_generation",
    "densities",
    "diffusion_generations",
    "kde_replace_vs_proportion",
    "save",
    "threshold_curves",
    "value_scale",
]

_TV_ONE = {"color": "grey", "ls": ":", "lw": 1.2, "label": "TV = 1 (above: vacuous)"}

MAX_SEEDS = 10_000  # kde_replace_vs_proportion: seeds averaged
MAX_INCHES = 200.0  # a figure side: matplotlib refuses figures of 2^16 pixels or more


def new_figure(width: float = 6.0, height: float = 4.0) -> Figure:
    """A figure on an Agg canvas (no pyplot, no global state); sizes in inches."""
    width = validate.real("width", width, 0.0, MAX_INCHES, low_open=True)
    height = validate.real("height", height, 0.0, MAX_INCHES, low_open=True)
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save(figure: Figure, path: str | os.PathLike) -> Path:
    """Write ``figure`` as PNG to ``path`` atomically (a reader never sees half a file)."""
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {validate.shown(figure)}")
    return write_atomic(
        path, lambda tmp: figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    )


def _numbers(name: str, values: object) -> np.ndarray:
    """Real numbers to draw (NaN and inf allowed: they are left out of the picture)."""
    if isinstance(values, str | bytes | bool) or values is None:
        raise TypeError(f"{name} must be numbers, got {validate.shown(values)}")
    try:
        if np.iscomplexobj(np.asarray(values)):
            raise TypeError(f"{name} must be real numbers, got {validate.shown(values)}")
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be numbers, got {validate.shown(values)}") from None


def _curve(name: str, values: object, size: int | None = None, low: float = -np.inf) -> np.ndarray:
    """A 1-d array of finite numbers (of ``size`` entries when given) to draw."""
    arr = validate.array(name, values, ndim=1, low=low)
    if size is not None and arr.size != size:
        raise ValueError(f"{name} must hold {size} values, got {arr.size}")
    return arr


def _mapping(name: str, value: object, empty: bool = True):
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {validate.shown(value)}")
    if not value and not empty:
        raise ValueError(f"{name} must hold at least one entry, got {{}}")
    return value.items()


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text, got {validate.shown(value)}")
    return value


def value_scale(values: object) -> str:
    """ "linear" if the positive values shown span at most a decade (max <= 10 min), else "log"."""
    finite = _numbers("values", values)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0 or finite.max() <= 10 * finite.min():
        return "linear"
    return "log"


def _tv_one_if_reached(ax: Axes, values: object) -> None:
    """Draw TV = 1 when any value reaches it."""
    if np.nanmax(np.asarray(values, dtype=float)) >= 1:
        ax.axhline(1.0, **_TV_ONE)


def bound_curves(
    i: np.ndarray,
    values: Mapping[str, np.ndarray],
    title: str,
    limits: Mapping[str, float] | None = None,
) -> Figure:
    """Theorem R's bound B_i against generation i, one panel per scenario (each on the scale
    its own values need), its finite limit as i -> oo dashed where given, TV = 1 drawn where a
    curve or its limit reaches it; values drawn as they are."""
    i = _curve("i", i)
    values = {
        name: _curve(f"values[{name!r}]", c, i.size)
        for name, c in _mapping("values", values, empty=False)
    }
    limits = dict(_mapping("limits", {} if limits is None else limits))
    title = _text("title", title)
    fig = new_figure(8.0, 6.0)
    axes = fig.subplots(2, (len(values) + 1) // 2, squeeze=False).ravel()
    for k, (ax, (name, curve)) in enumerate(zip(axes, values.items(), strict=False)):
        ax.plot(i, curve, color=f"C{k}", label=f"$B_i$, {name}")
        shown = list(np.asarray(curve, dtype=float))
        limit = limits.get(name)
        if limit is not None and np.isfinite(limit):
            ax.axhline(limit, color=f"C{k}", ls="--", lw=0.8, label=f"limit {limit:.4g}")
            shown.append(limit)
        _tv_one_if_reached(ax, shown)
        ax.set_yscale(value_scale(shown))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("generation i")
        ax.set_ylabel("bound $B_i$")
        ax.legend(fontsize=7)
    for ax in axes[len(values) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def threshold_curves(
    ratios: np.ndarray,
    curves: Mapping[int, np.ndarray],
    peaks: Mapping[int, tuple[float, float]],
    title: str,
) -> Figure:
    """B_i(m) against m/n (log axis) for a few generations i, each threshold m*_i marked at
    (m*_i/n, B_i(m*_i)), TV = 1 drawn where a curve reaches it."""
    ratios = _curve("ratios", ratios, low=0.0)
    curves = {
        i: _curve(f"curves[{i!r}]", c, ratios.size)
        for i, c in _mapping("curves", curves, empty=False)
    }
    peaks = dict(_mapping("peaks", peaks))
    for i in curves:
        if i not in peaks:
            raise ValueError(f"peaks must hold a peak (m*/n, B) for every curve, not for {i!r}")
        peaks[i] = tuple(_curve(f"peaks[{i!r}]", peaks[i], 2))
    title = _text("title", title)
    fig = new_figure()
    ax = fig.add_subplot()
    for k, (i, curve) in enumerate(curves.items()):
        ax.plot(ratios, curve, color=f"C{k}", label=f"$B_{{{i}}}(m)$")
        x, peak = peaks[i]
        ax.plot(x, peak, "o", color=f"C{k}", label=f"$m^*_{{{i}}}$ = {x:.3g} n, peak {peak:.3g}")
    shown = np.concatenate([np.asarray(c, dtype=float) for c in curves.values()])
    _tv_one_if_reached(ax, shown)
    ax.set_xscale("log")
    ax.set_yscale(value_scale(shown))
    ax.set_xlabel("synthetic / real, m/n")
    ax.set_ylabel("TV bound $B_i(m)$")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def delta_by_generation(
    records: Mapping[str, Sequence[Mapping]], bound: Mapping[str, np.ndarray], title: str
) -> Figure:
    """Mean delta_i over the runs of each group of records (band: min-max over those runs), and
    a bound per group where given (dashed, same colour, its own legend entry)."""
    records = {
        name: check_records(rows, f"records[{name!r}]")
        for name, rows in _mapping("records", records, empty=False)
    }
    bound = {name: _curve(f"bound[{name!r}]", c) for name, c in _mapping("bound", bound)}
    title = _text("title", title)
    fig = new_figure(6.5, 4.5)
    ax = fig.add_subplot()
    shown: list[float] = []
    for k, (name, rows) in enumerate(records.items()):
        generations = sorted({r["generation"] for r in rows})
        deltas = [[r["delta"] for r in rows if r["generation"] == g] for g in generations]
        colour = f"C{k}"
        mean = [float(np.mean(d)) for d in deltas]
        ax.plot(generations, mean, color=colour, label=rf"mean $\delta_i$, {name}")
        low, high = [min(d) for d in deltas], [max(d) for d in deltas]
        ax.fill_between(generations, low, high, color=colour, alpha=0.2, lw=0)
        shown += low + high
        if name in bound:
            curve = np.asarray(bound[name][: len(generations)], dtype=float)
            ax.plot(generations, curve, "--", color=colour, lw=1, label=f"bound, {name}")
            shown += curve.tolist()
    ax.fill_between([], [], [], color="grey", alpha=0.2, lw=0, label="min–max over runs")
    _tv_one_if_reached(ax, shown)
    ax.set_xlabel("generation i")
    ax.set_ylabel(r"$\delta_i = \mathrm{TV}(p_i, p_0)$")
    ax.set_yscale(value_scale(shown))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def densities(
    x: np.ndarray, truth: np.ndarray, curves: Sequence[tuple[str, np.ndarray]], title: str
) -> Figure:
    """Densities on the points ``x``: each (label, values) of ``curves`` in viridis order, the
    truth dashed black."""
    x = _curve("x", x)
    truth = _curve("truth", truth, x.size)
    pairs = check_sequence("curves", curves)
    if not all(isinstance(pair, tuple | list) and len(pair) == 2 for pair in pairs):
        raise TypeError(f"curves must be (label, values) pairs, got {validate.shown(curves)}")
    curves = [(str(label), _curve(f"curves[{k}]", v, x.size)) for k, (label, v) in enumerate(pairs)]
    title = _text("title", title)
    fig = new_figure()
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["viridis"]
    for k, (label, values) in enumerate(curves):
        ax.plot(x, values, color=cmap(k / max(1, len(curves) - 1)), lw=1.2, label=label)
    ax.plot(x, truth, color="black", lw=2.0, ls="--", label=r"truth $p_0$")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- demonstrations: they run their own loops ---------------------------------------------------


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
    """Run, then draw delta_i = TV(p_i, p_0) against i for a fixed-bandwidth KDE loop under
    ``replace`` and ``proportion(lam)``: the mean over ``seeds`` seeds, with the min-max band.
    Under replace the population variance s^2 + i h^2 grows without limit; with real data it
    stays below s^2 + h^2 / lam, so delta levels off."""
    N = validate.size("N", N)
    seeds = validate.size("seeds", seeds, maximum=MAX_SEEDS)
    truth = Gaussian(0.0, 1.0) if truth is None else truth
    runs = {
        str(scenario): [
            record
            for seed in range(seeds)
            for record in run_loop(scenario, lambda: KDE(bandwidth), truth, generations, seed)
        ]
        for scenario in (Replace(N), Proportion(N, lam))
    }
    title = f"KDE loop, h = {bandwidth}, N = {N}, seeds 0–{seeds - 1}, fixed real data"
    return save(delta_by_generation(runs, {}, title), path)


def diffusion_generations(
    path: str | os.PathLike,
    *,
    scenario: object | None = None,
    generations: int = 5,
    width: int = 256,
    seed: int = 0,
    truth: object | None = None,
) -> Path:
    """Run one loop of the random-feature diffusion model under ``scenario`` (default
    ``Augment(1000, 2000)``), then draw its computed output densities p_1, ..., p_G (exact, not
    sampled) next to the truth p_0, each labelled with delta_i = TV(p_i, p_0)."""
    from bounds import Augment
    from empirical.experiments.diffusion_loops import run_with_densities
    from empirical.spec import MODELS, TRUTHS, RunSpec

    generations = validate.whole("generations", generations, minimum=1)
    scenario = Augment(1000, 2000) if scenario is None else scenario
    truth = Gaussian(0.0, 1.0) if truth is None else truth
    if truth.dim != 1:
        raise ValueError(f"truth must be one-dimensional for this figure, got dim {truth.dim}")
    model = MODELS.component("diffusion", width=width)
    records = run_with_densities(
        RunSpec(scenario, model, TRUTHS.describe(truth), generations, seed)
    )
    box = records[0]["density"]
    x = np.linspace(box["lo"], box["hi"], box["points"])
    curves = [
        (rf"$p_{{{r['generation']}}}$, $\delta$ = {r['delta']:.3f}", np.array(r["density"]["pdf"]))
        for r in records
    ]
    title = f"random-feature diffusion, M = {width}, {scenario}, seed {seed}, fixed real data"
    return save(densities(x, truth.pdf(x[:, None]), curves, title), path)

"""Figures: a bound along one parameter, and the phase transition B_i(m) with its thresholds.

matplotlib is imported only when a figure is made. Figures are ``matplotlib.figure.Figure``
objects with their own Agg canvas: no display is needed, and the process-wide backend (and
pyplot's figure list) are left as the caller set them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bounds.io import write_atomic


def _figure():
    """A 6 x 4 inch Figure drawn by its own Agg canvas, and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def save_figure(figure, path: str | os.PathLike) -> Path:
    """Write ``figure`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    return write_atomic(path, lambda tmp: figure.savefig(tmp, dpi=120, bbox_inches="tight"))


def curve_figure(x: np.ndarray, y: np.ndarray, xlabel: str, title: str, log: bool = False):
    """A bound against one parameter; values above 1 (vacuous for TV) shaded, never clipped."""
    figure, axes = _figure()
    axes.plot(x, y, color="C0", label="bound")
    axes.axhline(1.0, color="grey", linestyle=":", label="TV = 1 (above: vacuous)")
    vacuous = np.asarray(y) > 1
    if vacuous.any():
        axes.plot(np.asarray(x)[vacuous], np.asarray(y)[vacuous], "x", color="C3", markersize=3)
    axes.set(xlabel=xlabel, ylabel="TV bound", title=title)
    if log:
        axes.set_xscale("log")
    axes.legend(frameon=False)
    return figure


def threshold_figure(
    generations: Sequence[int] = (2, 5, 10, 20),
    alpha: float = 0.2,
    C: float = 1.0,
    n: float = 1.0,
    ratio_max: float = 1e3,
):
    """B_i(m) = C n^-alpha g_i(x) against m/n (log scale) for a few i, thresholds m*_i marked.

    Uses the power law eps(N) = C N^-alpha; the peaks come from ``phase.power_law_thresholds``.
    """
    from bounds import phase

    ratios = np.logspace(-3, np.log10(ratio_max), 400)
    found = phase.power_law_thresholds(np.asarray(generations), alpha, n, C)
    figure, axes = _figure()
    for k, i in enumerate(generations):
        curve = C * n**-alpha * phase.power_law_ratio(ratios, i, alpha)
        axes.plot(ratios, curve, color=f"C{k}", label=f"i = {i}")
        axes.plot(found.m[k] / n, found.peak[k], "o", color=f"C{k}")
    axes.set_xscale("log")
    axes.set(
        xlabel="synthetic / real, m/n",
        ylabel="TV bound B_i(m)",
        title=f"augment, eps(N) = {C:g} N^-{alpha:g}, n = {n:g}: peaks at m*_i",
    )
    axes.legend(frameon=False)
    return figure

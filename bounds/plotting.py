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

from bounds import validate
from bounds.io import check_writable, write_atomic


def _items(values: object) -> list:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"generations must be a sequence of whole numbers >= 2, got {values!r}")
    return list(np.ravel(np.asarray(values, dtype=object)))


def _figure():
    """A 6 x 4 inch Figure drawn by its own Agg canvas, and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def save_figure(figure, path: str | os.PathLike) -> Path:
    """Write ``figure`` to ``path`` atomically (temporary file in the same folder, then rename).

    The format is the path's suffix (PNG when there is none), never the temporary file's name;
    a suffix matplotlib cannot write is refused, naming the file.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    if not callable(getattr(figure, "savefig", None)):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    target = check_writable(path, "file")
    kind = target.suffix.lower().removeprefix(".") or "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if kind not in supported:
        raise ValueError(
            f"file {str(target)!r}: matplotlib cannot write {kind!r}; use one of "
            f"{', '.join(sorted(supported))}"
        )
    return write_atomic(
        target, lambda tmp: figure.savefig(tmp, format=kind, dpi=120, bbox_inches="tight")
    )


def curve_figure(x: np.ndarray, y: np.ndarray, xlabel: str, title: str, log: bool = False):
    """A bound against one parameter; values above 1 (vacuous for TV) marked, never clipped."""
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {log!r}")
    x = validate.array("x", x, ndim=1, low=0.0 if log else -np.inf, low_open=log)
    y = validate.array("y", y, ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    for label, text in (("xlabel", xlabel), ("title", title)):
        if not isinstance(text, str):
            raise TypeError(f"{label} must be a string, got {text!r}")
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

    generations = [validate.whole("generations", i, minimum=2) for i in _items(generations)]
    if not 1 <= len(generations) <= 10:
        raise ValueError(f"generations must hold 1 to 10 generations >= 2, got {len(generations)}")
    alpha = validate.real("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)
    C, n = validate.positive("C", C), validate.positive("n", n)
    ratio_max = validate.real("ratio_max", ratio_max, 1e-3, 1e12, low_open=True)
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

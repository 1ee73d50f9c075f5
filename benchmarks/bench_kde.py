"""KDE speed against peers, as ratios measured in the same run.

Run: ``python benchmarks/bench_kde.py``.

Measures, at N = 10^4 points in d = 1:
- density on a regular grid of 8193 nodes: ours (binned FFT, and its L1 error against our exact
  sum) vs scipy ``gaussian_kde`` (exact sum), scikit-learn ``KernelDensity`` (tree) and KDEpy
  ``FFTKDE`` (binned FFT), each at the same bandwidth; a peer not installed is skipped with a note;
- sampling 10^5 points: ours vs scipy ``resample`` and scikit-learn ``sample``.

The whole loop (50 generations of ``replace`` at N = 10^4, exact TV each) against the same loop
with each peer is a case of the suite: ``python -m benchmarks --only kde_loop_1d``.
"""

from __future__ import annotations

import importlib.util

import numpy as np
from scipy.stats import gaussian_kde
from timing import best_of

from empirical.kde import KDE
from empirical.tv import Grid, integrate

N, H, NODES, DRAWS = 10_000, 0.1, 8193, 100_000


def row(name: str, seconds: float, base: float | None = None, note: str = "") -> None:
    """One line: name, time in ms, ratio to ``base`` (peer time / our time), a note."""
    ratio = f"ratio {seconds / base:8.1f}" if base else " " * 14
    print(f"  {name:22s}{seconds * 1e3:9.2f} ms   {ratio}   {note}")


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal(N)
    grid = Grid(-6.0, 6.0, NODES)
    xs = grid.axes[0]
    ours = KDE(H).fit(X)

    print(f"density on a grid of {NODES} nodes, N = {N}, h = {H}")
    t_ours, (fast, est) = best_of(lambda: ours.grid_pdf(grid))
    t_exact, (exact, _) = best_of(lambda: ours.grid_pdf(grid, exact=True), repeat=1)
    l1 = integrate(np.abs(fast - exact), grid)
    row("ours (binned FFT)", t_ours, note=f"L1 error vs exact sum {l1:.1e} (reported {est:.1e})")
    row("ours (exact sum)", t_exact, t_ours)
    scipy_kde = gaussian_kde(X, bw_method=H / X.std(ddof=1))
    t, ref = best_of(lambda: scipy_kde(xs), repeat=1)
    row("scipy gaussian_kde", t, t_ours, f"max |diff| {np.max(np.abs(ref - fast)):.1e}")
    if importlib.util.find_spec("sklearn") is None:
        print("  scikit-learn not installed: skipped (pip install scikit-learn)")
        sk = None
    else:
        from sklearn.neighbors import KernelDensity

        sk = KernelDensity(bandwidth=H).fit(X[:, None])
        t, ref = best_of(lambda: np.exp(sk.score_samples(xs[:, None])), repeat=1)
        row("sklearn KernelDensity", t, t_ours, f"max |diff| {np.max(np.abs(ref - fast)):.1e}")
    if importlib.util.find_spec("KDEpy") is None:
        print("  KDEpy not installed: skipped (pip install KDEpy)")
    else:
        from KDEpy import FFTKDE

        t, ref = best_of(lambda: FFTKDE(bw=H).fit(X).evaluate(xs))
        row("KDEpy FFTKDE", t, t_ours, f"max |diff| {np.max(np.abs(ref - fast)):.1e}")

    print(f"\nsampling {DRAWS} points")
    t_ours, _ = best_of(lambda: ours.sample(DRAWS, np.random.default_rng(1)))
    row("ours", t_ours)
    t, _ = best_of(lambda: scipy_kde.resample(DRAWS, seed=np.random.default_rng(1)))
    row("scipy resample", t, t_ours)
    if sk is None:
        print("  scikit-learn not installed: skipped")
    else:
        t, _ = best_of(lambda: sk.sample(DRAWS, random_state=1))
        row("sklearn sample", t, t_ours)
    print("  KDEpy has no sampler")


if __name__ == "__main__":
    main()

"""Cost curves: wall time and peak memory against the problem size, on log-log axes.

- ``kde_loop_N``: ``run_loop(Replace(N), KDE(0.1), N(0, 1), 10 generations)`` against N;
- ``kde_loop_G``: the same loop at N = 10^4 against the number of generations G (``replace``
  needs only the previous generation, so its memory should not grow with G);
- ``diffusion_fit_N``: ``DiffusionModel(width=256).fit`` on N points of N(0, 1) against N (its
  default regression target, the posterior mean under the training set, sums over all N points
  for each of its N x draws rows: N^2 by definition);
- ``diffusion_fit_N_noise``: the same fit with ``target="noise"`` (denoising score matching,
  linear in N);
- ``diffusion_fit_M``: the same fit on N = 2000 points against the width M;
- ``diffusion_loop_N``: ``run_loop(Replace(N), DiffusionModel(width=128), N(0, 1), 3
  generations)`` (exact output density and TV each generation) against N.

Time is the best of three runs; peak memory is the largest traced allocation (``tracemalloc``,
which numpy reports to) of a fourth run. Each curve's slope is the least-squares slope of
log cost on log size (cost ~ size^slope), and its tail slope that of the last two sizes (the
rate once fixed costs, such as a grid of fixed size, no longer dominate).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.timing import best_of
from bounds import Replace
from empirical.diffusion import DiffusionModel
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.truths import Gaussian

TRUTH = Gaussian(0.0, 1.0)
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "performance"
DATA = Path(__file__).resolve().parent / "curves.json"


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak traced memory of one call of ``fn``, in bytes."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def slope(sizes: list[float], costs: list[float]) -> float:
    """Least-squares slope of log cost against log size."""
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def _kde_loop(n: int, generations: int = 10) -> Callable[[], object]:
    return lambda: run_loop(Replace(n), lambda: KDE(0.1), TRUTH, generations, seed=0)


def _fit(n: int, width: int, target: str = "empirical") -> Callable[[], object]:
    X = TRUTH.sample(n, np.random.default_rng(0))
    params = {"width": width, "feature_seed": 0, "target": target}
    return lambda: DiffusionModel(**params).fit(X, np.random.default_rng(1))


def _diffusion_loop(n: int) -> Callable[[], object]:
    return lambda: run_loop(Replace(n), lambda: DiffusionModel(width=128), TRUTH, 3, seed=0)


def plans(smoke: bool) -> dict[str, tuple[str, list[int], Callable[[int], Callable]]]:
    """name -> (size label, sizes, size -> call)."""
    if smoke:
        return {
            "kde_loop_N": ("N", [200, 400], _kde_loop),
            "diffusion_fit_M": ("M", [8, 16], lambda m: _fit(100, m)),
        }
    return {
        "kde_loop_N": ("N", [1000, 3000, 10_000, 30_000, 100_000], _kde_loop),
        "kde_loop_G": ("G", [5, 10, 20, 40, 80], lambda g: _kde_loop(10_000, g)),
        "diffusion_fit_N": ("N", [500, 1000, 2000, 4000, 8000], lambda n: _fit(n, 256)),
        "diffusion_fit_N_noise": (
            "N",
            [500, 1000, 2000, 4000, 8000, 16_000],
            lambda n: _fit(n, 256, "noise"),
        ),
        "diffusion_fit_M": ("M", [64, 128, 256, 512, 1024, 2048, 4096], lambda m: _fit(2000, m)),
        "diffusion_loop_N": ("N", [250, 500, 1000, 2000, 4000], _diffusion_loop),
    }


def measure(smoke: bool) -> dict[str, dict]:
    """Time and peak memory at every size of every curve, with the fitted slopes."""
    out = {}
    for name, (label, sizes, make) in plans(smoke).items():
        seconds, peaks = [], []
        for size in sizes:
            call = make(size)
            seconds.append(best_of(call, 3)[0])
            peaks.append(peak_bytes(call))
            print(f"  {name} {label} = {size}: {seconds[-1]:.3f} s, {peaks[-1] / 2**20:.1f} MiB")
        out[name] = {
            "size": label,
            "sizes": sizes,
            "seconds": seconds,
            "peak_bytes": peaks,
            "time_slope": slope(sizes, seconds),
            "memory_slope": slope(sizes, peaks),
            "time_tail_slope": slope(sizes[-2:], seconds[-2:]),
            "memory_tail_slope": slope(sizes[-2:], peaks[-2:]),
        }
    return out


def plot(data: dict[str, dict], directory: Path) -> list[Path]:
    """One PNG per curve: time and peak memory against size, log-log, slopes in the legends."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, curve in data.items():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
        sizes = curve["sizes"]
        megabytes = [b / 2**20 for b in curve["peak_bytes"]]
        time_label = f"slope {curve['time_slope']:.2f}, tail {curve['time_tail_slope']:.2f}"
        memory_label = f"slope {curve['memory_slope']:.2f}, tail {curve['memory_tail_slope']:.2f}"
        left.loglog(sizes, curve["seconds"], "o-", label=time_label)
        right.loglog(sizes, megabytes, "s-", label=memory_label)
        left.set_ylabel("wall time (s)")
        right.set_ylabel("peak traced memory (MiB)")
        for ax in (left, right):
            ax.set_xlabel(curve["size"])
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticks(sizes, [f"{s:g}" for s in sizes])
            ax.legend()
            ax.grid(True, which="both", alpha=0.3)
        fig.suptitle(name)
        fig.tight_layout()
        path = directory / f"{name}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def main(smoke: bool = False, directory: Path | None = None) -> dict[str, dict]:
    """Measure, write the figures (``docs/performance``) and the numbers (``curves.json``)."""
    data = measure(smoke)
    for path in plot(data, directory or FIGURES):
        print(f"wrote {path}")
    if directory is None:
        DATA.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {DATA}")
    for name, curve in data.items():
        print(
            f"{name}: time ~ {curve['size']}^{curve['time_slope']:.2f}, "
            f"memory ~ {curve['size']}^{curve['memory_slope']:.2f}"
        )
    return data

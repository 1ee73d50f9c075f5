"""Cases on ``empirical.kde``: the 1-D loop, a 2-D fit with TV, and the 2-D blobs loop.

- ``kde_loop_1d``: ``run_loop(Replace(N), KDE(0.1), N(0, 1), 50 generations)``, exact TV each
  generation, against the same ``run_loop`` with a peer estimator (``benchmarks.peers``): same
  data in generation 1, same grid, same TV. Agreement: |delta_1(ours) - delta_1(theirs)| at most
  the sum of the two records' error bounds. The exact-sum peers (scipy, scikit-learn) run 3
  generations, their time scaled to 50 (every generation of ``replace`` costs the same: same N,
  same grid).
- ``kde_2d``: fit on N = 5000 points of N(0, I_2) (Scott's rule, as scipy's default) and TV to
  the truth on a 201 x 201 grid of [-6, 6]^2, against scipy ``gaussian_kde`` evaluated on the same
  nodes and the same TV rule. Agreement: the TVs differ by at most our reported L1 error of the
  binned density (the triangle inequality needs half of it).
- ``blobs``: the Replace loop of three unit Gaussians with centres uniform in (-10, 10)^2,
  h = 0.75, 89 points per generation, 30 generations, exact TV each generation and the negative
  log-likelihood of 500 held-out real points, against the same loop written with scikit-learn
  ``KernelDensity`` (fit, ``score_samples`` on the 500 points, sample; no TV, which it cannot
  compute). Agreement: generation 1 (same data) has the same NLL to 1e-9 relative.
"""

from __future__ import annotations

import numpy as np

from benchmarks import peers
from benchmarks.runner import Case, Peer, missing
from bounds import Replace
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.truths import Gaussian, GaussianMixture
from empirical.tv import Grid, tv_on_grid

BANDWIDTH_1D = 0.1
EXACT_PEER_GENERATIONS = 3


def _delta_agreement(ours: list[dict], theirs: list[dict]) -> tuple[bool, str]:
    a, b = ours[0], theirs[0]
    gap, tol = abs(a["delta"] - b["delta"]), a["delta_error"] + b["delta_error"]
    return gap <= tol, f"|delta_1 gap| {gap:.1e} <= {tol:.1e} (sum of error bounds)"


def kde_loop_1d(smoke: bool) -> Case:
    n, generations, points = (500, 3, 1025) if smoke else (10_000, 50, None)
    truth = Gaussian(0.0, 1.0)

    def loop(factory, count: int):
        return lambda: run_loop(Replace(n), factory, truth, count, seed=0, grid_points=points)

    exact_count = min(generations, EXACT_PEER_GENERATIONS)
    scale = generations / exact_count
    peer_list = []
    for name, module, wrapper, count in (
        ("scipy gaussian_kde", "scipy", peers.ScipyKDE, exact_count),
        ("scikit-learn KernelDensity", "sklearn", peers.SklearnKDE, exact_count),
        ("KDEpy FFTKDE + numpy sampler", "KDEpy", peers.KDEpyFFT, generations),
    ):
        reason = missing(module)
        target = 2.0 if module == "KDEpy" else 0.02
        run = None if reason else loop(lambda w=wrapper: w(BANDWIDTH_1D), count)
        note = f"{count} generations timed" if count != generations else ""
        peer_list.append(
            Peer(name, target, run, _delta_agreement, generations / count, reason, note)
        )
    return Case(
        "kde_loop_1d",
        f"KDE replace loop, d = 1, N = {n}, h = 0.1, {generations} generations, exact TV",
        loop(lambda: KDE(BANDWIDTH_1D), generations),
        peer_list,
        lambda records: {"delta_last": records[-1]["delta"], "grid": records[-1]["grid"]},
        [f"exact-sum peers timed on {exact_count} generations, time x{scale:g}"],
    )


def kde_2d(smoke: bool) -> Case:
    n, nodes = (300, 41) if smoke else (5000, 201)
    truth = Gaussian(mean=[0.0, 0.0], cov=np.eye(2))
    X = truth.sample(n, np.random.default_rng(0))
    grid = Grid([-6.0, -6.0], [6.0, 6.0], (nodes, nodes))
    truth_values = truth.pdf(grid.points()).reshape(grid.shape)

    def ours() -> tuple[float, float]:
        values, error = KDE("scott").fit(X).grid_pdf(grid)
        return tv_on_grid(values, truth_values, grid)[0], error

    def scipy_peer() -> tuple[float, float]:
        from scipy.stats import gaussian_kde

        values = gaussian_kde(X.T)(grid.points().T).reshape(grid.shape)
        return tv_on_grid(values, truth_values, grid)[0], 0.0

    def agree(mine: tuple[float, float], theirs: tuple[float, float]) -> tuple[bool, str]:
        gap = abs(mine[0] - theirs[0])
        return gap <= mine[1], f"|TV gap| {gap:.1e} <= {mine[1]:.1e} (our L1 error)"

    return Case(
        "kde_2d",
        f"KDE d = 2, N = {n}, Scott's rule, fit + TV on {nodes}^2 nodes",
        ours,
        [Peer("scipy gaussian_kde", 0.02, scipy_peer, agree)],
        lambda result: {"tv": result[0], "l1_error": result[1]},
    )


def blobs_truth(seed: int = 11) -> GaussianMixture:
    """Three unit Gaussians, centres uniform in (-10, 10)^2 (swap in a library truth here)."""
    centres = np.random.default_rng(seed).uniform(-10.0, 10.0, size=(3, 2))
    return GaussianMixture([1 / 3] * 3, centres, 1.0)


def blobs(smoke: bool) -> Case:
    size, generations, bandwidth, held_out = 89, (3 if smoke else 30), 0.75, 500
    truth = blobs_truth()
    held = truth.sample(held_out, np.random.default_rng(12))
    points = 65 if smoke else None
    first_data: list[np.ndarray] = []  # our generation-1 data, handed to the peer

    def ours() -> tuple[list[dict], list[float]]:
        models: list[KDE] = []

        def factory() -> KDE:
            models.append(KDE(bandwidth))
            return models[-1]

        records = run_loop(Replace(size), factory, truth, generations, seed=0, grid_points=points)
        nll = [-float(np.mean(m.logpdf(held))) for m in models]  # NLL of the held-out points
        first_data[:] = [models[0].data_]
        return records, nll

    reason = missing("sklearn")
    if reason is None:  # imported here, not in the first timed call (about a second, once)
        from sklearn.neighbors import KernelDensity

    def sklearn_peer() -> list[float]:
        X, rng, nll = first_data[0], np.random.default_rng(1), []
        for _ in range(generations):
            kde = KernelDensity(bandwidth=bandwidth).fit(X)
            nll.append(-float(np.mean(kde.score_samples(held))))
            X = kde.sample(size, random_state=int(rng.integers(2**31)))
        return nll

    def agree(mine: tuple[list[dict], list[float]], theirs: list[float]) -> tuple[bool, str]:
        gap = abs(mine[1][0] - theirs[0]) / abs(theirs[0])
        return gap <= 1e-9, f"generation-1 NLL relative gap {gap:.1e} <= 1e-9"

    return Case(
        "blobs",
        f"2-D blobs replace loop, 89 points, h = 0.75, {generations} generations, TV + NLL",
        ours,
        [
            Peer(
                "scikit-learn KernelDensity loop",
                3.0,
                None if reason else sklearn_peer,
                agree,
                skipped=reason,
                note="peer computes no TV",
            )
        ],
        lambda result: {
            "delta_last": result[0][-1]["delta"],
            "nll_last": result[1][-1],
            "grid_first": result[0][0]["grid"]["shape"],
            "grid_last": result[0][-1]["grid"]["shape"],
        },
    )

"""Diffusion model speed, as ratios measured in the same run.

Run: ``python benchmarks/bench_diffusion.py``.

Measures, in d = 1 with M = 256 random features:
- the exact output density (piecewise-affine push-forward of the prior through the ODE sampler),
  and the ODE sampler stepped by affine pieces against the same sampler with dense features;
- the acceptance run: a 10-generation ``augment`` loop (n = 1000, m = 2000) with exact TV per
  generation, its wall time and per-generation delta, epsilon and their error bounds.

Closed-form training against gradient descent is a case of the suite:
``python -m benchmarks --only diffusion_training``.
"""

from __future__ import annotations

import time

import numpy as np
from timing import best_of

from bounds import Augment
from empirical.diffusion import (
    DiffusionModel,
    Pushforward1D,
    ode_flow,
    ode_flow_by_pieces,
)
from empirical.loop import run_loop
from empirical.truths import Gaussian
from empirical.verify import check_propagation

WIDTH = 256
TRUTH = Gaussian(mean=[0.0], cov=[[1.0]])


def density() -> None:
    model = DiffusionModel(width=WIDTH, feature_seed=0).fit(
        TRUTH.sample(3000, np.random.default_rng(1)), np.random.default_rng(2)
    )
    t_density, push = best_of(lambda: Pushforward1D(model.score_, model.grid), repeat=3)
    z = np.random.default_rng(3).standard_normal((100_000, 1))
    t_pieces, _ = best_of(lambda: ode_flow_by_pieces(model.score_, z, model.grid))
    t_dense, _ = best_of(lambda: ode_flow(model.score_, z[:10_000], model.grid))
    t_dense *= 10  # measured on 10^4 draws, scaled to 10^5
    print(f"output density and sampling, {model.steps} ODE steps")
    print(f"  exact push-forward ({push.breakpoints} breakpoints) {t_density * 1e3:8.1f} ms")
    print(f"  sampler by affine pieces, 10^5 draws          {t_pieces * 1e3:8.1f} ms   1.0x")
    print(
        f"  sampler with dense features, 10^5 draws       {t_dense * 1e3:8.1f} ms   "
        f"{t_dense / t_pieces:.0f}x slower"
    )


def loop() -> None:
    start = time.perf_counter()
    records = run_loop(Augment(1000, 2000), lambda: DiffusionModel(width=WIDTH), TRUTH, 10, seed=0)
    wall = time.perf_counter() - start
    holds = all(row["holds"] for row in check_propagation(records))
    print(f"augment(n=1000, m=2000), 10 generations, M = {WIDTH}: {wall:.1f} s (goal < 60 s)")
    print("  i   delta   +-error    epsilon +-error    seconds")
    for r in records:
        print(
            f"  {r['generation']:<3d} {r['delta']:.4f}  {r['delta_error']:.1e}   "
            f"{r['epsilon']:.4f}  {r['epsilon_error']:.1e}   {r['wall_time']:.2f}"
        )
    print(f"  Theorem R holds in every generation: {holds}")


if __name__ == "__main__":
    density()
    loop()

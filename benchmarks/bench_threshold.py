"""Speed of the threshold solver, as ratios measured in one run.

- vectorised power-law solver over i = 2..N versus a Python loop calling it once per i;
- float (vectorised, per i) versus mpmath at 30 digits (per i);
- the generic scan (any error model) versus the power-law solver, per i.

Run: python benchmarks/bench_threshold.py
"""

import numpy as np
from timing import best_of

from bounds import errors, phase


def best(function, repeat=3):
    return best_of(function, repeat)[0]


def main() -> None:
    generations = np.arange(2, 1002)
    model = errors.power_law()
    vectorised = best(lambda: phase.power_law_thresholds(generations, 0.2, 1000.0))
    looped = best(
        lambda: [phase.power_law_thresholds(int(i), 0.2, 1000.0) for i in generations], repeat=2
    )
    sample = generations[::50]
    per_float = best(lambda: [phase.threshold(int(i), 1000.0, model) for i in sample], 2)
    per_mp = best(lambda: [phase.threshold(int(i), 1000.0, model, digits=30) for i in sample], 2)
    per_scan = best(
        lambda: [phase.threshold(int(i), 1000.0, model, method="scan") for i in sample], 2
    )
    print(
        f"vectorised, {generations.size} generations: {vectorised * 1e3:.2f} ms "
        f"({vectorised / generations.size * 1e6:.2f} us per generation)"
    )
    print(f"per-i loop / vectorised: {looped / vectorised:.0f}x slower")
    print(f"threshold() float, certified, per i: {per_float / sample.size * 1e3:.2f} ms")
    print(f"mpmath 30 digits / float threshold(): {per_mp / per_float:.1f}x")
    print(f"generic scan / power-law solver (threshold()): {per_scan / per_float:.1f}x")
    print(
        f"threshold() float per i / vectorised per i: "
        f"{per_float / sample.size / (vectorised / generations.size):.0f}x"
    )


if __name__ == "__main__":
    main()

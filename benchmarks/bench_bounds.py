"""Speed of bound evaluation, as ratios measured in one run.

- a compiled, vectorised curve (``Bound.evaluate``) against the naive sympy way, ``subs`` and
  ``evalf`` point by point, and against ``evaluate_mp`` at 30 digits, per point;
- the accumulate bound at every i up to 10^4 (cumulative sums) against a Python loop over
  Theorem R's recursion;
- the accumulate limit by Euler-Maclaurin at 30 digits, against summing the series directly to
  10^6 terms in floats (which still misses a few percent of it).

Run: python benchmarks/bench_bounds.py
"""

import math

import numpy as np
from timing import best_of

from bounds import Accumulate, Augment, bound, power_law
from bounds import symbols as S


def best(function, repeat=3):
    return best_of(function, repeat)[0]


def main() -> None:
    eps = power_law(1.0, 0.2)
    augment = bound(Augment(1000, 0), eps)
    m = np.linspace(0, 1e5, 100_000)
    augment.evaluate(i=5, m=m[:2])  # compile once
    vectorised = best(lambda: augment.evaluate(i=5, m=m)) / m.size
    formula = augment.substituted().subs(S.i, 5)
    few = m[:: m.size // 200]
    naive = best(lambda: [float(formula.subs(S.m, v).evalf()) for v in few], 1) / few.size
    precise = best(lambda: [augment.evaluate_mp(30, i=5, m=float(v)) for v in few], 1) / few.size
    print(f"B_5(m) on {m.size} points: {vectorised * 1e9:.0f} ns per point")
    print(f"  sympy subs+evalf per point: {naive / vectorised:,.0f} x slower")
    print(f"  mpmath at 30 digits per point: {precise / vectorised:,.0f} x slower")

    accumulate = bound(Accumulate(1000, 1000), eps)
    i = np.arange(1, 10_001)
    cumulative = best(lambda: accumulate.evaluate(i=i))

    def recursion():
        history, total = [], 0.0
        for g in i:
            size = 1000 + (g - 1) * 1000
            history.append(float(eps(size)) + 1000 / size * total)
            total += history[-1]
        return history

    looped = best(recursion, 1)
    assert np.allclose(accumulate.evaluate(i=i), recursion(), rtol=1e-10)
    print(f"accumulate B_i, i = 1..{i[-1]}: {cumulative * 1e3:.1f} ms by cumulative sums,")
    print(f"  Python loop over the recursion: {looped / cumulative:.0f} x slower")

    limit = best(lambda: accumulate.limit_value(dps=30), 1)
    k = np.arange(1, 1_000_001, dtype=float)
    direct = best(lambda: 1000 * np.sum((1000 * k) ** -0.2 / (1000 * (k + 1))), 1)
    partial = 1000 * math.fsum((1000 * k) ** -0.2 / (1000 * (k + 1)))
    exact = float(accumulate.limit_value(dps=30))
    print(f"accumulate limit to 30 digits: {limit * 1e3:.0f} ms (= {exact:.15f});")
    print(f"  10^6 terms summed in floats: {direct * 1e3:.0f} ms, {1 - partial / exact:.1%} short")


if __name__ == "__main__":
    main()

"""Claim 2, measured: the distance stays controlled when the real share or the sample is large.

Scenario ``proportion(N, lam)`` (fresh real data) with a KDE on Scott's rule, whose learning
error vanishes as N grows, over a grid of real shares lam and sizes N. Theorem R with the
measured learning errors gives delta_G <= eps_max (1 - (1 - lam)^G) / lam (G eps_max at
lam = 0), eps_max the largest mean eps_i of the run's configuration: the distance is bounded
uniformly in G once lam > 0, and shrinks with N through eps. The verdicts compare mean delta_G
across lam and across N with Welch intervals.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from bounds import Proportion, validate
from empirical.experiments import Claim, Experiment, Section, Settings, Table
from empirical.experiments.synthetic_amount import TRUTH
from empirical.figures import new_figure
from empirical.spec import MODELS, RunSpec

__all__ = ["EXPERIMENT", "welch_interval"]

SHARES = (0.0, 0.1, 0.25, 0.5, 1.0)
SIZES = (250, 1000, 4000)


def _grid(settings: Settings) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """(real shares, sizes): the quick report keeps three shares and two sizes."""
    return settings.pick(((0.0, 0.5, 1.0), (250, 1000)), (SHARES, SIZES), (SHARES, SIZES))


MODEL = MODELS.component("kde", bandwidth="scott")


def _generations(settings: Settings) -> int:
    return settings.pick(6, 20, 30)


def _seeds(settings: Settings) -> int:
    return settings.pick(10, 30, 100)


def _specs(settings: Settings) -> list[RunSpec]:
    return [
        RunSpec(Proportion(N, lam), MODEL, TRUTH, _generations(settings), seed, "fresh")
        for N in _grid(settings)[1]
        for lam in _grid(settings)[0]
        for seed in range(_seeds(settings))
    ]


def welch_interval(a: np.ndarray, b: np.ndarray, failure_probability: float) -> tuple:
    """mean(a) - mean(b) with a two-sided Welch t interval at level 1 - p."""
    a = validate.array("a", a, ndim=1, min_size=2)
    b = validate.array("b", b, ndim=1, min_size=2)
    failure_probability = validate.real(
        "failure_probability", failure_probability, 1e-300, 1.0, high_open=True
    )
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.isf(failure_probability / 2, df) * math.sqrt(va + vb))
    if not math.isfinite(half):
        raise ValueError("a and b must vary (their Welch interval is undefined), got no spread")
    diff = float(a.mean() - b.mean())
    return diff, diff - half, diff + half


def _analyse(records: list[dict], settings: Settings) -> Section:
    G = _generations(settings)
    shares, sizes = _grid(settings)
    cell: dict[tuple[int, float], dict[int, np.ndarray]] = {}
    for N in sizes:
        for lam in shares:
            rows = [
                r
                for r in records
                if r["spec"]["scenario"]["N"] == N and r["spec"]["scenario"]["lam"] == lam
            ]
            cell[(N, lam)] = {
                field: np.array(
                    [[r[field] for r in rows if r["generation"] == i] for i in range(1, G + 1)]
                )
                for field in ("delta", "epsilon")
            }
    fig = new_figure(10, 4.2)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    table = []
    for k, N in enumerate(sizes):
        final = [cell[(N, lam)]["delta"][G - 1] for lam in shares]
        means = np.array([f.mean() for f in final])
        ses = np.array([f.std(ddof=1) / math.sqrt(f.size) for f in final])
        left.fill_between(shares, means - 2 * ses, means + 2 * ses, color=f"C{k}", alpha=0.2)
        left.plot(shares, means, "o-", color=f"C{k}", label=f"measured δ_G (±2 se), N = {N}")
        for lam, f, mean in zip(shares, final, means, strict=True):
            eps_max = float(cell[(N, lam)]["epsilon"].mean(axis=1).max())
            theorem = G * eps_max if lam == 0 else eps_max * (1 - (1 - lam) ** G) / lam
            table.append([N, lam, f.size, float(mean), float(f.std(ddof=1)), eps_max, theorem])
        bounds_line = [row[-1] for row in table[-len(shares) :]]
        left.plot(
            shares, bounds_line, "--", color=f"C{k}", label=f"Theorem R with measured ε, N = {N}"
        )
    left.set_yscale("log")
    left.set_xlabel("real share λ")
    left.set_ylabel(f"TV at generation G = {G}")
    left.legend(fontsize=6)
    middle = sizes[len(sizes) // 2]
    for k, lam in enumerate(shares):
        delta = cell[(middle, lam)]["delta"]
        right.plot(
            range(1, G + 1), delta.mean(axis=1), "o-", ms=3, color=f"C{k}", label=f"λ = {lam:g}"
        )
    right.set_xlabel("generation i")
    right.set_ylabel("mean δ_i")
    right.set_title(f"N = {middle}")
    right.legend(fontsize=7)
    fig.suptitle(
        f"proportion(N, λ): n = λN real points, N ∈ {{{', '.join(map(str, sizes))}}}; KDE with"
        f" Scott's rule, fresh real data, {_seeds(settings)} seeds;"
        " truth ½N(−1.5, 0.5) + ½N(1.5, 0.5)",
        fontsize=9,
    )
    fig.tight_layout()
    p = 0.01 / len(sizes)
    share = [
        (N, welch_interval(cell[(N, 0.0)]["delta"][G - 1], cell[(N, 0.5)]["delta"][G - 1], p))
        for N in sizes
    ]
    size = welch_interval(
        cell[(sizes[0], 0.5)]["delta"][G - 1], cell[(sizes[-1], 0.5)]["delta"][G - 1], 0.01
    )
    within = all(row[3] <= row[-1] for row in table)

    def outcome(intervals: list[tuple]) -> str:
        if all(lo > 0 for _, lo, _ in intervals):
            return "supported"
        return "not supported" if any(hi < 0 for _, _, hi in intervals) else "not resolved"

    numbers = "; ".join(
        f"N = {N}: δ_G(λ=0) − δ_G(λ=½) ∈ [{lo:.3g}, {hi:.3g}]" for N, (_, lo, hi) in share
    )
    claims = (
        Claim(
            "Claim 2: a larger real share keeps δ_G lower (λ = ½ against λ = 0)",
            "real-share.png",
            numbers,
            outcome([iv for _, iv in share]),
        ),
        Claim(
            "Claim 2: a larger training set keeps δ_G lower (λ = ½)",
            "real-share.png",
            f"δ_G(N={sizes[0]}) − δ_G(N={sizes[-1]}) ∈ [{size[1]:.3g}, {size[2]:.3g}]",
            outcome([size]),
        ),
    )
    columns = ["N", "λ", "seeds", "mean δ_G", "sd δ_G", "max mean ε_i", "Theorem R bound"]
    return Section(
        "Real-share control, measured (claim 2)",
        [
            f"Scenario proportion(N, λ) with fresh real data, {G} generations, KDE with Scott's"
            " rule (its error vanishes as N grows). Left: δ_G against λ with ±2 standard errors,"
            " and Theorem R's bound ε_max·(1 − (1 − λ)^G)/λ with the measured learning errors."
            f" Every mean δ_G is below that bound: {'yes' if within else '**no**'}. Verdicts:"
            " Welch intervals at failure probability 0.01 (Bonferroni over the sizes).",
            "![real share](real-share.png)",
        ],
        (Table("real-share", columns, table),),
        {"real-share.png": fig},
        claims,
    )


EXPERIMENT = Experiment("real-share", _specs, _analyse)

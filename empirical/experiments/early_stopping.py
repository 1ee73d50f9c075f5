"""Early stopping in the loop, measured: does training to the measured optimum tau-hat slow the
propagation of error across generations?

The diffusion model in ``replace(n)`` and ``augment(n, 2n)`` loops, trained to an under-trained
tau, to tau-hat (the start of the measured optimum's plateau, ``docs/diffusion.md``) and to the
default tau = 1e8, the same seeds for each. The verdict compares, per scenario, the mean delta_i
over generations i >= 2 of each other tau against tau-hat, paired by seed
(``empirical.diffusion.study.early_stopping_verdict``).
"""

from __future__ import annotations

from bounds import Augment, Replace
from empirical.diffusion import study
from empirical.experiments import Claim, Experiment, Section, Settings, Table
from empirical.experiments.theorem1 import TRUTH
from empirical.spec import MODELS, RunSpec

__all__ = ["EXPERIMENT", "TAUS"]

TAUS = {"under-trained (τ = 1e2)": 1e2, "τ = 1e4": 1e4, "τ̂ = 1e6": 1e6, "τ = 1e8": 1e8}
BEST = "τ̂ = 1e6"
OUTCOME = {"holds": "supported", "violated": "not supported", "inconclusive": "not resolved"}


def _size(settings: Settings) -> tuple[int, int, int, int, int]:
    """(n, width, sampler steps, generations, seeds)."""
    return settings.pick((200, 32, 50, 3, 2), (200, 128, 100, 10, 3), (300, 128, 100, 10, 6))


def _specs(settings: Settings) -> list[RunSpec]:
    n, width, steps, generations, seeds = _size(settings)
    return [
        RunSpec(
            scenario,
            MODELS.component("diffusion", width=width, tau=tau, steps=steps),
            TRUTH,
            generations,
            seed,
        )
        for scenario in (Replace(n), Augment(n, 2 * n))
        for tau in TAUS.values()
        for seed in range(seeds)
    ]


def _analyse(records: list[dict], settings: Settings) -> Section:
    n, width, steps, generations, seeds = _size(settings)
    label = {tau: name for name, tau in TAUS.items()}
    tagged = [{**r, "label": label[r["spec"]["model"]["parameters"]["tau"]]} for r in records]
    verdict = study.early_stopping_verdict(tagged, BEST)
    figure = study.early_stopping_figure(tagged)
    figure.suptitle(f"diffusion M = {width}, n = {n}, {seeds} seeds, fixed real data", fontsize=9)
    figure.tight_layout()
    rows = [
        [c["scenario"], c["other"], c["seeds"], c["mean_difference"], c["low"], c["high"]]
        for c in verdict["comparisons"]
    ]
    return Section(
        "Early stopping in the loop, measured",
        [
            f"The diffusion model (M = {width}, {steps} sampler steps) in replace(n = {n}) and"
            f" augment(n, 2n) loops over {generations} generations, {seeds} seeds, at"
            f" τ ∈ {{{', '.join(TAUS)}}}. For each other τ, the paired difference of the mean δ_i"
            f" over generations i ≥ 2 minus that at {BEST}, with t intervals"
            f" (Bonferroni, {verdict['confidence']:.0%} overall). Verdict: {verdict['verdict']}.",
            "![early stopping](early-stopping.png)",
        ],
        (
            Table(
                "early-stopping",
                ["scenario", "other τ", "seeds", "mean difference", "low", "high"],
                rows,
            ),
        ),
        {"early-stopping.png": figure},
        (
            Claim(
                "Early stopping at the measured τ̂ slows error propagation in the loop",
                "early-stopping.png",
                "; ".join(
                    f"{c['scenario']}, {c['other']}: [{c['low']:.3g}, {c['high']:.3g}]"
                    for c in verdict["comparisons"]
                ),
                OUTCOME[verdict["verdict"]],
            ),
        ),
    )


EXPERIMENT = Experiment("early-stopping", _specs, _analyse)

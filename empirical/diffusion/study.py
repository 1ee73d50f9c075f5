"""Li et al.'s Theorem 1 measured on this model, and early stopping in the loop.

Pure functions returning plain (JSON-ready) dict records, and figure functions of records.

- ``learning_errors(sizes, widths, taus, seeds)``: generation-1 TV(p_tau, p_0) and the
  sigma^2-weighted score error for every (N, M, tau, seed); one assembly and one eigen-
  decomposition per (N, M, seed), the flow read at every tau (``fit_path``).
- ``fit_theorem_terms(records)``: non-negative least squares of the measured KL proxy 2 TV^2 (and
  of the score error) on the terms of Li et al.'s bound, tau^4/(MN), tau^3/M^2, 1/tau, 1/M and a
  floor; which terms carry weight (informative) and which get 0 or contribute < 1% anywhere on
  the grid (vacuous).
- ``optimal_tau(records)``: the measured tau-hat(N, M) (the grid tau of least mean TV) and the
  fitted exponents of tau-hat = c N^a M^b, next to tau*'s (MN)^(1/5); ``measured_rate``: the
  slope of min_tau TV against N, with a 95% interval.
- ``early_stopping_runs`` / ``early_stopping_verdict``: delta_i over generations under replace
  and augment at several tau, and the paired comparison of tau-hat against the others.
- ``theorem_figure``, ``early_stopping_figure``: draw records on an Agg figure (returned).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import optimize, stats

from bounds import validate
from bounds.scenarios import Augment, Replace
from bounds.stopping import tau_star
from empirical.diffusion.model import DiffusionModel, fit_path
from empirical.diffusion.process import MixtureScore
from empirical.diffusion.training import check_tau, weighted_score_error
from empirical.records import check_records
from empirical.spec import check_sequence
from empirical.truths import GaussianMixture
from empirical.tv import tv

TRUTH = GaussianMixture([0.5, 0.5], [[-1.5], [1.5]], [0.5, 0.5])
QUICK = {
    "sizes": (250, 1000),
    "widths": (64, 256),
    "taus": (1e2, 1e4, 1e6, 1e8, 1e10),
    "seeds": (0, 1),
}  # with steps=200: about 20 s of CPU
FULL = {
    "sizes": (250, 1000, 4000),
    "widths": (64, 256, 1024),
    "taus": (1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9),
    "seeds": (0, 1, 2),
}
TERMS = ("tau^4/(MN)", "tau^3/M^2", "1/tau", "1/M", "floor")
_SCORE_EVAL = 4000


def _score_reference(truth: GaussianMixture, model: DiffusionModel) -> MixtureScore:
    """The truth's forward score in the model's (possibly whitened) coordinates."""
    return MixtureScore(truth.weights, truth.means, truth.covs).affine(model.loc_, model.scale_)


def learning_errors(
    sizes: Sequence[int],
    widths: Sequence[int],
    taus: Sequence[float],
    seeds: Sequence[int],
    truth: GaussianMixture = TRUTH,
    **params: object,
) -> list[dict]:
    """One record per (N, M, tau, seed): tv, its quadrature error, score_error, seconds."""
    sizes = [validate.size("sizes", n) for n in check_sequence("sizes", sizes)]
    widths = [validate.size("widths", m) for m in check_sequence("widths", widths)]
    taus = [check_tau(tau) for tau in check_sequence("taus", taus)]
    seeds = [validate.whole("seeds", seed) for seed in check_sequence("seeds", seeds)]
    records = []
    for n in sizes:
        for width in widths:
            for seed in seeds:
                X = truth.sample(n, np.random.default_rng([seed, n]))
                start = time.process_time()
                models = fit_path(
                    X, np.random.default_rng([seed, n, 1]), list(taus), width=width, **params
                )
                fit_cpu = time.process_time() - start
                x_eval = truth.sample(_SCORE_EVAL, np.random.default_rng([seed, n, 2]))
                for model in models:
                    u_eval = (x_eval - model.loc_) / model.scale_
                    error = weighted_score_error(
                        model.score_,
                        _score_reference(truth, model),
                        u_eval,
                        model.t0,
                        model.T,
                        np.random.default_rng([seed, n, 3]),
                    )
                    measured = tv(model, truth)
                    records.append(
                        {
                            "N": n,
                            "M": width,
                            "tau": model.tau_,
                            "seed": seed,
                            "tv": measured.value,
                            "tv_error": measured.error,
                            "score_error": error,
                            "fit_cpu_seconds": fit_cpu,
                            "tau_star": float(tau_star(n, width)),
                        }
                    )
    return records


def _design(records: Sequence[dict]) -> np.ndarray:
    """The bound's terms at each record: tau^4/(MN), tau^3/M^2, 1/tau, 1/M, 1."""
    N = np.array([r["N"] for r in records], dtype=float)
    M = np.array([r["M"] for r in records], dtype=float)
    t = np.array([r["tau"] for r in records], dtype=float)
    return np.stack([t**4 / (M * N), t**3 / M**2, 1 / t, 1 / M, np.ones_like(t)], axis=1)


def fit_theorem_terms(records: Sequence[dict], quantity: str = "kl") -> dict:
    """NNLS fit of the measured quantity on the terms of Li et al.'s bound.

    ``quantity``: "kl" (2 TV^2, the KL lower bound by Pinsker) or "score" (the weighted score
    error). The rows are weighted by 1 / value so the fit is in relative error. A term is
    informative if its share of the fitted value exceeds 1% at some grid point, else vacuous.
    """
    records = check_records(records)
    quantity = validate.choice("quantity", quantity, ("kl", "score"))
    finite = [r for r in records if math.isfinite(r["tau"])]
    if not finite:
        raise ValueError("records must hold runs of finite tau to fit, got none")
    y = np.array([2 * r["tv"] ** 2 if quantity == "kl" else r["score_error"] for r in finite])
    X = _design(finite)
    w = 1 / np.maximum(y, 1e-300)
    constants, _ = optimize.nnls(X * w[:, None], y * w)
    parts = X * constants
    fitted = parts.sum(axis=1)
    share = parts / np.maximum(fitted, 1e-300)[:, None]
    rel = np.abs(fitted - y) / y
    return {
        "quantity": quantity,
        "terms": list(TERMS),
        "constants": constants.tolist(),
        "max_share": share.max(axis=0).tolist(),
        "informative": [bool(s > 0.01) for s in share.max(axis=0)],
        "median_relative_error": float(np.median(rel)),
        "records": len(finite),
    }


def optimal_tau(records: Sequence[dict]) -> dict:
    """tau-hat(N, M) = the grid tau of least mean TV over seeds, and log tau-hat = c + a log N +
    b log M by least squares (needs at least two N and two M), next to tau*'s a = b = 1/5."""
    cells: dict[tuple[int, int], dict[float, list[float]]] = {}
    for r in check_records(records):
        cells.setdefault((r["N"], r["M"]), {}).setdefault(r["tau"], []).append(r["tv"])
    rows = []
    for (n, m), by_tau in sorted(cells.items()):
        means = {t: float(np.mean(v)) for t, v in by_tau.items()}
        best = min(means, key=means.get)
        rows.append(
            {"N": n, "M": m, "tau_hat": best, "tv": means[best], "tau_star": float(tau_star(n, m))}
        )
    out: dict = {"cells": rows}
    finite = [r for r in rows if math.isfinite(r["tau_hat"])]
    if len({r["N"] for r in finite}) > 1 and len({r["M"] for r in finite}) > 1:
        A = np.array([[1, math.log(r["N"]), math.log(r["M"])] for r in finite])
        coef = np.linalg.lstsq(A, np.log([r["tau_hat"] for r in finite]), rcond=None)[0]
        out.update(
            {
                "log_c": float(coef[0]),
                "exponent_N": float(coef[1]),
                "exponent_M": float(coef[2]),
                "theorem_exponents": [0.2, 0.2],
            }
        )
    return out


def measured_rate(records: Sequence[dict], width: int | None = None) -> dict:
    """Slope of log min_tau TV against log N at one width (default the largest), with a 95%
    t interval from the per-seed minima."""
    records = check_records(records)
    width = max(r["M"] for r in records) if width is None else validate.size("width", width)
    if not any(r["M"] == width for r in records):
        raise ValueError(f"records hold no run of width {width}")
    best: dict[tuple[int, int], float] = {}
    for r in records:
        if r["M"] == width:
            key = (r["N"], r["seed"])
            best[key] = min(best.get(key, math.inf), r["tv"])
    logn = np.log([k[0] for k in best])
    logtv = np.log(list(best.values()))
    fit = stats.linregress(logn, logtv)
    half = stats.t.ppf(0.975, len(logn) - 2) * fit.stderr if len(logn) > 2 else math.inf
    return {
        "M": width,
        "slope": float(fit.slope),
        "ci95": [fit.slope - half, fit.slope + half],
        "theorem_slope_tv": -0.2,
        "points": len(logn),
    }


def early_stopping_runs(
    taus: dict[str, float],
    seeds: Sequence[int],
    generations: int = 10,
    n: int = 300,
    truth: GaussianMixture = TRUTH,
    **params: object,
) -> list[dict]:
    """Loop records (``empirical.loop.run_loop``) under replace(N = n) and augment(n, 2n) for
    each labelled tau (e.g. under-trained, tau-hat, over-trained, inf), each record tagged with
    its ``label``; the model records the tau it used as a number."""
    from empirical.loop import run_loop

    if not isinstance(taus, Mapping):
        raise TypeError(f"taus must be a mapping of labels to taus, got {validate.shown(taus)}")
    taus = {label: check_tau(tau) for label, tau in taus.items()}
    seeds = [validate.whole("seeds", seed) for seed in check_sequence("seeds", seeds)]
    n = validate.size("n", n)

    records = []
    for scenario in (Replace(n), Augment(n, 2 * n)):
        for label, tau in taus.items():
            for seed in seeds:

                def factory(tau=tau):
                    return DiffusionModel(tau=tau, **params)

                for r in run_loop(scenario, factory, truth, generations, seed=seed):
                    records.append({**r, "label": label})
    return records


def early_stopping_verdict(records: Sequence[dict], best: str, confidence: float = 0.95) -> dict:
    """Does stopping at ``best`` (tau-hat) slow error propagation? For each scenario and each
    other label, the paired (same seed) difference of the mean delta_i over generations
    i >= 2, other minus best, with a t interval (Bonferroni over the comparisons). "holds" if
    every interval lies above 0, "violated" if any lies below 0, else "inconclusive"."""
    table: dict[tuple[str, str, int], float] = {}
    for r in records:
        if r["generation"] >= 2:
            key = (r["scenario"]["name"], r["label"], r["seed"])
            table.setdefault(key, []).append(r["delta"])  # type: ignore[arg-type]
    means = {k: float(np.mean(v)) for k, v in table.items()}
    known = sorted({k[1] for k in means})
    if best not in known:
        raise ValueError(f"best must be one of the records' labels {known}, got {best!r}")
    scenarios = sorted({k[0] for k in means})
    labels = sorted({k[1] for k in means} - {best})
    comparisons = len(scenarios) * len(labels)
    rows = []
    for sc in scenarios:
        for label in labels:
            seeds = sorted(
                k[2] for k in means if k[0] == sc and k[1] == label and (sc, best, k[2]) in means
            )
            diff = np.array([means[(sc, label, s)] - means[(sc, best, s)] for s in seeds])
            if len(diff) < 2:
                lo, hi = -math.inf, math.inf
            else:
                q = stats.t.ppf(1 - (1 - confidence) / (2 * comparisons), len(diff) - 1)
                half = q * diff.std(ddof=1) / math.sqrt(len(diff))
                lo, hi = float(diff.mean() - half), float(diff.mean() + half)
            rows.append(
                {
                    "scenario": sc,
                    "other": label,
                    "mean_difference": float(diff.mean()),
                    "low": lo,
                    "high": hi,
                    "seeds": len(diff),
                }
            )
    if rows and all(r["low"] > 0 for r in rows):
        verdict = "holds"
    elif any(r["high"] < 0 for r in rows):
        verdict = "violated"
    else:
        verdict = "inconclusive"
    return {"best": best, "verdict": verdict, "comparisons": rows, "confidence": confidence}


def _figure(width: float, height: float, cols: int = 1):
    from empirical.figures import new_figure

    fig = new_figure(width, height)
    return fig, [fig.add_subplot(1, cols, k + 1) for k in range(cols)]


def theorem_figure(records: Sequence[dict]) -> object:
    """Mean TV against tau for every (N, M), log-log, with tau*(N, M) marked (a Figure)."""
    fig, (ax,) = _figure(6.4, 4.2)
    cells = sorted({(r["N"], r["M"]) for r in records})
    for n, m in cells:
        rows = [r for r in records if (r["N"], r["M"]) == (n, m) and math.isfinite(r["tau"])]
        taus = sorted({r["tau"] for r in rows})
        mean = [np.mean([r["tv"] for r in rows if r["tau"] == t]) for t in taus]
        line = ax.loglog(taus, mean, marker="o", label=f"N={n}, M={m}")[0]
        star = float(tau_star(n, m))
        ax.axvline(star, color=line.get_color(), ls=":", lw=0.8, label=f"τ* = {star:.3g}")
    ax.set_xlabel("training time tau (dotted: Theorem 1's tau*)")
    ax.set_ylabel("generation-1 TV, mean over seeds")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def early_stopping_figure(records: Sequence[dict]) -> object:
    """Mean delta_i against generation i for each tau label, one panel per scenario (a Figure)."""
    scenarios = sorted({r["scenario"]["name"] for r in records})
    fig, axes = _figure(5.0 * len(scenarios), 3.8, len(scenarios))
    for ax, sc in zip(axes, scenarios, strict=True):
        for label in sorted({r["label"] for r in records}):
            rows = [r for r in records if r["scenario"]["name"] == sc and r["label"] == label]
            gens = sorted({r["generation"] for r in rows})
            mean = [np.mean([r["delta"] for r in rows if r["generation"] == g]) for g in gens]
            ax.plot(gens, mean, marker="o", ms=3, label=label)
        ax.set_title(sc)
        ax.set_xlabel("generation i")
        ax.set_ylabel("mean delta_i = TV(p_i, p_0)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def calibrated_error_model(fit: dict, M: int, tau: float, provenance: str):
    """``bounds.errors.diffusion_calibrated`` with the constants of a ``fit_theorem_terms`` fit
    of the KL proxy, at width M and training time tau."""
    from bounds.errors import diffusion_calibrated

    if not isinstance(fit, Mapping):
        raise TypeError(f"fit must be the mapping fit_theorem_terms returns, got {fit!r}")
    if fit.get("quantity") != "kl":
        raise ValueError(
            f"fit must be of the KL proxy (quantity 'kl'), got {fit.get('quantity')!r}"
        )
    return diffusion_calibrated(M, tau, *fit["constants"], provenance=provenance)

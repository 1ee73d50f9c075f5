"""The self-consuming loop: train generation after generation, measure TV exactly.

Public API: ``run(spec, path=None) -> list[dict]`` runs one ``empirical.spec.RunSpec``;
``run_loop(scenario, model_factory, truth, generations, seed, real="fixed", *, path=None,
grid_points=None, mc_samples=20_000, subsample="counts", metrics=())`` does the same for objects
built in Python (any ``empirical.model.Model`` factory and ``Density`` truth) and records the spec
they amount to.

Generation i >= 1 trains a fresh model on ``scenario.counts(i)[j]`` points from each source p_j,
j = 0..i-1 (p_0 = the truth), rows ordered by source. Real points: with ``real="fixed"`` one pool
is drawn once and generation i takes its first counts_i[0] points; with ``real="fresh"`` each
generation draws its own. Synthetic points from p_j: when ``scenario.keeps_synthetic`` one set is
drawn right after p_j is trained (as many points as any later generation takes) and generation i
takes its first counts_i[j] points; otherwise each generation draws its own. With the spec's
``subsample="pool"`` (the published Accumulate-Subsample rule; fixed real data, a scenario that
keeps synthetic data) every generation j instead keeps N_j samples, and generation i >= 2 draws
its N_i points uniformly without replacement from the whole pool (the real set and every kept
set), fresh each generation, so its counts are random. A generation's model
(and its density on the grid) is dropped as soon as no later generation uses it, so a scenario
that keeps no earlier data holds O(N + grid) memory whatever the number of generations.

Each generation records delta_i = TV(p_i, p_0) and eps_i = TV(p_i, q_i), where q_i = sum_j w_ij p_j
with the realised weights w_ij = counts_i[j] / N_i, each with an error bound (``delta_error``,
``epsilon_error``). In d <= 2 every density is evaluated once on one grid shared by the whole run
(``empirical.shared_grid``: sized once for a KDE of fixed bandwidth, adapted to the models
otherwise), so q_i is a weighted sum of stored arrays; the errors add the quadrature estimate,
half the outside masses and half the L1 errors of the grid densities (see ``empirical.tv``).
In d > 2 both TVs are Monte Carlo estimates and the errors are 95% interval half-widths.

A record holds the run's ``spec`` (``RunSpec.to_dict()``) and ``key``, and beside them N_i, the
counts, the weights, lambda_i, the TV method, the grid, the wall time, the fitted model's own
description (``model``: e.g. the bandwidth a rule chose), the scenario, truth, seed and ``real``
mode, and ``bounds.VERSION``. Same spec, same records (except ``wall_time``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

import bounds
from bounds import validate
from bounds.scenarios import Scenario
from empirical import metrics
from empirical.records import write_jsonl
from empirical.shared_grid import SharedGrid
from empirical.spec import MODELS, REAL_MODES, TRUTHS, RunSpec, plain
from empirical.tv import evaluate, tv_monte_carlo

__all__ = ["REAL_MODES", "run", "run_loop"]

# stream keys: every random draw of a run comes from SeedSequence(seed, spawn_key=key)
_REAL_POOL, _REAL, _FIT, _SAMPLE, _KEEP, _MC_DELTA, _MC_EPS, _POOL, _TEST = range(9)
_TEST_SIZE = 500  # held-out real points for the NLL metric, as in the published loops


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class _Mixture:
    """sum_j w_j p_j as a density (for Monte Carlo eps_i in d > 2)."""

    def __init__(self, weights: Sequence[float], parts: Sequence[object]) -> None:
        self.parts = [(w, p) for w, p in zip(weights, parts, strict=True) if w > 0]
        self.dim = self.parts[0][1].dim

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return sum(w * p.pdf(x) for w, p in self.parts)


def _kernel_sd(spec: RunSpec) -> float | None:
    """The kernel sd of the spec's model when it is a KDE with a fixed bandwidth, else None."""
    bandwidth = spec.model.parameters.get("bandwidth") if spec.model.name == "kde" else None
    return float(bandwidth) if isinstance(bandwidth, int | float) else None


def _check_objects(scenario: object, model_factory: object, truth: object) -> None:
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a bounds.Scenario, got {type(scenario).__name__}")
    if not callable(model_factory):
        raise TypeError(f"model_factory must be callable () -> Model, got {model_factory!r}")
    for attr in ("dim", "pdf", "sample"):
        if not hasattr(truth, attr):
            raise TypeError(f"truth must be a Density (with {attr}), got {type(truth).__name__}")
    if truth.dim <= 2 and not hasattr(truth, "bounding_box"):
        raise TypeError("truth must have bounding_box(tail) for the grid in d <= 2")


def _last_uses(counts: Sequence[tuple[int, ...]]) -> dict[int, int]:
    """For each source j, the last generation that trains on it (j itself if none does)."""
    last = {j: j for j in range(len(counts) + 1)}
    for i, c in enumerate(counts, start=1):
        for j, k in enumerate(c):
            if k:
                last[j] = i
    return last


def _from_pool(
    sources: Sequence[np.ndarray], size: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """``size`` rows drawn uniformly without replacement from the union of ``sources``, grouped
    by source, and how many came from each (a multivariate hypergeometric split)."""
    edges = np.cumsum([0, *(len(s) for s in sources)])
    picked = np.sort(rng.choice(edges[-1], size, replace=False))
    parts = [
        source[picked[(picked >= lo) & (picked < hi)] - lo]
        for source, lo, hi in zip(sources, edges[:-1], edges[1:], strict=True)
    ]
    return parts, tuple(len(part) for part in parts)


def _synthetic_needs(counts: list[tuple[int, ...]], j: int) -> int:
    """How many points of p_j any later generation takes (the size of p_j's kept set)."""
    return max((c[j] for c in counts[j:]), default=0)


def _metrics(names, model, truth, test, grid, i) -> dict[str, float]:
    """The record fields of the metrics a spec asks for beside TV (``empirical.metrics``)."""
    out: dict[str, float] = {}
    if "nll" in names:
        found = metrics.nll(model, test)
        out |= {"nll": found.value, "nll_error": found.error}
    if "kl" in names:
        common, values = grid.common([i, 0])
        truth_values = evaluate(truth, common)[0] if grid.fixed else values[0]
        value, error = metrics.kl_on_grid(
            values[i], truth_values, common, grid.errors[i], grid.errors[0]
        )
        out |= {"kl": value, "kl_error": error}
    if "moments" in names:
        if not hasattr(model, "moments"):
            raise ValueError(f"metric 'moments' needs a model with moments(), not {model!r}")
        drift = metrics.moment_drift(model, truth)
        out |= {"mean_drift": drift["mean"], "cov_drift": drift["cov"]}
    return {k: plain(float(v)) for k, v in out.items()}  # an infinite NLL or KL is "inf"


def run(spec: RunSpec, path: str | None = None) -> list[dict]:
    """Run ``spec``; return (and write to ``path`` as JSON lines) one record per generation."""
    if not isinstance(spec, RunSpec):
        raise TypeError(f"spec must be an empirical.spec.RunSpec, got {spec!r}")
    if path is not None:
        path = validate.path("path", path)
    return _simulate(spec, spec.model_factory(), spec.build_truth(), path)


def run_loop(
    scenario: Scenario,
    model_factory: Callable[[], object],
    truth: object,
    generations: int,
    seed: int,
    real: str = "fixed",
    *,
    path: str | None = None,
    grid_points: int | None = None,
    mc_samples: int = 20_000,
    subsample: str = "counts",
    metrics: Sequence[str] = (),
) -> list[dict]:
    """Run ``generations`` generations of the loop; return (and write to ``path`` as JSON lines)
    one record per generation. See the module docstring for what is drawn, measured and kept."""
    if path is not None:
        path = validate.path("path", path)
    _check_objects(scenario, model_factory, truth)
    first = model_factory()  # described for the spec, then trained as generation 1
    models = iter([first])
    spec = RunSpec(
        scenario,
        MODELS.describe(first),
        TRUTHS.describe(truth),
        generations,
        seed,
        real,
        grid_points,
        mc_samples,
        subsample,
        tuple(metrics),
    )
    del first  # generation 1 holds it, and drops it once no later generation needs it
    return _simulate(spec, lambda: next(models, None) or model_factory(), truth, path)


def _simulate(spec: RunSpec, model_factory: Callable[[], object], truth: object, path) -> list:
    scenario, generations, seed = spec.scenario, spec.generations, spec.seed
    counts = [scenario.counts(i) for i in range(1, generations + 1)]
    from_pool = spec.subsample == "pool"
    last_use = {j: generations for j in range(generations + 1)} if from_pool else _last_uses(counts)
    grid = None
    if truth.dim <= 2:
        grid = SharedGrid(truth, spec.grid_points, _kernel_sd(spec), generations)
    pool = None
    if spec.real == "fixed":
        pool = truth.sample(max(c[0] for c in counts), _rng(seed, _REAL_POOL))
    models: dict[int, object] = {0: truth}
    kept: dict[int, np.ndarray] = {}
    common = {
        "spec": spec.to_dict(),
        "key": spec.key(),
        "scenario": {"name": scenario.name, "parameters": scenario.parameters()},
        "truth": {"type": type(truth).__name__, "parameters": plain(truth.parameters())},
        "real": spec.real,
        "seed": seed,
        "generations": generations,
        "version": bounds.VERSION,
        "tv_method": "quadrature" if grid is not None else "monte-carlo",
    }
    test = truth.sample(_TEST_SIZE, _rng(seed, _TEST)) if "nll" in spec.metrics else None
    if "kl" in spec.metrics and grid is None:
        raise ValueError("metric 'kl' is measured on the TV grid, so it needs a truth in d <= 2")
    records = []
    for i in range(1, generations + 1):
        start = time.perf_counter()
        c = counts[i - 1]
        if from_pool and i > 1:
            sources = [pool, *(kept[j] for j in range(1, i))]
            parts, c = _from_pool(sources, scenario.size(i), _rng(seed, i, _POOL))
        else:
            parts = [pool[: c[0]] if pool is not None else truth.sample(c[0], _rng(seed, i, _REAL))]
        for j in range(1, i if not from_pool else 1):
            if c[j] == 0:
                continue
            if scenario.keeps_synthetic:
                parts.append(kept[j][: c[j]])
            else:
                parts.append(models[j].sample(c[j], _rng(seed, i, _SAMPLE, j)))
        model = model_factory().fit(np.concatenate(parts), _rng(seed, i, _FIT))
        models[i] = model
        if from_pool and i < generations:
            kept[i] = model.sample(scenario.size(i), _rng(seed, i, _KEEP))
        elif scenario.keeps_synthetic and not from_pool:
            need = _synthetic_needs(counts, i)
            if need:
                kept[i] = model.sample(need, _rng(seed, i, _KEEP))
        size = sum(c)
        weights = [k / size for k in c]
        if grid is not None:
            grid.add(i, model)
            delta, delta_err, eps, eps_err = grid.tv(i, weights)
        else:
            d_est = tv_monte_carlo(model, truth, spec.mc_samples, _rng(seed, i, _MC_DELTA))
            used = [j for j in range(i) if weights[j] > 0]
            mixture = _Mixture([weights[j] for j in used], [models[j] for j in used])
            e_est = tv_monte_carlo(model, mixture, spec.mc_samples, _rng(seed, i, _MC_EPS))
            delta, delta_err, eps, eps_err = d_est.value, d_est.error, e_est.value, e_est.error
        records.append(
            {
                **common,
                "model": {"type": type(model).__name__, "parameters": plain(model.get_params())},
                "generation": i,
                "N": size,
                "counts": list(c),
                "weights": weights,
                "lambda": weights[0],
                "delta": float(delta),
                "delta_error": float(delta_err),
                "epsilon": float(eps),
                "epsilon_error": float(eps_err),
                "grid": grid.describe() if grid is not None else None,
                **_metrics(spec.metrics, model, truth, test, grid, i),
                "wall_time": time.perf_counter() - start,
            }
        )
        for j in [j for j in models if j and last_use[j] <= i]:  # no later generation uses j
            del models[j]
            kept.pop(j, None)
            if grid is not None:
                grid.drop(j)
    if path is not None:
        write_jsonl(path, records)
    return records

"""The self-consuming loop: train generation after generation, measure TV exactly.

Public API: ``run_loop(scenario, model_factory, truth, generations, seed, real="fixed", *,
path=None, grid_points=None, mc_samples=20_000) -> list[dict]``.

Generation i >= 1 trains a fresh model (``model_factory()``, any ``empirical.model.Model``) on
``scenario.counts(i)[j]`` points from each source p_j, j = 0..i-1 (p_0 = ``truth``), rows ordered
by source. Real points: with ``real="fixed"`` one pool is drawn once and generation i takes its
first counts_i[0] points; with ``real="fresh"`` each generation draws its own. Synthetic points
from p_j: when ``scenario.keeps_synthetic`` one set is drawn right after p_j is trained (as many
points as any later generation takes) and generation i takes its first counts_i[j] points;
otherwise each generation draws its own.

Each generation records delta_i = TV(p_i, p_0) and eps_i = TV(p_i, q_i), where
q_i = sum_j w_ij p_j with the realised weights w_ij = counts_i[j] / N_i, each with an error bound
(``delta_error``, ``epsilon_error``). In d <= 2 every density is evaluated once on one grid shared
by the whole run (its box: the truth's box of outside mass 1e-10, 1.5 times wider; widened, at the
same spacing, whenever a model puts more than 1e-6 of its mass outside, every stored model then
re-evaluated), so q_i is a weighted sum of stored arrays; the errors add the quadrature estimate,
half the outside masses and half the L1 errors of the grid densities (see ``empirical.tv``).
In d > 2 both TVs are Monte Carlo estimates and the errors are 95% interval half-widths.

A record also holds N_i, the counts, the weights, lambda_i, the TV method, the grid, the wall
time, the seed, the ``real`` mode, the scenario, the model and truth (type and parameters) and
``bounds.__version__``. Same seed, same records (except ``wall_time``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

import bounds
from bounds import validate
from bounds.scenarios import Scenario
from empirical.records import write_jsonl
from empirical.tv import Grid, evaluate, outside_mass, tv_monte_carlo, tv_on_grid

__all__ = ["REAL_MODES", "describe", "run_loop"]

REAL_MODES = ("fixed", "fresh")
_GRID_POINTS = {1: 8193, 2: 257}
_MAX_GRID_POINTS = {1: 2**20 + 1, 2: 4097}
_TRUTH_TAIL = 1e-10
_MARGIN = 1.5
_WIDEN_ABOVE = 1e-6
_MAX_WIDENINGS = 8

# stream keys: every random draw of a run comes from SeedSequence(seed, spawn_key=key)
_REAL_POOL, _REAL, _FIT, _SAMPLE, _KEEP, _MC_DELTA, _MC_EPS = range(7)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def describe(obj: object) -> dict[str, object]:
    """Type and parameters of a model, truth or anything with ``get_params``/``parameters``, as
    strict JSON: a non-finite number (tau = inf) becomes its name, "inf", "-inf" or "nan"."""
    params = obj.get_params() if hasattr(obj, "get_params") else {}
    params = obj.parameters() if hasattr(obj, "parameters") else params
    plain = {
        k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in params.items()
    }
    return {"type": type(obj).__name__, "parameters": plain}


class _Mixture:
    """sum_j w_j p_j as a density (for Monte Carlo eps_i in d > 2)."""

    def __init__(self, weights: Sequence[float], parts: Sequence[object]) -> None:
        self.parts = [(w, p) for w, p in zip(weights, parts, strict=True) if w > 0]
        self.dim = self.parts[0][1].dim

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return sum(w * p.pdf(x) for w, p in self.parts)


class _GridState:
    """Every generation's density on one shared grid, with L1 errors and outside masses."""

    def __init__(self, truth: object, points: int | None) -> None:
        dim = truth.dim
        n = _GRID_POINTS[dim] if points is None else validate.whole("grid_points", points, 5)
        lo, hi = truth.bounding_box(_TRUTH_TAIL)
        centre, half = (lo + hi) / 2, _MARGIN * (hi - lo) / 2
        self.grid = Grid(centre - half, centre + half, (n + (n % 2 == 0),) * dim)
        self.densities: list[object] = [truth]
        self._evaluate_all()

    def _evaluate_all(self) -> None:
        self.values, self.errors, self.tails = [], [], []
        for density in self.densities:
            self._append(density)

    def _append(self, density: object) -> None:
        values, error = evaluate(density, self.grid)
        self.values.append(values)
        self.errors.append(error)
        self.tails.append(outside_mass(density, self.grid, values))

    def add(self, model: object) -> None:
        """Evaluate a new generation; widen the grid while it leaves too much mass outside."""
        self.densities.append(model)
        self._append(model)
        cap = _MAX_GRID_POINTS[self.grid.dim]
        for _ in range(_MAX_WIDENINGS):
            wider = self.grid.widened(_MARGIN)
            if self.tails[-1] <= _WIDEN_ABOVE or max(wider.shape) > cap:
                break
            self.grid = wider
            self._evaluate_all()

    def tv(self, i: int, weights: Sequence[float]) -> tuple[float, float, float, float]:
        """(delta_i, its error, eps_i, its error) for the newest generation i."""
        grid, vals, errs, tails = self.grid, self.values, self.errors, self.tails
        delta, quad_d = tv_on_grid(vals[i], vals[0], grid)
        delta_err = quad_d + 0.5 * (tails[i] + tails[0]) + 0.5 * (errs[i] + errs[0])
        mix = sum(w * v for w, v in zip(weights, vals[:i], strict=True) if w > 0)
        mix_tail = sum(w * t for w, t in zip(weights, tails[:i], strict=True))
        mix_err = sum(w * e for w, e in zip(weights, errs[:i], strict=True))
        eps, quad_e = tv_on_grid(vals[i], mix, grid)
        eps_err = quad_e + 0.5 * (tails[i] + mix_tail) + 0.5 * (errs[i] + mix_err)
        return min(delta, 1.0), delta_err, min(eps, 1.0), eps_err

    def describe(self) -> dict[str, object]:
        g = self.grid
        return {"lo": g.lo.tolist(), "hi": g.hi.tolist(), "shape": list(g.shape)}


def _check_inputs(scenario, model_factory, truth, generations, seed, real) -> tuple[int, int]:
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a bounds.Scenario, got {type(scenario).__name__}")
    if not callable(model_factory):
        raise TypeError(f"model_factory must be callable () -> Model, got {model_factory!r}")
    for attr in ("dim", "pdf", "sample"):
        if not hasattr(truth, attr):
            raise TypeError(f"truth must be a Density (with {attr}), got {type(truth).__name__}")
    generations = validate.whole("generations", generations, minimum=1)
    if scenario.horizon is not None and generations > scenario.horizon:
        raise ValueError(
            f"generations must be <= {scenario.horizon} for this scenario, got {generations}"
        )
    seed = validate.whole("seed", seed, minimum=0)
    if real not in REAL_MODES:
        raise ValueError(f"real must be one of {REAL_MODES}, got {real!r}")
    if truth.dim <= 2 and not hasattr(truth, "bounding_box"):
        raise TypeError("truth must have bounding_box(tail) for the grid in d <= 2")
    return generations, seed


def _synthetic_needs(counts: list[tuple[int, ...]], j: int) -> int:
    """How many points of p_j any later generation takes (the size of p_j's kept set)."""
    return max((c[j] for c in counts[j:]), default=0)


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
) -> list[dict]:
    """Run ``generations`` generations of the loop; return (and write to ``path`` as JSON lines)
    one record per generation. See the module docstring for what is drawn, measured and kept."""
    generations, seed = _check_inputs(scenario, model_factory, truth, generations, seed, real)
    counts = [scenario.counts(i) for i in range(1, generations + 1)]
    dim = truth.dim
    grid = _GridState(truth, grid_points) if dim <= 2 else None
    mc_samples = validate.whole("mc_samples", mc_samples, minimum=2)
    pool = None
    if real == "fixed":
        pool = truth.sample(max(c[0] for c in counts), _rng(seed, _REAL_POOL))
    models: list[object] = [truth]
    kept: dict[int, np.ndarray] = {}
    common = {
        "scenario": {"name": scenario.name, "parameters": scenario.parameters()},
        "truth": describe(truth),
        "real": real,
        "seed": seed,
        "version": bounds.__version__,
        "tv_method": "quadrature" if grid is not None else "monte-carlo",
    }
    records = []
    for i in range(1, generations + 1):
        start = time.perf_counter()
        c = counts[i - 1]
        parts = [pool[: c[0]] if pool is not None else truth.sample(c[0], _rng(seed, i, _REAL))]
        for j in range(1, i):
            if c[j] == 0:
                continue
            if scenario.keeps_synthetic:
                parts.append(kept[j][: c[j]])
            else:
                parts.append(models[j].sample(c[j], _rng(seed, i, _SAMPLE, j)))
        model = model_factory().fit(np.concatenate(parts), _rng(seed, i, _FIT))
        models.append(model)
        if scenario.keeps_synthetic:
            need = _synthetic_needs(counts, i)
            if need:
                kept[i] = model.sample(need, _rng(seed, i, _KEEP))
        size = sum(c)
        weights = [k / size for k in c]
        if grid is not None:
            grid.add(model)
            delta, delta_err, eps, eps_err = grid.tv(i, weights)
        else:
            d_est = tv_monte_carlo(model, truth, mc_samples, _rng(seed, i, _MC_DELTA))
            e_est = tv_monte_carlo(
                model, _Mixture(weights, models[:i]), mc_samples, _rng(seed, i, _MC_EPS)
            )
            delta, delta_err, eps, eps_err = d_est.value, d_est.error, e_est.value, e_est.error
        records.append(
            {
                **common,
                "model": describe(model),
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
                "wall_time": time.perf_counter() - start,
            }
        )
    if path is not None:
        write_jsonl(path, records)
    return records

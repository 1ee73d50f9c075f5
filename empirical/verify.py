"""Does the bound hold? Level 1 (Theorem R on every run), level 2 (explicit KDE constants) and
level 3 (a rate whose constant is fitted on some runs, then checked on held-out ones).

Public API: ``check_propagation(records) -> list[dict]``, one row per (run, generation);
``check_expected_tv(records, bound)`` and ``verify_kde_constants(...)``, one row per generation;
``fit_power_law_constant(records, alpha)``, ``check_calibrated_bound(records, error)`` and
``fit_rate(sizes, values)`` (a measured rate with its interval);
``check_rise_and_fall(x, values)`` (the shape of a measured curve); ``verdict(...)`` and
``VERDICTS``.

Every row carries a ``verdict``, one of ``VERDICTS``: "holds", "violated" or "inconclusive" (the
measurement's own error is too large to decide), and ``holds`` (verdict == "holds"). A verdict
never passes on noise: a row whose margin is within its error, when that error is more than
``resolution`` (default 5%) of the values it compares, is inconclusive.

Theorem R: delta_i <= eps_i + sum_{j>=1} w_ij delta_j (triangle inequality through q_i, then joint
convexity of TV; the j = 0 term vanishes as TV(p_0, p_0) = 0). With measured values each known up
to an error, the row's ``margin`` = eps_i + sum_j w_ij delta_j - delta_i and its ``tolerance`` =
delta_error_i + epsilon_error_i + sum_j w_ij delta_error_j. Records are grouped into runs by their
``key`` (``empirical.spec.RunSpec.key``) and nothing else; each run must hold generations 1..G.
"""

from __future__ import annotations

import math
import numbers
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import numpy as np
from scipy import stats

from bounds import validate
from bounds.errors import ErrorModel
from bounds.kde import GaussianTruth, kde_loop_bound
from bounds.propagation import bound
from bounds.scenarios import Scenario, scenario_from_dict
from empirical.kde import KDE
from empirical.loop import run_loop
from empirical.records import check_records
from empirical.spec import MAX_GENERATIONS, check_sequence
from empirical.truths import Gaussian, GaussianMixture

__all__ = [
    "VERDICTS",
    "check_calibrated_bound",
    "check_expected_tv",
    "check_propagation",
    "check_rise_and_fall",
    "fit_power_law_constant",
    "fit_rate",
    "gaussian_truth",
    "group_runs",
    "verdict",
    "verify_kde_constants",
]

VERDICTS = ("holds", "violated", "inconclusive")
RESOLUTION = 0.05
MIN_BANDWIDTH, MAX_BANDWIDTH = 1e-150, 1e150  # h^2 stays a positive, finite float
MAX_BOOTSTRAP = 10**6
MIN_FAILURE_PROBABILITY = 1e-300  # below, p / (2 G) underflows and the t quantile is infinite
_LOG_MAX_FLOAT = math.log(1.7976931348623157e308)
_MIN_RUNS = 10  # below this the t interval's normal approximation is not trusted


def verdict(margin: float, error: float, scale: float, resolution: float = RESOLUTION) -> str:
    """Three outcomes for "measured value <= bound" with ``margin`` = bound - value known to
    +- ``error``: "violated" if margin < -error, "holds" if margin >= error (certain either
    way); when the error could flip the sign, "holds" only if the error is at most
    ``resolution`` x ``scale`` (the size of what is compared), else "inconclusive"."""
    for name, value in (("margin", margin), ("error", error), ("scale", scale)):
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number, got {validate.shown(value)}")
        if isinstance(value, numbers.Integral) and abs(value) > 2**1023:
            raise ValueError(
                f"{name} must be a number in the float range, got {validate.shown(value)}"
            )
    if not math.isfinite(error) or not math.isfinite(margin):
        return "inconclusive"
    if margin < -error:
        return "violated"
    if margin >= error or error <= resolution * scale:
        return "holds"
    return "inconclusive"


def group_runs(records: Iterable[Mapping]) -> dict[str, list[Mapping]]:
    """Records by run key, each run's records in generation order (generations 1..G checked)."""
    runs: dict[str, list[Mapping]] = defaultdict(list)
    for number, record in enumerate(check_records(records), start=1):
        if not isinstance(record, Mapping) or "key" not in record:
            raise ValueError(f"record {number} has no run 'key': it was not written by a run")
        runs[record["key"]].append(record)
    for key, run in runs.items():
        run.sort(key=lambda r: r["generation"])
        found = [r["generation"] for r in run]
        if found != list(range(1, len(run) + 1)):
            raise ValueError(f"records of run {key} must hold generations 1..G, got {found}")
    return dict(runs)


def check_propagation(records: Iterable[Mapping], resolution: float = RESOLUTION) -> list[dict]:
    """The Theorem R margin and verdict of every generation of every run in ``records``.

    At generation 1, q_1 = p_0 makes the bound an identity (eps_1 = delta_1, one computation):
    its row holds when the two agree and the measurement resolves them (its error within the
    resolution), and is inconclusive when the error swamps the distance itself.
    """
    resolution = validate.real("resolution", resolution, 0.0, 1.0)
    rows = []
    for key, run in group_runs(records).items():
        delta = [0.0] + [r["delta"] for r in run]
        delta_error = [0.0] + [r["delta_error"] for r in run]
        for r in run:
            i, w = r["generation"], r["weights"]
            if len(w) != i:
                raise ValueError(f"generation {i} must have {i} weights, got {len(w)}")
            carried = sum(w[j] * delta[j] for j in range(1, i))
            total = r["epsilon"] + carried
            tolerance = (
                r["delta_error"]
                + r["epsilon_error"]
                + sum(w[j] * delta_error[j] for j in range(1, i))
            )
            margin = total - r["delta"]
            outcome = verdict(margin, tolerance, max(total, r["delta"]), resolution)
            rows.append(
                {
                    "run": key,
                    "seed": r["seed"],
                    "generation": i,
                    "delta": r["delta"],
                    "epsilon": r["epsilon"],
                    "bound": total,
                    "margin": margin,
                    "tolerance": tolerance,
                    "verdict": outcome,
                    "holds": outcome == "holds",
                }
            )
    return rows


# --- level 2: an explicit bound on the expected distance ----------------------------------------


def check_expected_tv(
    records: Iterable[Mapping], bound: Sequence[float], failure_probability: float = 0.01
) -> list[dict]:
    """Level 2: the mean of delta_i over independent runs against a bound on E delta_i.

    The interval is Student's t with a Bonferroni correction over the G generations:
    t = t_{1 - p/(2G), S-1} s / sqrt(S) for S runs with sample deviation s, so that (to the
    normal approximation of the mean, good here since delta_i is bounded and S >= 10) every
    generation's interval holds except with probability at most p = ``failure_probability``.
    A row is "violated" when mean - t - e exceeds the bound (e the largest quadrature error),
    "holds" when mean + t + e is below it, and "inconclusive" in between. (Hoeffding's
    distribution-free interval, sqrt(log(2G/p)/(2S)) for values in [0, 1], is about 0.4 at
    S = 20: wider than every distance measured here, so it could never fail.)
    """
    p = validate.real("failure_probability", failure_probability, MIN_FAILURE_PROBABILITY, 1.0)
    bound = validate.array("bound", bound, low=0.0, ndim=1)
    by_generation: dict[int, list[Mapping]] = defaultdict(list)
    for record in check_records(records):
        by_generation[record["generation"]].append(record)
    generations = sorted(by_generation)
    if min((len(v) for v in by_generation.values()), default=0) < _MIN_RUNS:
        raise ValueError(f"records must hold at least {_MIN_RUNS} runs of every generation")
    if generations != list(range(1, len(generations) + 1)) or len(bound) < len(generations):
        raise ValueError(
            f"records must cover generations 1..G with G <= len(bound) = {len(bound)}, "
            f"got {generations}"
        )
    rows = []
    for i in generations:
        runs = by_generation[i]
        deltas = np.array([r["delta"] for r in runs])
        quantile = stats.t.isf(p / (2 * len(generations)), len(runs) - 1)  # exact for tiny p
        half_width = float(quantile * deltas.std(ddof=1) / math.sqrt(len(runs)))
        error = max(r["delta_error"] for r in runs)
        mean = float(deltas.mean())
        outcome = _interval_verdict(mean, half_width + error, float(bound[i - 1]))
        rows.append(
            {
                "generation": i,
                "runs": len(runs),
                "seeds": sorted({r["seed"] for r in runs}),
                "mean_delta": mean,
                "half_width": half_width,
                "bound": float(bound[i - 1]),
                "margin": float(bound[i - 1]) - mean,
                "ratio": mean / float(bound[i - 1]),
                "verdict": outcome,
                "holds": outcome == "holds",
            }
        )
    return rows


def _interval_verdict(value: float, error: float, bound_value: float) -> str:
    """ "holds" if value + error <= bound, "violated" if value - error > bound, else undecided."""
    if not math.isfinite(value + error):
        return "inconclusive"
    if value - error > bound_value:
        return "violated"
    return "holds" if value + error <= bound_value else "inconclusive"


def gaussian_truth(truth: Gaussian | GaussianMixture) -> GaussianTruth:
    """The 1-D Gaussian (mixture) ``truth`` in the form ``bounds.kde`` takes."""
    if isinstance(truth, Gaussian):
        truth = GaussianMixture([1.0], [truth.mean], [truth.cov])
    if not isinstance(truth, GaussianMixture) or truth.dim != 1:
        raise TypeError(f"truth must be a 1-D Gaussian or GaussianMixture, got {truth!r}")
    sds = np.sqrt(truth.covs.reshape(-1))
    return GaussianTruth(tuple(truth.weights), tuple(truth.means[:, 0]), tuple(sds))


def verify_kde_constants(
    scenario: Scenario,
    truth: Gaussian | GaussianMixture,
    bandwidth: float,
    generations: int,
    seeds: Iterable[int],
    failure_probability: float = 0.01,
) -> list[dict]:
    """Run the KDE loop once per seed (fresh real data, as the bound assumes) and check the
    explicit-constant bound of ``bounds.kde.kde_loop_bound`` with ``check_expected_tv``."""
    bandwidth = validate.real("bandwidth", bandwidth, MIN_BANDWIDTH, MAX_BANDWIDTH)
    generations = validate.size("generations", generations, maximum=MAX_GENERATIONS)
    seeds = [validate.whole("seeds", seed) for seed in check_sequence("seeds", seeds)]
    validate.real("failure_probability", failure_probability, MIN_FAILURE_PROBABILITY, 1.0)
    if len(seeds) < _MIN_RUNS:
        raise ValueError(f"seeds must hold at least {_MIN_RUNS} seeds, got {len(seeds)}")
    explicit = kde_loop_bound(scenario, gaussian_truth(truth), bandwidth, generations)
    records = [
        record
        for seed in seeds
        for record in run_loop(
            scenario, partial(KDE, bandwidth), truth, generations, seed, real="fresh"
        )
    ]
    return check_expected_tv(records, explicit.total, failure_probability)


# --- level 3: rates whose hidden constant is fitted, then tested on held-out runs ---------------


def fit_power_law_constant(records: Iterable[Mapping], alpha: float) -> float:
    """The smallest C with eps_i + its error <= C N_i^(-alpha) on every calibration record.

    Theorem 1 of Li et al. gives the rate, not the constant; calibrating on measured learning
    errors (generation 1: eps_1 = delta_1) fixes the one free number.
    """
    alpha = validate.positive("alpha", alpha)
    rows = check_records(records)
    if not rows:
        raise ValueError("records must hold at least one calibration run, got none")
    logs = [math.log(r["epsilon"] + r["epsilon_error"]) + alpha * math.log(r["N"]) for r in rows]
    if max(logs) > _LOG_MAX_FLOAT:
        raise ValueError(f"alpha {alpha:g} makes C = (eps + error) N^alpha pass the float range")
    return max((r["epsilon"] + r["epsilon_error"]) * r["N"] ** alpha for r in rows)


def check_calibrated_bound(records: Iterable[Mapping], error: ErrorModel) -> list[dict]:
    """Held-out runs against Theorem R's bound B_i with a fitted error model, one row per
    (run, generation): "violated" if delta_i - delta_error_i > B_i for the run's scenario,
    "holds" if delta_i + delta_error_i <= B_i, else "inconclusive". ``eps_within`` says whether
    the per-generation assumption eps_i <= eps(N_i) held too."""
    rows = []
    for record in check_records(records):
        scenario = scenario_from_dict(record["spec"]["scenario"])
        value = float(bound(scenario, error).evaluate(i=record["generation"]))
        outcome = _interval_verdict(record["delta"], record["delta_error"], value)
        rows.append(
            {
                "run": record["key"],
                "scenario": str(scenario),
                "seed": record["seed"],
                "generation": record["generation"],
                "delta": record["delta"],
                "bound": value,
                "margin": value - record["delta"],
                "verdict": outcome,
                "holds": outcome == "holds",
                "eps_within": bool(
                    record["epsilon"] - record["epsilon_error"] <= float(error(record["N"]))
                ),
            }
        )
    return rows


# --- the shape of a measured curve: does it rise, then fall? ------------------------------------


def check_rise_and_fall(
    x: Sequence[float],
    values: np.ndarray,
    failure_probability: float = 0.01,
    seed: int = 0,
    bootstrap: int = 2000,
) -> dict:
    """Does the mean of ``values[:, k]`` (one row per seed, one column per x_k) rise from x_0 to an
    interior peak and fall again by x_last?

    Split-sample, so the peak is not chosen on the data that test it: the even-numbered rows pick
    the interior peak k* (largest mean), the odd-numbered rows test the paired differences
    rise = v[k*] - v[0] and fall = v[k*] - v[last] with Student-t intervals at level
    1 - p/2 each (Bonferroni over the two, p = ``failure_probability``). "supported" when both
    lower ends are > 0; "not supported" when an upper end is < 0 (the curve significantly does
    the opposite); "not resolved" otherwise. The peak's location on all rows gets a percentile
    bootstrap interval over seeds (``bootstrap`` resamples, generator seeded by ``seed``).
    """
    values = validate.array("values", values)
    x = validate.array("x", x, ndim=1)
    seed = validate.whole("seed", seed)
    bootstrap = validate.size("bootstrap", bootstrap, maximum=MAX_BOOTSTRAP)
    if values.ndim != 2 or values.shape[1] != x.size or x.size < 3:
        raise ValueError(
            f"values must have shape (seeds, len(x)) with len(x) >= 3, got {values.shape} "
            f"for {x.size} points"
        )
    if values.shape[0] < 4:
        raise ValueError(f"values must be finite with at least 4 rows, got {values.shape[0]}")
    p = validate.real("failure_probability", failure_probability, MIN_FAILURE_PROBABILITY, 1.0)
    select, test = values[0::2], values[1::2]
    peak = 1 + int(np.argmax(select[:, 1:-1].mean(axis=0)))
    quantile = float(stats.t.isf(p / 4, test.shape[0] - 1))  # exact for tiny p

    def interval(diff: np.ndarray) -> tuple[float, float, float]:
        mean, half = diff.mean(), quantile * diff.std(ddof=1) / math.sqrt(diff.size)
        return float(mean), float(mean - half), float(mean + half)

    rise, fall = interval(test[:, peak] - test[:, 0]), interval(test[:, peak] - test[:, -1])
    if rise[1] > 0 and fall[1] > 0:
        outcome = "supported"
    elif rise[2] < 0 or fall[2] < 0:
        outcome = "not supported"
    else:
        outcome = "not resolved"
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, values.shape[0], size=(bootstrap, values.shape[0]))
    peaks = np.argmax(values[rows].mean(axis=1), axis=1)
    lo, hi = np.quantile(x[peaks], [p / 2, 1 - p / 2], method="inverted_cdf")
    return {
        "outcome": outcome,
        "peak_x": float(x[int(np.argmax(values.mean(axis=0)))]),
        "peak_interval": (float(lo), float(hi)),
        "tested_peak_x": float(x[peak]),
        "rise": rise,
        "fall": fall,
        "seeds": int(values.shape[0]),
    }


def fit_rate(sizes: Sequence[float], values: Sequence[float], confidence: float = 0.95) -> dict:
    """The slope b of log value = a + b log N by least squares, with a Student-t interval at
    ``confidence`` (n - 2 degrees of freedom): the measured rate N^b of a learning error."""
    sizes = validate.array("sizes", sizes, low=0.0, low_open=True, ndim=1)
    values = validate.array("values", values, low=0.0, low_open=True, ndim=1)
    x, y = np.log(sizes), np.log(values)
    if x.size != y.size or x.size < 3 or np.unique(x).size < 2 or not np.all(np.isfinite(y)):
        raise ValueError(
            f"sizes and values must be >= 3 matching positive numbers at >= 2 sizes, got "
            f"{x.size} sizes and {y.size} values"
        )
    level = validate.real("confidence", confidence, 0.0, 1.0)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    se = math.sqrt(residual @ residual / (x.size - 2) / np.sum((x - x.mean()) ** 2))
    half = float(stats.t.ppf((1 + level) / 2, x.size - 2) * se)
    return {"slope": float(slope), "low": float(slope - half), "high": float(slope + half)}

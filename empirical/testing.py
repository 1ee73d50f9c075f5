"""Assertions for your own tests of self-consuming loops: each raises ``AssertionError`` with
the run, generation and numbers that failed, and passes only on a verdict of "holds".

- ``assert_theorem_r(records)``: level 1, Theorem R in every generation of every run.
- ``assert_bound_dominates(records, bound)``: level 2, the mean of delta_i over runs below a
  bound on E delta_i (a sequence indexed by generation), with a t interval.
- ``assert_calibrated_bound_holds(calibration, held_out, alpha)``: level 3, the power law
  C N^-alpha fitted on ``calibration`` makes Theorem R's bound dominate ``held_out``.
- ``assert_reproducible(records)``: rerunning each run's recorded spec gives the same records.

An inconclusive row (its measurement error too large to decide) fails the assertion too, unless
``allow_inconclusive=True``: a test should not pass on noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bounds.errors import power_law
from empirical.loop import run
from empirical.records import check_records
from empirical.spec import RunSpec
from empirical.verify import (
    check_calibrated_bound,
    check_expected_tv,
    check_propagation,
    fit_power_law_constant,
    group_runs,
)

__all__ = [
    "assert_bound_dominates",
    "assert_calibrated_bound_holds",
    "assert_reproducible",
    "assert_theorem_r",
]


def _assert_all_hold(rows: Sequence[Mapping], what: str, allow_inconclusive: bool) -> None:
    failing = [
        row
        for row in rows
        if row["verdict"] == "violated"
        or (row["verdict"] == "inconclusive" and not allow_inconclusive)
    ]
    if failing:
        shown = "; ".join(
            f"{row['verdict']} at generation {row['generation']}"
            + (f" (seed {row['seed']})" if "seed" in row else "")
            + f": value {row.get('delta', row.get('mean_delta')):.4g} vs bound {row['bound']:.4g}"
            for row in failing[:5]
        )
        raise AssertionError(f"{what}: {len(failing)} of {len(rows)} rows fail: {shown}")


def assert_theorem_r(records: Iterable[Mapping], *, allow_inconclusive: bool = False) -> None:
    """delta_i <= eps_i + sum_j w_ij delta_j holds (to its measurement error) in every row."""
    _assert_all_hold(check_propagation(check_records(records)), "Theorem R", allow_inconclusive)


def assert_bound_dominates(
    records: Iterable[Mapping],
    bound: Sequence[float],
    failure_probability: float = 0.01,
    *,
    allow_inconclusive: bool = False,
) -> None:
    """mean delta_i over the runs is below ``bound[i-1]`` at every generation, with a Student-t
    interval at ``failure_probability`` over all generations (``check_expected_tv``)."""
    rows = check_expected_tv(check_records(records), bound, failure_probability)
    _assert_all_hold(rows, "the bound on E delta_i", allow_inconclusive)


def assert_calibrated_bound_holds(
    calibration: Iterable[Mapping],
    held_out: Iterable[Mapping],
    alpha: float,
    *,
    allow_inconclusive: bool = False,
) -> None:
    """With C fitted on ``calibration`` (eps_i <= C N_i^-alpha there), Theorem R's bound for each
    held-out run's scenario dominates its delta_i."""
    constant = fit_power_law_constant(check_records(calibration, "calibration"), alpha)
    rows = check_calibrated_bound(check_records(held_out, "held_out"), power_law(constant, alpha))
    _assert_all_hold(rows, f"the calibrated bound (C = {constant:.4g})", allow_inconclusive)


def assert_reproducible(records: Iterable[Mapping]) -> None:
    """Each run's records equal (but for ``wall_time``) a fresh run of the spec they carry."""
    for key, found in group_runs(check_records(records)).items():
        again = run(RunSpec.from_dict(found[0]["spec"]))
        strip = [{k: v for k, v in r.items() if k != "wall_time"} for r in again]
        if strip != [{k: v for k, v in r.items() if k != "wall_time"} for r in found]:
            raise AssertionError(f"run {key} gives other records when its spec is run again")

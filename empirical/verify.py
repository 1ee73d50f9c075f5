"""Does the bound hold? Level 1 (THEORY's Theorem R), checked on recorded runs.

Public API: ``check_propagation(records) -> list[dict]``, one row per (run, generation).

Theorem R: delta_i <= eps_i + sum_{j>=1} w_ij delta_j (triangle inequality through q_i, then joint
convexity of TV; the j = 0 term vanishes as TV(p_0, p_0) = 0). With measured values each known up
to an error, the row's ``margin`` = eps_i + sum_j w_ij delta_j - delta_i must be at least
-``tolerance``, tolerance = delta_error_i + epsilon_error_i + sum_j w_ij delta_error_j; ``holds``
says whether it is. Records are grouped into runs by scenario, model, truth, seed and real mode
(as written by ``empirical.loop.run_loop``); each run must hold generations 1..G.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

__all__ = ["check_propagation"]

_RUN_KEYS = ("scenario", "model", "truth", "seed", "real")


def _run_key(record: Mapping) -> str:
    return json.dumps({k: record.get(k) for k in _RUN_KEYS}, sort_keys=True)


def check_propagation(records: Iterable[Mapping]) -> list[dict]:
    """The Theorem R margin of every generation of every run in ``records``."""
    runs: dict[str, list[Mapping]] = defaultdict(list)
    for record in records:
        runs[_run_key(record)].append(record)
    rows = []
    for key, run in runs.items():
        run = sorted(run, key=lambda r: r["generation"])
        found = [r["generation"] for r in run]
        if found != list(range(1, len(run) + 1)):
            raise ValueError(f"records of run {key} must hold generations 1..G, got {found}")
        delta = [0.0] + [r["delta"] for r in run]
        delta_error = [0.0] + [r["delta_error"] for r in run]
        for r in run:
            i, w = r["generation"], r["weights"]
            if len(w) != i:
                raise ValueError(f"generation {i} must have {i} weights, got {len(w)}")
            carried = sum(w[j] * delta[j] for j in range(1, i))
            bound = r["epsilon"] + carried
            tolerance = (
                r["delta_error"]
                + r["epsilon_error"]
                + sum(w[j] * delta_error[j] for j in range(1, i))
            )
            margin = bound - r["delta"]
            rows.append(
                {
                    "run": key,
                    "generation": i,
                    "delta": r["delta"],
                    "epsilon": r["epsilon"],
                    "bound": bound,
                    "margin": margin,
                    "tolerance": tolerance,
                    "holds": margin >= -tolerance,
                }
            )
    return rows

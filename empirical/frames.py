"""Records as a pandas DataFrame: ``to_frame(records_or_path)``, one row per generation of a run.

Columns: the run's ``key``, ``seed``, ``generation``, ``N``, ``lambda``, the measured ``delta``,
``delta_error``, ``epsilon``, ``epsilon_error`` and ``wall_time``; the spec's ``real`` and
``generations``; ``scenario``, ``model`` and ``truth`` (their names) each followed by their
parameters, sorted by name, as ``scenario.N``, ``model.bandwidth``, ``truth.mean``...; and the
fitted model's own description as ``fitted.<parameter>``. pandas is optional: it
is imported here, on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from empirical.records import check_records, read_records

__all__ = ["to_frame"]

_MEASURED = (
    "key",
    "seed",
    "generation",
    "N",
    "lambda",
    "delta",
    "delta_error",
    "epsilon",
    "epsilon_error",
    "wall_time",
)


def _row(record: Mapping) -> dict[str, object]:
    spec = record["spec"]
    row = {k: record.get(k) for k in _MEASURED}
    row["real"], row["generations"] = spec.get("real"), spec["generations"]
    scenario = dict(spec["scenario"])
    row["scenario"] = scenario.pop("name")
    row.update({f"scenario.{k}": scenario[k] for k in sorted(scenario)})
    for part in ("model", "truth"):
        row[part] = spec[part]["name"]
        params = spec[part]["parameters"]
        row.update({f"{part}.{k}": params[k] for k in sorted(params)})
    fitted = record.get("model", {}).get("parameters", {})
    row.update({f"fitted.{k}": fitted[k] for k in sorted(fitted)})
    return row


def to_frame(records: Iterable[Mapping] | str | os.PathLike):
    """A ``pandas.DataFrame`` of ``records`` (a list of records, or a records file's path)."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "empirical.frames.to_frame needs pandas, which is optional: pip install pandas"
        ) from None
    if isinstance(records, str | os.PathLike):
        records = read_records(records)
    return pandas.DataFrame([_row(r) for r in check_records(records)])

"""Plain-text tables of records: configurations (a run's spec without its seed) labelled A, B, ...,
means per generation, and a sweep's summary per configuration."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from bounds.scenarios import scenario_from_dict
from empirical.spec import MODELS, TRUTHS, Registry

__all__ = ["Configurations", "g", "generation_table", "sweep_table", "table"]

_SPEC_DEFAULTS = {"grid_points": None, "mc_samples": 20_000, "subsample": "counts", "metrics": []}


def g(value: float) -> str:
    """A measured number to 4 significant digits."""
    return f"{value:.4g}"


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return g(value)
    return str(value)


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], notes=()) -> str:
    """Right-aligned columns, then the notes, one per line."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[k]) for r in cells]) for k, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines + list(notes)) + "\n"


def _compact(value: object) -> str:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return json.dumps(value)


def component_text(part: Mapping, registry: Registry | None = None) -> str:
    """'kde(bandwidth=0.2)' from a spec's {"name": ..., "parameters": ...}, the parameters in
    their constructor's order when ``registry`` knows the name (records sort their keys)."""
    given = part["parameters"]
    order = list(given)
    if registry is not None and part["name"] in registry.names():
        known = list(registry.parameters(part["name"]))
        order.sort(key=lambda k: known.index(k) if k in known else len(known))
    params = ", ".join(f"{k}={_compact(given[k])}" for k in order)
    return f"{part['name']}({params})"


def configuration_text(config: Mapping) -> str:
    """A configuration (a spec without its seed) in one line."""
    try:
        scenario = str(scenario_from_dict(dict(config["scenario"])))
    except (TypeError, ValueError):  # a scenario this version does not know
        scenario = json.dumps(config["scenario"])
    parts = [
        scenario,
        component_text(config["model"], MODELS),
        component_text(config["truth"], TRUTHS),
        f"real {config.get('real', 'fixed')}",
        f"{config['generations']} generations",
    ]
    parts += [f"{k} {config[k]}" for k, v in _SPEC_DEFAULTS.items() if config.get(k, v) != v]
    return ", ".join(parts)


class Configurations:
    """The configurations of some records, labelled A, B, ... in order of appearance: a run's
    configuration is its spec without the seed; runs are told apart by their key alone."""

    def __init__(self, records: Iterable[Mapping]) -> None:
        self.specs: dict[str, Mapping] = {}  # label -> configuration
        self.of_run: dict[str, str] = {}  # run key -> label
        self.records: dict[str, list[Mapping]] = defaultdict(list)  # label -> records
        labels: dict[str, str] = {}
        for record in records:
            config = {k: v for k, v in record["spec"].items() if k != "seed"}
            identity = json.dumps(config, sort_keys=True)
            if identity not in labels:
                labels[identity] = _label(len(labels))
                self.specs[labels[identity]] = config
            self.of_run[record["key"]] = labels[identity]
            self.records[labels[identity]].append(record)

    def legend(self) -> list[str]:
        return [f"{label}: {configuration_text(c)}" for label, c in self.specs.items()]


def _label(k: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[k] if k < 26 else f"C{k + 1}"


def generation_table(records: Sequence[Mapping]) -> str:
    """Generation, runs, mean delta and mean epsilon over the runs."""
    by_generation: dict[int, list[Mapping]] = defaultdict(list)
    for record in records:
        by_generation[record["generation"]].append(record)
    rows = []
    for i in sorted(by_generation):
        group = by_generation[i]
        delta = sum(r["delta"] for r in group) / len(group)
        epsilon = sum(r["epsilon"] for r in group) / len(group)
        rows.append([i, len(group), delta, epsilon])
    return table(["generation", "runs", "mean delta", "mean epsilon"], rows)


def sweep_table(configs: Configurations) -> str:
    """Per configuration: runs, mean delta_1, and mean delta and epsilon at the last generation."""
    rows = []
    for label, group in configs.records.items():
        last = max(r["generation"] for r in group)
        first = [r["delta"] for r in group if r["generation"] == 1]
        final = [r for r in group if r["generation"] == last]
        rows.append(
            [
                label,
                len(final),
                sum(first) / len(first),
                last,
                sum(r["delta"] for r in final) / len(final),
                sum(r["epsilon"] for r in final) / len(final),
            ]
        )
    columns = ["config", "runs", "mean delta_1", "G", "mean delta_G", "mean epsilon_G"]
    return table(columns, rows, configs.legend())

"""Run specifications: everything that decides a run's numbers, as one frozen value with one key.

A :class:`RunSpec` names the scenario, the model and the truth (each a :class:`Component`: a
registered name plus parameters), the number of generations, the seed, the real-data mode and the
measurement settings. ``to_dict()``/``RunSpec.from_dict()`` round-trip exactly through plain JSON,
``key()`` is the one identity of a run (sweeps, checks, the report and both command lines group
records by it), and every record embeds the spec it came from, so a record rebuilds its run.

Models and truths are registered once, from their constructors (:data:`MODELS`,
:data:`TRUTHS`): a component's parameters are the constructor's keyword arguments, normalised by
building the object once and reading back its own description (``get_params()`` for a model,
``parameters()`` for a truth), so two ways of writing the same model give the same key.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from bounds import validate
from bounds.scenarios import Scenario, scenario_from_dict
from empirical import truths
from empirical.choices import METRICS, REAL_MODES, SUBSAMPLE_RULES
from empirical.diffusion import DiffusionModel
from empirical.kde import KDE

__all__ = [
    "MODELS",
    "REAL_MODES",
    "SUBSAMPLE_RULES",
    "TRUTHS",
    "Component",
    "MAX_GENERATIONS",
    "Registry",
    "RunSpec",
    "check_sequence",
    "plain",
]


_NON_FINITE = {"inf": math.inf, "-inf": -math.inf}
MAX_GENERATIONS = 10**6  # a run's generations: the loop lists every generation's counts first
MAX_GRID_POINTS = 2**20 + 1  # nodes per axis of the TV grid (the loop's own cap in d = 1)


def check_sequence(name: str, value: object) -> list:
    """``value`` (a list, tuple, range or other iterable; not text, a mapping or a number) as a
    list, else raise naming ``name``."""
    scalar = isinstance(value, np.ndarray) and value.ndim == 0
    if scalar or isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list, got {validate.shown(value)}")
    return list(value)


def plain(value: object) -> object:
    """``value`` as strict JSON data: arrays and tuples become lists, numpy scalars Python
    numbers, and an infinite float its name ("inf", "-inf"); NaN is refused."""
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, np.ndarray | tuple | list):
        return [plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            raise ValueError("a run parameter must be a number, not NaN, got nan")
        return "inf" if value > 0 else "-inf"
    if isinstance(value, complex):
        raise TypeError(f"a run parameter must be a real number, got {validate.shown(value)}")
    return value


def _python(value: object) -> object:
    """Inverse of :func:`plain` for constructor arguments: "inf"/"-inf" become floats."""
    if isinstance(value, list):
        return [_python(v) for v in value]
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    return value


@dataclass(frozen=True, eq=False)
class Component:
    """A registered model or truth: its registry name and its constructor's keyword arguments
    (plain JSON values). Equal components have equal ``to_dict()``."""

    name: str
    parameters: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"a component's name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.parameters, Mapping):
            raise TypeError(f"parameters must be a mapping, got {self.parameters!r}")
        object.__setattr__(self, "parameters", MappingProxyType(plain(dict(self.parameters))))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "parameters": dict(self.parameters)}

    def __reduce__(self) -> tuple:  # picklable for process pools (a mappingproxy is not)
        return (Component, (self.name, dict(self.parameters)))

    def _canonical(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Component) and self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __str__(self) -> str:
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in self.parameters.items())
        return f"{self.name}({args})"


class Registry:
    """Named constructors of one kind of thing (models or truths), read from their signatures."""

    def __init__(self, kind: str, entries: Mapping[str, type]) -> None:
        self.kind = kind
        self._entries = dict(entries)
        self._names = {cls: name for name, cls in self._entries.items()}

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def parameters(self, name: str) -> dict[str, inspect.Parameter]:
        """The keyword arguments of ``name``'s constructor, with their defaults."""
        signature = inspect.signature(self._entry(name))
        return {k: p for k, p in signature.parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD}

    def _entry(self, name: object) -> type:
        if not isinstance(name, str) or name not in self._entries:
            raise ValueError(f"{self.kind} must be one of {', '.join(self._entries)}, got {name!r}")
        return self._entries[name]

    def component(self, name: str, **parameters: object) -> Component:
        """The canonical component for ``name(**parameters)``: built once (so the constructor
        validates every value) and described by the object itself."""
        self._entry(name)
        return self.describe(self.build(Component(name, parameters)))

    def build(self, component: Component) -> object:
        """A fresh object (an unfitted model, or a truth) from ``component``."""
        validate.instance("component", component, Component)
        cls = self._entry(component.name)
        allowed = self.parameters(component.name)
        unknown = sorted(set(component.parameters) - set(allowed))
        if unknown:
            raise ValueError(
                f"{unknown[0]} is not a parameter of {self.kind} {component.name} "
                f"(allowed: {', '.join(allowed) or 'none'})"
            )
        return cls(**{k: _python(v) for k, v in component.parameters.items()})

    def describe(self, obj: object) -> Component:
        """The component that rebuilds ``obj`` (an unregistered type is named by its class and
        described by its own parameters; it can be recorded, not rebuilt)."""
        params = obj.get_params() if hasattr(obj, "get_params") else {}
        params = obj.parameters() if hasattr(obj, "parameters") else params
        name = self._names.get(type(obj))
        if name is None:
            return Component(type(obj).__name__, params)
        allowed = self.parameters(name)
        return Component(name, {k: v for k, v in params.items() if k in allowed})


MODELS = Registry("model", {"kde": KDE, "diffusion": DiffusionModel})
TRUTHS = Registry("truth", truths.TRUTHS)


@dataclass(frozen=True, eq=False)
class RunSpec:
    """Everything that decides the numbers of one self-consuming run.

    ``real`` is "fixed" (one real pool drawn once) or "fresh" (new real draws every generation);
    ``grid_points`` (d <= 2, None for the default) and ``mc_samples`` (d > 2) set how TV is
    measured; ``subsample`` is how a scenario that keeps synthetic data takes its training set:
    "counts" (the scenario's whole counts per source, leading rows of each kept set) or "pool"
    (uniform without replacement from the whole pool, fresh each generation: the published
    Accumulate-Subsample rule); ``metrics`` names record fields beside TV (``METRICS``).
    """

    scenario: Scenario
    model: Component
    truth: Component
    generations: int
    seed: int
    real: str = "fixed"
    grid_points: int | None = None
    mc_samples: int = 20_000
    subsample: str = "counts"
    metrics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate.instance("scenario", self.scenario, Scenario, "a bounds Scenario")
        for name in ("model", "truth"):
            validate.instance(name, getattr(self, name), Component)
        generations = validate.size("generations", self.generations, maximum=MAX_GENERATIONS)
        horizon = self.scenario.horizon
        if horizon is not None and generations > horizon:
            raise ValueError(
                f"generations must be <= {horizon} for this scenario, got {generations}"
            )
        object.__setattr__(self, "generations", generations)
        object.__setattr__(self, "seed", validate.whole("seed", self.seed, minimum=0))
        validate.choice("real", self.real, REAL_MODES)
        if self.grid_points is not None:
            points = validate.size(
                "grid_points", self.grid_points, minimum=5, maximum=MAX_GRID_POINTS
            )
            object.__setattr__(self, "grid_points", points)
        object.__setattr__(self, "mc_samples", validate.size("mc_samples", self.mc_samples, 2))
        metrics = self.metrics
        sequence = isinstance(metrics, tuple | list) and all(isinstance(m, str) for m in metrics)
        if not sequence or not all(m in METRICS for m in metrics):
            raise ValueError(f"metrics must be a sequence drawn from {METRICS}, got {metrics!r}")
        object.__setattr__(self, "metrics", tuple(sorted(set(metrics))))
        validate.choice("subsample", self.subsample, SUBSAMPLE_RULES)
        if self.subsample == "pool" and (self.real != "fixed" or not self.scenario.keeps_synthetic):
            raise ValueError(
                "subsample 'pool' draws from a kept pool: it needs real 'fixed' and a scenario "
                f"that keeps synthetic data, got real {self.real!r} and {self.scenario}"
            )

    def to_dict(self) -> dict[str, object]:
        """Plain JSON data; ``RunSpec.from_dict(spec.to_dict()) == spec``."""
        return {
            "scenario": self.scenario.to_dict(),
            "model": self.model.to_dict(),
            "truth": self.truth.to_dict(),
            "generations": self.generations,
            "seed": self.seed,
            "real": self.real,
            "grid_points": self.grid_points,
            "mc_samples": self.mc_samples,
            "subsample": self.subsample,
            "metrics": list(self.metrics),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RunSpec:
        """Rebuild a spec from ``to_dict()`` output (e.g. the ``spec`` field of a record)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a run spec must be a mapping, got {data!r}")
        missing = [
            k for k in ("scenario", "model", "truth", "generations", "seed") if k not in data
        ]
        if missing:
            raise ValueError(f"a run spec needs {', '.join(missing)}; got {sorted(data)}")
        parts = {k: _component(k, data[k]) for k in ("model", "truth")}
        optional = ("real", "grid_points", "mc_samples", "subsample", "metrics")
        options = {k: data[k] for k in optional if k in data}
        if "metrics" in options and isinstance(options["metrics"], list):
            options["metrics"] = tuple(options["metrics"])
        return cls(
            scenario_from_dict(dict(data["scenario"])),
            parts["model"],
            parts["truth"],
            data["generations"],
            data["seed"],
            **options,
        )

    def key(self) -> str:
        """The run's identity: a digest of its canonical JSON (equal specs, equal keys)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.key())

    def build_model(self) -> object:
        """A fresh, unfitted model of this run."""
        return MODELS.build(self.model)

    def build_truth(self) -> object:
        return TRUTHS.build(self.truth)

    def model_factory(self) -> Callable[[], object]:
        """A picklable zero-argument factory of fresh models (for ``run_loop``)."""
        return _Factory(self.model)

    def __str__(self) -> str:
        return (
            f"{self.scenario}, {self.model}, {self.truth}, {self.generations} generations, "
            f"seed {self.seed}, real {self.real}"
        )


@dataclass(frozen=True)
class _Factory:
    component: Component

    def __call__(self) -> object:
        return MODELS.build(self.component)


def _component(name: str, data: object) -> Component:
    if not isinstance(data, Mapping) or "name" not in data:
        raise ValueError(f"{name} must be a mapping with a 'name' and 'parameters', got {data!r}")
    return Component(data["name"], data.get("parameters", {}))

"""Scenarios, models and truths from command-line text, read off their constructors.

The options of a scenario are the fields of its ``bounds.scenarios.SCENARIOS`` class; those of a
model or truth are its constructor's keyword arguments (``empirical.spec.MODELS`` and
``TRUTHS``), so a new parameter is an option without any change here. Two things are the
command line's own: ``PRESETS`` (what ``--truth gaussian`` and ``--truth mixture`` mean when
nothing else is given, since their constructors have required arguments) and ``ALIASES``
(``sd`` for the Gaussian truth, cov = sd^2).
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields

from bounds import validate
from bounds.scenarios import SCENARIOS, Scenario
from empirical.cli.values import UsageError, parse_value, shorten
from empirical.spec import MODELS, TRUTHS, Component, Registry

__all__ = [
    "ALIASES",
    "PRESETS",
    "add_component_flags",
    "add_scenario_flags",
    "build_component",
    "build_scenario",
    "components_from_flags",
    "flag",
    "scenario_from_flags",
]

REQUIRED = "required"
PRESETS: dict[str, dict[str, dict[str, object]]] = {
    "truth": {
        "gaussian": {"mean": 0.0},
        "mixture": {"weights": [0.5, 0.5], "means": [-1.5, 1.5], "covs": 0.5},
    },
}
ALIASES: dict[str, dict[str, dict[str, tuple[str, Callable[[str, object], object]]]]] = {
    "truth": {"gaussian": {"sd": ("cov", lambda name, sd: validate.positive(name, sd) ** 2)}},
}
REGISTRIES = (MODELS, TRUTHS)


def flag(name: str) -> str:
    """The command-line flag of a parameter: bias_scale -> --bias-scale."""
    return "--" + name.replace("_", "-")


def _show(value: object) -> str:
    return REQUIRED if value is inspect.Parameter.empty else str(value)


# --------------------------------------------------------------------------- scenarios


def scenario_parameters(name: str) -> dict[str, object]:
    """The fields of scenario ``name`` with their defaults (``inspect.Parameter.empty`` if
    required)."""
    if not isinstance(name, str) or name not in SCENARIOS:
        raise UsageError(f"scenario must be one of {', '.join(SCENARIOS)}, got {name!r}")
    return {
        f.name: inspect.Parameter.empty if f.default is MISSING else f.default
        for f in fields(SCENARIOS[name])
    }


def build_scenario(
    name: str, values: Mapping[str, object], label: Callable[[str], str], where: str = ""
) -> Scenario:
    """``SCENARIOS[name](**values)``; ``label(key)`` is how the user wrote a key."""
    prefix = f"{where}: " if where else ""
    if not isinstance(name, str) or name not in SCENARIOS:
        raise UsageError(f"{prefix}scenario must be one of {', '.join(SCENARIOS)}, got {name!r}")
    allowed = scenario_parameters(name)
    for key in values:
        if key not in allowed:
            raise UsageError(
                f"{prefix}{label(key)} is not a parameter of scenario {name} "
                f"(allowed: {', '.join(allowed)})"
            )
    for key, default in allowed.items():
        if default is inspect.Parameter.empty and key not in values:
            raise UsageError(f"{prefix}{label(key)} is required for scenario {name}")
    try:
        return SCENARIOS[name](**values)
    except (ValueError, TypeError, OverflowError) as error:
        raise UsageError(f"{prefix}{error}") from None


def add_scenario_flags(parser: argparse.ArgumentParser) -> None:
    """``--scenario`` and one flag per scenario field (``--N``, ``--lam``, ``--n``, ``--m``...)."""
    parser.add_argument("--scenario", required=True, choices=tuple(SCENARIOS), help="(required)")
    owners: dict[str, list[str]] = {}
    for name in SCENARIOS:
        for key, default in scenario_parameters(name).items():
            shown = REQUIRED if default is inspect.Parameter.empty else f"default {default}"
            owners.setdefault(key, []).append(f"{name} ({shown})")
    for key, names in owners.items():
        parser.add_argument(
            flag(key), dest=f"scenario.{key}", metavar="VALUE", help="scenario " + ", ".join(names)
        )


def scenario_from_flags(args: argparse.Namespace) -> Scenario:
    values = {
        key: parse_value(getattr(args, f"scenario.{key}"), flag(key))
        for key in _scenario_keys()
        if getattr(args, f"scenario.{key}") is not None
    }
    return build_scenario(args.scenario, values, flag)


def _scenario_keys() -> list[str]:
    return list(dict.fromkeys(k for name in SCENARIOS for k in scenario_parameters(name)))


# --------------------------------------------------------------------------- models and truths


def _options(registry: Registry, name: str) -> dict[str, object]:
    """Options of ``name``: constructor keywords (default: the preset, else the constructor's)
    and aliases."""
    presets = PRESETS.get(registry.kind, {}).get(name, {})
    options = {k: presets.get(k, p.default) for k, p in registry.parameters(name).items()}
    for alias, (target, _) in ALIASES.get(registry.kind, {}).get(name, {}).items():
        options[alias] = f"from {target}"
    return options


def build_component(
    registry: Registry,
    name: str,
    given: Mapping[str, object],
    label: Callable[[str], str],
    where: str,
) -> Component:
    """The canonical component for ``name`` with the options ``given`` (presets filled in,
    aliases resolved), validated by its constructor; messages start with ``where``."""
    if not isinstance(name, str) or name not in registry.names():
        raise UsageError(f"{where}: {registry.kind} must be one of {', '.join(registry.names())}")
    allowed = _options(registry, name)
    for key in given:
        if key not in allowed:
            raise UsageError(
                f"{where}: {label(key)} is not an option of {registry.kind} {name} "
                f"(allowed: {', '.join(label(k) for k in allowed) or 'none'})"
            )
    values = dict(PRESETS.get(registry.kind, {}).get(name, {}))
    aliases = ALIASES.get(registry.kind, {}).get(name, {})
    for key, value in given.items():
        if key in aliases:
            target, convert = aliases[key]
            if target in given:
                raise UsageError(f"{where}: give {label(key)} or {label(target)}, not both")
            try:
                values[target] = convert(label(key), value)
            except (ValueError, TypeError) as error:
                raise UsageError(f"{where}: {error}") from None
        else:
            values[key] = value
    try:
        return registry.component(name, **values)
    except (ValueError, TypeError, OverflowError) as error:
        raise UsageError(f"{where}: {error}") from None


def _owners() -> dict[str, list[tuple[Registry, str, object]]]:
    """Every model and truth option: who takes it and its default there."""
    owners: dict[str, list[tuple[Registry, str, object]]] = {}
    for registry in REGISTRIES:
        for name in registry.names():
            for key, default in _options(registry, name).items():
                owners.setdefault(key, []).append((registry, name, default))
    return owners


def add_component_flags(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--truth`` and one flag per option of any model or truth, whose help says
    which model or truth takes it and its default there."""
    parser.add_argument(
        "--model", choices=MODELS.names(), default="kde", help="the model (default kde)"
    )
    parser.add_argument(
        "--truth", choices=TRUTHS.names(), default="gaussian", help="the truth (default gaussian)"
    )
    for key, owners in _owners().items():
        text = "; ".join(f"{r.kind} {name} (default {_show(d)})" for r, name, d in owners)
        parser.add_argument(flag(key), dest=f"option.{key}", metavar="VALUE", help=text)


def components_from_flags(args: argparse.Namespace) -> tuple[Component, Component]:
    """The model and truth of ``loop``: each generated flag goes to the chosen model and/or
    truth that takes it; a flag neither takes is refused."""
    chosen = {MODELS.kind: args.model, TRUTHS.kind: args.truth}
    given: dict[str, dict[str, object]] = {MODELS.kind: {}, TRUTHS.kind: {}}
    for key, owners in _owners().items():
        text = getattr(args, f"option.{key}")
        if text is None:
            continue
        takers = [r.kind for r, name, _ in owners if chosen[r.kind] == name]
        if not takers:
            others = ", ".join(f"{r.kind} {name}" for r, name, _ in owners)
            raise UsageError(
                f"{flag(key)} is not an option of model {args.model} or truth {args.truth}"
                f" (it is one of {others})"
            )
        for kind in takers:
            given[kind][key] = parse_value(text, flag(key))

    def where(registry: Registry) -> str:
        name = chosen[registry.kind]
        keys = given[registry.kind]
        written = " ".join(f"{flag(k)} {shorten(getattr(args, f'option.{k}'))}" for k in keys)
        return f"{registry.kind} {name}" + (f" ({written})" if written else "")

    return tuple(
        build_component(r, chosen[r.kind], given[r.kind], flag, where(r)) for r in REGISTRIES
    )

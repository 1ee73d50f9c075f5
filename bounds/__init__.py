"""Total-variation bounds for self-consuming generative models (Fu et al., ICML 2024).

``bound(scenario, error_model)`` gives Theorem R's bound B_i on TV(p_i, p_0) as a formula that
evaluates fast over numpy arrays and to any precision with mpmath. Names load on first use, so
commands that need no sympy (``bounds threshold``) start without importing it. Strategies for
property tests of your own are in ``bounds.strategies`` (it needs hypothesis).
"""

from importlib import import_module

_HOMES = {
    "Accumulate": "scenarios",
    "Augment": "scenarios",
    "Custom": "scenarios",
    "Proportion": "scenarios",
    "Replace": "scenarios",
    "Scenario": "scenarios",
    "SCENARIOS": "scenarios",
    "scenario_from_dict": "scenarios",
    "ErrorModel": "errors",
    "diffusion_early_stopped": "errors",
    "diffusion_random_features": "errors",
    "from_expression": "errors",
    "power_law": "errors",
    "Bound": "propagation",
    "bound": "propagation",
    "UndecidedLimit": "propagation",
}
__all__ = sorted(_HOMES)
VERSION = "0.1.0"
"""The version of both packages (``bounds`` and ``empirical``), written into every record."""
__version__ = VERSION


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(import_module(f"bounds.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'bounds' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

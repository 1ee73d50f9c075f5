"""Self-consuming loops of small generative models, and exact TV measurement against the bounds.

``run(RunSpec(...))`` runs one loop and returns its records (one per generation); sweeps,
checks, the command line and the report build on that. Names load on first use, so the
``empirical`` command starts without importing what it does not need.
"""

from importlib import import_module

_HOMES = {
    "Bump": "truths",
    "Component": "spec",
    "DiffusionModel": "diffusion",
    "Gaussian": "truths",
    "GaussianMixture": "truths",
    "KDE": "kde",
    "MODELS": "spec",
    "RecordsFileError": "records",
    "RunSpec": "spec",
    "TRUTHS": "spec",
    "check_propagation": "verify",
    "grid": "sweep",
    "read_records": "records",
    "run": "loop",
    "run_loop": "loop",
    "to_frame": "frames",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(import_module(f"empirical.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'empirical' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

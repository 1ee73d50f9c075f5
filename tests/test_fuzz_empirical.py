"""Bad input at every public entry point of ``empirical``: refused by name, or a finite result.

The same property as ``test_fuzz.py`` (whose machinery ``fuzzing.py`` holds), over every module
of ``empirical`` (``MODULES``, found by walking the package): ``ENTRIES`` gives each entry point
one valid, cheap call (tiny samples, one or two generations, small grids, so each call takes
milliseconds) and the parameters fed bad values; ``NOT_FUZZED`` gives the public names that take
no user input, each with its reason. A new public name in ``MODULES`` fails
``test_every_public_entry_point_is_listed`` until it is listed here. The ``empirical`` command
gets random command lines, and output paths that cannot be used, which must be refused in one
line before anything is computed.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from fuzzing import (
    Entry,
    assert_clean_exit,
    expected_rows,
    package_modules,
    run_command,
    safety_rows,
    suite_tests,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import empirical
from bounds import errors, scenarios
from empirical import (
    bounded,
    cli,
    curves,
    experiments,
    figures,
    frames,
    grid,
    kde,
    loop,
    metrics,
    points,
    records,
    spec,
    sweep,
    testing,
    truths,
    tv,
    verify,
)
from empirical.cli import components, execute
from empirical.diffusion import (
    features,
    process,
    study,
    training,
)
from empirical.diffusion import model as diffusion_model
from empirical.experiments import (
    bounds_curves,
    diffusion_loops,
    real_share,
)

matplotlib.use("Agg")

MODULES = package_modules(empirical)  # every module of the package: none can be left out

# --------------------------------------------------------------------------- fixtures of calls

X1 = np.random.default_rng(0).normal(size=(20, 1))
GAUSS = truths.Gaussian(mean=0.0)
MIXTURE = truths.GaussianMixture(weights=[0.5, 0.5], means=[-1.0, 1.0], covs=0.5)
BLOBS = truths.Blobs(centers=2, dim=1)
BUMP = bounded.Bump()
FITTED_KDE = kde.KDE(0.3).fit(X1)
TINY = dict(steps=5, draws=2, sampler="ode")  # a diffusion model fitted in a millisecond
DIFFUSION = dict(width=8, **TINY)
FITTED_DIFFUSION = diffusion_model.DiffusionModel(**DIFFUSION).fit(X1, np.random.default_rng(0))
GRID = tv.Grid(-6.0, 6.0, (65,))
GRID_VALUES = GAUSS.grid_pdf(GRID)[0]
KDE_COMPONENT = spec.MODELS.component("kde", bandwidth=0.3)
TRUTH_COMPONENT = spec.TRUTHS.component("gaussian", mean=0.0)
SPEC = spec.RunSpec(scenarios.Replace(N=20), KDE_COMPONENT, TRUTH_COMPONENT, 2, 0, grid_points=65)
RECORDS = loop.run(SPEC)
RUNS = [r for seed in range(10) for r in loop.run(dataclasses.replace(SPEC, seed=seed))]
LEARN = study.learning_errors([20, 40, 80], [8], [1.0, 10.0], [0, 1], **TINY)
KL_FIT = study.fit_theorem_terms(LEARN, "kl")
SETTINGS = experiments.Settings(Path(tempfile.mkdtemp(prefix="empirical-fuzz-report-")), "quick")
WORKDIR = Path(tempfile.mkdtemp(prefix="empirical-fuzz-"))  # files go here, never in the repo
RECORDS_FILE = WORKDIR / "records.jsonl"
records.write_jsonl(RECORDS_FILE, RECORDS)
SEQUENCE = iter(range(10**9))


def _fresh(name: str) -> Path:
    """A path no call has used yet (so a write never meets an earlier one's file)."""
    return WORKDIR / f"{next(SEQUENCE)}-{name}"


def _method(obj: object, name: str) -> Callable:
    return lambda **kwargs: getattr(obj, name)(**kwargs)


def _density_methods(prefix: str, obj: object, methods: tuple[str, ...]) -> dict[str, Entry]:
    """The methods every ``Density`` has, on ``obj``, with valid calls in its dimension."""
    x = np.zeros((3, obj.dim))
    lo, hi = obj.bounding_box(1e-6)
    valid = {
        "bounding_box": ({"tail": 1e-6}, ("tail",)),
        "grid_pdf": ({"grid": GRID}, ("grid",)),
        "logpdf": ({"x": x}, ("x",)),
        "pdf": ({"x": x}, ("x",)),
        "outside_mass": ({"lo": lo, "hi": hi}, ("lo", "hi")),
        "sample": ({"size": 3, "rng": np.random.default_rng(0)}, ("size", "rng")),
    }
    return {
        f"{prefix}.{name}": Entry(
            _method(obj, name), *valid[name], infinity=-np.inf if name == "logpdf" else None
        )
        for name in methods
        if hasattr(obj, name)
    }


DENSITY = ("bounding_box", "grid_pdf", "logpdf", "pdf", "outside_mass", "sample")


def _run_loop(**kwargs):
    arguments = {
        "scenario": scenarios.Replace(N=20),
        "model_factory": lambda: kde.KDE(0.3),
        "truth": GAUSS,
        "generations": 1,
        "seed": 0,
        "grid_points": 65,
        **kwargs,
    }
    return loop.run_loop(**arguments)


def _run_spec(**kwargs):
    arguments = {
        "scenario": scenarios.Replace(N=20),
        "model": KDE_COMPONENT,
        "truth": TRUTH_COMPONENT,
        "generations": 1,
        "seed": 0,
        "grid_points": 65,
        **kwargs,
    }
    return spec.RunSpec(**arguments)


def _sweep(specs, path):
    return sweep.sweep(
        specs, _fresh("sweep.jsonl") if isinstance(path, str) and path == "fresh" else path
    )


def _write(path, records_):
    return records.write_jsonl(
        _fresh("w.jsonl") if isinstance(path, str) and path == "fresh" else path, records_
    )


def _append(path, records_):
    return records.append_records(
        _fresh("a.jsonl") if isinstance(path, str) and path == "fresh" else path, records_
    )


def _figure_saved(figure, path):
    return figures.save(
        figure, _fresh("f.png") if isinstance(path, str) and path == "fresh" else path
    )


ENTRIES: dict[str, Entry] = {
    # points: the shared checks of the densities
    "empirical.points.as_points": Entry(
        points.as_points, {"x": [[0.0]], "dim": 1, "name": "x"}, ("x", "dim"), names={"x": "x"}
    ),
    "empirical.points.check_box": Entry(
        points.check_box, {"lo": -1.0, "hi": 1.0, "dim": 1}, ("lo", "hi", "dim")
    ),
    "empirical.points.check_rng": Entry(
        points.check_rng, {"rng": np.random.default_rng(0)}, ("rng",)
    ),
    "empirical.points.check_size": Entry(points.check_size, {"size": 3}, ("size",)),
    "empirical.points.check_split": Entry(points.check_split, {"split": "even"}, ("split",)),
    "empirical.points.normal_box_z": Entry(
        points.normal_box_z, {"tail": 1e-6, "dim": 1}, ("tail", "dim")
    ),
    # truths
    "empirical.truths.Gaussian": Entry(truths.Gaussian, {"mean": 0.0, "cov": 1.0}, ("mean", "cov")),
    **_density_methods("empirical.truths.Gaussian", GAUSS, DENSITY),
    "empirical.truths.GaussianMixture": Entry(
        truths.GaussianMixture,
        {"weights": [0.5, 0.5], "means": [-1.0, 1.0], "covs": 0.5, "split": "random"},
        ("weights", "means", "covs", "split"),
    ),
    **_density_methods("empirical.truths.GaussianMixture", MIXTURE, DENSITY),
    "empirical.truths.Blobs": Entry(
        truths.Blobs,
        {"centers": 2, "dim": 1, "low": -5.0, "high": 5.0, "sd": 1.0, "seed": 0},
        ("centers", "dim", "low", "high", "sd", "seed", "split"),
    ),
    **_density_methods("empirical.truths.Blobs", BLOBS, DENSITY),
    "empirical.bounded.Bump": Entry(
        bounded.Bump, {"center": 0.0, "radius": 1.0}, ("center", "radius")
    ),
    **_density_methods("empirical.bounded.Bump", BUMP, DENSITY),
    "empirical.curves.Moons": Entry(
        curves.Moons, {"noise": 0.1, "split": "random"}, ("noise", "split")
    ),
    "empirical.curves.Circles": Entry(
        curves.Circles, {"noise": 0.05, "factor": 0.8, "split": "random"}, ("noise", "factor")
    ),
    # kde
    "empirical.kde.KDE": Entry(kde.KDE, {"bandwidth": 0.3}, ("bandwidth",)),
    "empirical.kde.KDE.fit": Entry(
        lambda X, rng: kde.KDE(0.3).fit(X, rng), {"X": X1, "rng": None}, ("X", "rng")
    ),
    **_density_methods("empirical.kde.KDE", FITTED_KDE, DENSITY),
    # the diffusion model (its numeric kernels are listed in NOT_FUZZED)
    "empirical.diffusion.model.DiffusionModel": Entry(
        diffusion_model.DiffusionModel,
        {**DIFFUSION, "T": 5.0, "t0": 1e-3, "tau": 1e8, "bias_scale": 1.0},
        ("width", "T", "t0", "steps", "sampler", "tau", "draws", "bias_scale", "feature_seed"),
        names={"steps": ("steps", "time grid")},
    ),
    "empirical.diffusion.model.DiffusionModel.fit": Entry(
        lambda X, rng: diffusion_model.DiffusionModel(**DIFFUSION).fit(X, rng),
        {"X": X1, "rng": np.random.default_rng(0)},
        ("X", "rng"),
    ),
    "empirical.diffusion.model.DiffusionModel.pdf": Entry(
        _method(FITTED_DIFFUSION, "pdf"), {"x": np.zeros((3, 1))}, ("x",)
    ),
    "empirical.diffusion.model.DiffusionModel.sample": Entry(
        _method(FITTED_DIFFUSION, "sample"),
        {"size": 3, "rng": np.random.default_rng(0)},
        ("size", "rng"),
    ),
    "empirical.diffusion.model.fit_path": Entry(
        lambda X, rng, taus: diffusion_model.fit_path(X, rng, taus, **DIFFUSION),
        {"X": X1, "rng": np.random.default_rng(0), "taus": [1.0, 10.0]},
        ("X", "rng", "taus"),
        names={"taus": ("taus", "tau")},
    ),
    "empirical.diffusion.process.time_grid": Entry(
        process.time_grid, {"T": 5.0, "t0": 1e-3, "steps": 5}, ("T", "t0", "steps")
    ),
    "empirical.diffusion.process.GaussianScore": Entry(
        process.GaussianScore, {"mean": [0.0], "cov": [[1.0]]}, ("mean", "cov")
    ),
    "empirical.diffusion.process.MixtureScore": Entry(
        process.MixtureScore,
        {"weights": [1.0], "means": [[0.0]], "covs": [[[1.0]]]},
        ("weights", "means", "covs"),
    ),
    # tv
    "empirical.tv.Grid": Entry(
        tv.Grid, {"lo": -1.0, "hi": 1.0, "shape": (5,)}, ("lo", "hi", "shape")
    ),
    "empirical.tv.check_grid": Entry(tv.check_grid, {"grid": GRID, "dim": 1}, ("grid", "dim")),
    "empirical.tv.check_density": Entry(
        tv.check_density,
        {"name": "p", "density": GAUSS, "dim": 1},
        ("density", "dim"),
        names={"density": "p", "dim": ("dim", "dimension")},
    ),
    "empirical.tv.check_values": Entry(
        tv.check_values,
        {"name": "p", "values": GRID_VALUES, "grid": GRID},
        ("values", "grid"),
        names={"values": "p"},
    ),
    "empirical.tv.Grid.widened": Entry(_method(GRID, "widened"), {"factor": 1.5}, ("factor",)),
    "empirical.tv.evaluate": Entry(
        tv.evaluate, {"density": GAUSS, "grid": GRID}, ("density", "grid")
    ),
    "empirical.tv.integrate": Entry(
        tv.integrate, {"values": GRID_VALUES, "grid": GRID}, ("values", "grid")
    ),
    "empirical.tv.outside_mass": Entry(
        tv.outside_mass,
        {"density": GAUSS, "grid": GRID, "values": GRID_VALUES},
        ("density", "grid", "values"),
    ),
    "empirical.tv.tv_on_grid": Entry(
        tv.tv_on_grid,
        {"p_values": GRID_VALUES, "q_values": GRID_VALUES, "grid": GRID},
        ("p_values", "q_values", "grid"),
    ),
    "empirical.tv.tv": Entry(
        tv.tv,
        {"p": GAUSS, "q": MIXTURE, "tol": 1e-2, "tail": 1e-6, "samples": 100},
        ("p", "q", "tol", "tail", "rng", "samples", "confidence"),
    ),
    "empirical.tv.tv_monte_carlo": Entry(
        tv.tv_monte_carlo,
        {"p": GAUSS, "q": MIXTURE, "samples": 100, "rng": np.random.default_rng(0)},
        ("p", "q", "samples", "rng", "confidence"),
    ),
    # grid sizing
    "empirical.grid.a_priori_error": Entry(
        grid.a_priori_error, {"spacing": 0.1, "length_scale": 1.0}, ("spacing", "length_scale")
    ),
    "empirical.grid.length_scale_of": Entry(grid.length_scale_of, {"density": GAUSS}, ("density",)),
    "empirical.grid.check_resolution": Entry(
        grid.check_resolution,
        {"grid": GRID, "length_scale": 1.0, "tol": 0.1},
        ("grid", "length_scale", "tol"),
    ),
    "empirical.grid.grid_for": Entry(
        grid.grid_for,
        {"lo": -1.0, "hi": 1.0, "length_scale": 1.0, "tol": 0.1, "max_points": 1025},
        ("lo", "hi", "length_scale", "tol", "max_points"),
        names={k: (k, "max_points") for k in ("lo", "hi", "length_scale", "tol")},
    ),
    "empirical.grid.refined_to_resolve": Entry(
        grid.refined_to_resolve,
        {"grid": GRID, "length_scale": 1.0, "tol": 0.1, "max_points": 1025},
        ("grid", "length_scale", "tol", "max_points"),
    ),
    "empirical.grid.spread_box": Entry(
        grid.spread_box,
        {"lo": -1.0, "hi": 1.0, "kernel_sd": 0.3, "generations": 2, "tail": 1e-6},
        ("lo", "hi", "kernel_sd", "generations", "tail"),
    ),
    "empirical.grid.loop_grid": Entry(
        grid.loop_grid,
        {"truth": GAUSS, "kernel_sd": 0.3, "generations": 2, "tol": 0.1, "max_points": 1025},
        ("truth", "kernel_sd", "generations", "tol", "max_points", "tail", "start"),
        names={k: (k, "max_points") for k in ("kernel_sd", "generations", "tol")},
    ),
    # metrics
    "empirical.metrics.held_out_set": Entry(
        metrics.held_out_set, {"truth": GAUSS, "size": 5, "seed": 0}, ("truth", "size", "seed")
    ),
    "empirical.metrics.nll": Entry(
        metrics.nll,
        {"model": FITTED_KDE, "points": np.zeros((3, 1))},
        ("model", "points"),
        infinity=np.inf,  # the documented NLL where the model's density is 0 at a point
    ),
    "empirical.metrics.kl": Entry(
        metrics.kl, {"p": GAUSS, "q": MIXTURE, "grid": GRID}, ("p", "q", "grid")
    ),
    "empirical.metrics.chi2": Entry(
        metrics.chi2, {"p": GAUSS, "q": MIXTURE, "grid": GRID}, ("p", "q", "grid")
    ),
    "empirical.metrics.kl_on_grid": Entry(
        metrics.kl_on_grid,
        {"p": GRID_VALUES, "q": GRID_VALUES, "grid": GRID},
        ("p", "q", "grid", "p_error", "q_error"),
    ),
    "empirical.metrics.chi2_on_grid": Entry(
        metrics.chi2_on_grid,
        {"p": GRID_VALUES, "q": GRID_VALUES, "grid": GRID},
        ("p", "q", "grid", "p_error", "q_error"),
    ),
    "empirical.metrics.w2_gaussian": Entry(
        metrics.w2_gaussian,
        {"mean1": [0.0], "cov1": [[1.0]], "mean2": [1.0], "cov2": [[2.0]]},
        ("mean1", "cov1", "mean2", "cov2"),
    ),
    "empirical.metrics.gelbrich_bound": Entry(
        metrics.gelbrich_bound, {"p": GAUSS, "q": MIXTURE}, ("p", "q")
    ),
    "empirical.metrics.moment_drift": Entry(
        metrics.moment_drift, {"p": GAUSS, "q": MIXTURE}, ("p", "q")
    ),
    # runs: specs, the loop, sweeps and records files
    "empirical.spec.Component": Entry(
        spec.Component, {"name": "kde", "parameters": {"bandwidth": 0.3}}, ("name", "parameters")
    ),
    "empirical.spec.Registry.build": Entry(
        _method(spec.MODELS, "build"), {"component": KDE_COMPONENT}, ("component",)
    ),
    "empirical.spec.Registry.component": Entry(
        lambda name, bandwidth: spec.MODELS.component(name, bandwidth=bandwidth),
        {"name": "kde", "bandwidth": 0.3},
        ("name", "bandwidth"),
        names={"name": "model", "bandwidth": ("bandwidth", "run parameter")},
    ),
    "empirical.spec.Registry.describe": Entry(
        _method(spec.MODELS, "describe"), {"obj": kde.KDE(0.3)}, ("obj",)
    ),
    "empirical.spec.Registry.parameters": Entry(
        _method(spec.MODELS, "parameters"), {"name": "kde"}, ("name",), names={"name": "model"}
    ),
    "empirical.spec.RunSpec": Entry(
        _run_spec,
        {},
        ("scenario", "model", "truth", "generations", "seed", "real", "grid_points"),
    ),
    "empirical.spec.RunSpec.from_dict": Entry(
        spec.RunSpec.from_dict, {"data": SPEC.to_dict()}, ("data",), names={"data": "run spec"}
    ),
    "empirical.spec.plain": Entry(
        spec.plain, {"value": 1.0}, ("value",), names={"value": "run parameter"}
    ),
    "empirical.loop.run": Entry(loop.run, {"spec": SPEC, "path": None}, ("spec", "path")),
    "empirical.loop.run_loop": Entry(
        _run_loop,
        {},
        ("scenario", "model_factory", "truth", "generations", "seed", "real", "grid_points"),
    ),
    "empirical.sweep.grid": Entry(
        sweep.grid,
        {
            "scenarios": [scenarios.Replace(N=20)],
            "models": [KDE_COMPONENT],
            "truths": [TRUTH_COMPONENT],
            "seeds": [0],
            "generations": 1,
        },
        ("scenarios", "models", "truths", "seeds", "generations", "real"),
        names={k: (k, k[:-1]) for k in ("scenarios", "models", "truths", "seeds")},
    ),
    "empirical.sweep.recorded_keys": Entry(sweep.recorded_keys, {"path": RECORDS_FILE}, ("path",)),
    "empirical.sweep.sweep": Entry(_sweep, {"specs": [SPEC], "path": "fresh"}, ("specs", "path")),
    "empirical.records.check_records": Entry(
        records.check_records,
        {"value": RECORDS, "name": "records"},
        ("value",),
        names={"value": "records"},
    ),
    "empirical.spec.check_sequence": Entry(
        lambda value: len(spec.check_sequence("seeds", value)),  # items: the caller's to check
        {"value": [0, 1]},
        ("value",),
        names={"value": "seeds"},
    ),
    "empirical.records.is_record": Entry(records.is_record, {"obj": RECORDS[0]}, ("obj",)),
    "empirical.records.read_jsonl": Entry(
        records.read_jsonl, {"path": RECORDS_FILE}, ("path",), raises=(FileNotFoundError,)
    ),
    "empirical.records.read_records": Entry(
        records.read_records, {"path": RECORDS_FILE}, ("path",), raises=(FileNotFoundError,)
    ),
    "empirical.records.write_jsonl": Entry(
        _write,
        {"path": "fresh", "records_": RECORDS},
        ("path", "records_"),
        names={"records_": "records"},
    ),
    "empirical.records.append_records": Entry(
        _append,
        {"path": "fresh", "records_": RECORDS},
        ("path", "records_"),
        names={"records_": "records"},
    ),
    "empirical.frames.to_frame": Entry(
        frames.to_frame,
        {"records": RECORDS},
        ("records",),
        names={"records": ("records", "path")},
        raises=(FileNotFoundError,),  # a path that names no file
    ),
    # checks of records against the bounds
    "empirical.verify.verdict": Entry(
        verify.verdict,
        {"margin": 0.1, "error": 0.01, "scale": 1.0, "resolution": 0.05},
        ("margin", "error", "scale", "resolution"),
    ),
    "empirical.verify.group_runs": Entry(verify.group_runs, {"records": RECORDS}, ("records",)),
    "empirical.verify.check_propagation": Entry(
        verify.check_propagation,
        {"records": RECORDS, "resolution": 0.05},
        ("records", "resolution"),
    ),
    "empirical.verify.check_expected_tv": Entry(
        verify.check_expected_tv,
        {"records": RUNS, "bound": [1.0, 1.0], "failure_probability": 0.01},
        ("records", "bound", "failure_probability"),
    ),
    "empirical.verify.gaussian_truth": Entry(verify.gaussian_truth, {"truth": GAUSS}, ("truth",)),
    "empirical.verify.verify_kde_constants": Entry(
        verify.verify_kde_constants,
        {
            "scenario": scenarios.Replace(N=20),
            "truth": GAUSS,
            "bandwidth": 0.3,
            "generations": 1,
            "seeds": range(10),
        },
        ("scenario", "truth", "bandwidth", "generations", "seeds", "failure_probability"),
        names={"bandwidth": ("bandwidth", "length scale")},  # the loop's grid: h is its scale
        timeout=20.0,  # ten loops: a huge bandwidth makes each take a second on a busy machine
    ),
    "empirical.verify.fit_power_law_constant": Entry(
        verify.fit_power_law_constant, {"records": RECORDS, "alpha": 0.5}, ("records", "alpha")
    ),
    "empirical.verify.check_calibrated_bound": Entry(
        verify.check_calibrated_bound,
        {"records": RECORDS, "error": errors.power_law(C=1.0, alpha=0.5)},
        ("records", "error"),
    ),
    "empirical.verify.check_rise_and_fall": Entry(
        verify.check_rise_and_fall,
        {"x": [1.0, 2.0, 3.0], "values": np.array([[0.1, 0.3, 0.1]] * 4), "bootstrap": 20},
        ("x", "values", "failure_probability", "seed", "bootstrap"),
    ),
    "empirical.verify.fit_rate": Entry(
        verify.fit_rate,
        {"sizes": [10.0, 100.0, 1000.0], "values": [0.3, 0.1, 0.03]},
        ("sizes", "values", "confidence"),
    ),
    "empirical.testing.assert_reproducible": Entry(
        testing.assert_reproducible, {"records": RECORDS}, ("records",)
    ),
    "empirical.testing.assert_theorem_r": Entry(
        testing.assert_theorem_r,
        {"records": RECORDS, "allow_inconclusive": True},
        ("records", "allow_inconclusive"),
    ),
    "empirical.testing.assert_bound_dominates": Entry(
        testing.assert_bound_dominates,
        {"records": RUNS, "bound": [1.0, 1.0], "allow_inconclusive": True},
        ("records", "bound", "failure_probability", "allow_inconclusive"),
        raises=(AssertionError,),  # its documented answer when the bound is below the mean
    ),
    "empirical.testing.assert_calibrated_bound_holds": Entry(
        testing.assert_calibrated_bound_holds,
        {"calibration": RECORDS, "held_out": RECORDS, "alpha": 0.5, "allow_inconclusive": True},
        ("calibration", "held_out", "alpha", "allow_inconclusive"),
    ),
    # figures
    "empirical.figures.new_figure": Entry(
        figures.new_figure, {"width": 3.0, "height": 2.0}, ("width", "height")
    ),
    "empirical.figures.save": Entry(
        _figure_saved,
        {"figure": figures.new_figure(1.0, 1.0), "path": "fresh"},
        ("figure", "path"),
        names={"path": ("path", "file")},
    ),
    "empirical.figures.value_scale": Entry(
        figures.value_scale, {"values": [0.1, 1.0]}, ("values",)
    ),
    "empirical.figures.bound_curves": Entry(
        figures.bound_curves,
        {"i": [1, 2], "values": {"b": [0.1, 0.2]}, "title": "t", "limits": None},
        ("i", "values", "title", "limits"),
    ),
    "empirical.figures.threshold_curves": Entry(
        figures.threshold_curves,
        {"ratios": [0.5, 1.0], "curves": {2: [0.1, 0.2]}, "peaks": {2: (1.0, 0.2)}, "title": "t"},
        ("ratios", "curves", "peaks", "title"),
    ),
    "empirical.figures.delta_by_generation": Entry(
        figures.delta_by_generation,
        {"records": {"replace": RECORDS}, "bound": {"replace": [0.5, 0.6]}, "title": "t"},
        ("records", "bound", "title"),
    ),
    "empirical.figures.densities": Entry(
        figures.densities,
        {"x": [0.0, 1.0], "truth": [0.4, 0.2], "curves": [("p1", [0.3, 0.3])], "title": "t"},
        ("x", "truth", "curves", "title"),
    ),
    "empirical.figures.kde_replace_vs_proportion": Entry(
        lambda path, **kw: figures.kde_replace_vs_proportion(_fresh("k.png"), **kw),
        {"path": None, "N": 20, "lam": 0.5, "bandwidth": 0.3, "generations": 1, "seeds": 1},
        ("N", "lam", "bandwidth", "generations", "seeds"),
        timeout=20.0,  # two loops; h = 2^63 widens the grid often (1.7 s on a quiet machine)
    ),
    # the diffusion study (tiny: widths of 8, five steps)
    "empirical.diffusion.study.learning_errors": Entry(
        lambda sizes, widths, taus, seeds: study.learning_errors(
            sizes, widths, taus, seeds, **TINY
        ),
        {"sizes": [20], "widths": [8], "taus": [1.0], "seeds": [0]},
        ("sizes", "widths", "taus", "seeds"),
        names={k: (k, k[:-1], "size", "width") for k in ("sizes", "widths", "taus", "seeds")},
    ),
    "empirical.diffusion.study.early_stopping_runs": Entry(
        lambda taus, seeds, generations, n: study.early_stopping_runs(
            taus, seeds, generations, n, width=8, **TINY
        ),
        {"taus": {"a": 1.0}, "seeds": [0], "generations": 1, "n": 20},
        ("taus", "seeds", "generations", "n"),
        names={"taus": ("taus", "tau"), "seeds": ("seeds", "seed"), "n": ("n", "N")},
    ),
    "empirical.diffusion.study.measured_rate": Entry(
        study.measured_rate, {"records": LEARN, "width": 8}, ("records", "width")
    ),
    "empirical.diffusion.study.optimal_tau": Entry(
        study.optimal_tau, {"records": LEARN}, ("records",)
    ),
    "empirical.diffusion.study.fit_theorem_terms": Entry(
        study.fit_theorem_terms, {"records": LEARN, "quantity": "kl"}, ("records", "quantity")
    ),
    "empirical.diffusion.study.calibrated_error_model": Entry(
        study.calibrated_error_model,
        {"fit": KL_FIT, "M": 8, "tau": 1.0, "provenance": "calibrated on a test"},
        ("fit", "M", "tau", "provenance"),
    ),
    "empirical.diffusion.training.check_tau": Entry(
        training.check_tau,
        {"tau": 1.0},
        ("tau",),
        infinity=np.inf,  # inf: least squares
    ),
    "empirical.diffusion.features.RandomFeatures.draw": Entry(
        features.RandomFeatures.draw,
        {"width": 8, "dim": 1, "rng": np.random.default_rng(0), "bias_scale": 1.0},
        ("width", "dim", "rng", "bias_scale"),
    ),
    # the report's experiments
    "empirical.experiments.Settings": Entry(
        experiments.Settings,
        {"out": SETTINGS.out, "scale": "quick", "jobs": 1},
        ("out", "scale", "jobs"),
    ),
    "empirical.experiments.Table": Entry(
        experiments.Table,
        {"name": "t", "columns": ["a"], "rows": [[1]], "caption": "", "shown_rows": None},
        ("name", "columns", "rows", "caption", "shown_rows"),
    ),
    "empirical.experiments.Claim": Entry(
        experiments.Claim,
        {"claim": "c", "figure": "f", "numbers": "1", "outcome": "supported"},
        ("claim", "figure", "numbers", "outcome"),
    ),
    "empirical.experiments.Section": Entry(
        experiments.Section,
        {"title": "t", "paragraphs": ["p"], "tables": (), "figures": {}, "claims": ()},
        ("title", "paragraphs", "tables", "figures", "claims"),
    ),
    "empirical.experiments.Experiment": Entry(
        experiments.Experiment,
        {"name": "e", "specs": lambda settings: [], "analyse": lambda records, settings: None},
        ("name",),
        names={"name": "name"},
    ),
    "empirical.experiments.describe_runs": Entry(
        experiments.describe_runs, {"records": RECORDS}, ("records",)
    ),
    "empirical.experiments.real_share.welch_interval": Entry(
        real_share.welch_interval,
        {
            "a": np.array([0.1, 0.2, 0.3]),
            "b": np.array([0.2, 0.1, 0.4]),
            "failure_probability": 0.05,
        },
        ("a", "b", "failure_probability"),
    ),
    "empirical.experiments.bounds_curves.scenarios": Entry(
        bounds_curves.scenarios, {"n": 20}, ("n",), names={"n": ("n", "N")}
    ),
    "empirical.experiments.diffusion_loops.density_points": Entry(
        diffusion_loops.density_points, {"truth": GAUSS}, ("truth",)
    ),
    # the command line's building blocks (main is fuzzed with argument lists below)
    "empirical.cli.components.scenario_parameters": Entry(
        components.scenario_parameters, {"name": "replace"}, ("name",), names={"name": "scenario"}
    ),
    "empirical.cli.components.build_scenario": Entry(
        lambda name, N: components.build_scenario(name, {"N": N}, lambda k: f"--{k}"),
        {"name": "replace", "N": 20},
        ("name", "N"),
        names={"name": "scenario"},
    ),
    "empirical.cli.components.build_component": Entry(
        lambda name, bandwidth: components.build_component(
            spec.MODELS, name, {"bandwidth": bandwidth}, lambda k: f"--{k}", "--model"
        ),
        {"name": "kde", "bandwidth": 0.3},
        ("name", "bandwidth"),
        names={"name": ("--model", "model"), "bandwidth": ("bandwidth", "run parameter")},
    ),
    "empirical.cli.execute.check_output": Entry(
        execute.check_output, {"path": RECORDS_FILE}, ("path",), names={"path": "output"}
    ),
}

RECORD_TYPE = "a result record the package builds"
KERNEL = "a numeric kernel of DiffusionModel, called with the arrays the model built and checked"
ARGV = "parses the text argparse gives main (fuzzed through main)"
CHECK_COMMAND = "checks or formats the records the check command read (fuzzed through main)"
NAMESPACE = "reads an argparse Namespace (fuzzed through main)"
OUTPUT_DENSITY = "the sampler's output density DiffusionModel builds from its own score and grid"
STUDY_RECORDS = "judges or draws the records of the study's own runners (fuzzed above)"
EXPERIMENT = "an experiment's own grid, analysis or table of its own records (run by the report)"
REPORT = "takes the report's own Experiment and Settings"
CHECKED_VALUES = "tv_on_grid without its checks, for the values evaluate returned"
LOOP_GRID = "the loop's shared TV grid, built and fed by run_loop from its checked spec"
NOT_FUZZED: dict[str, str] = {
    "empirical.shared_grid.SharedGrid": LOOP_GRID,
    "empirical.tv.tv_on_checked_grid": CHECKED_VALUES,
    "empirical.shared_grid.SharedGrid.add": LOOP_GRID,
    "empirical.shared_grid.SharedGrid.common": LOOP_GRID,
    "empirical.shared_grid.SharedGrid.drop": LOOP_GRID,
    "empirical.shared_grid.SharedGrid.tv": LOOP_GRID,
    "empirical.diffusion.gauss_sum.BandedGaussianSum": KERNEL,
    "empirical.diffusion.gauss_sum.BandedGaussianSum.__call__": KERNEL,
    "empirical.diffusion.gauss_sum.BandedGaussianSum.entries": KERNEL,
    "empirical.diffusion.gauss_sum.BandedGaussianSum.offsets": KERNEL,
    "empirical.diffusion.gauss_sum.banded_gaussian_sum": KERNEL,
    "empirical.diffusion.training.kernel_spectrum": KERNEL,
    "empirical.diffusion.density.Pushforward1D.invert": OUTPUT_DENSITY,
    "empirical.diffusion.features.RandomFeatureScore.pieces_at": KERNEL,
    "empirical.diffusion.features.RandomFeatures.weighted": KERNEL,
    "empirical.diffusion.process.GaussianScore.pieces_at": KERNEL,
    "empirical.diffusion.sampling.stacked_pieces": KERNEL,
    "empirical.cli.checks.kde_bound": CHECK_COMMAND,
    "empirical.cli.checks.kde_inputs": CHECK_COMMAND,
    "empirical.cli.checks.level1_lines": CHECK_COMMAND,
    "empirical.cli.checks.level2_table": CHECK_COMMAND,
    "empirical.cli.checks.outcome": CHECK_COMMAND,
    "empirical.cli.checks.read_checked": CHECK_COMMAND,
    "empirical.cli.checks.render": CHECK_COMMAND,
    "empirical.cli.checks.run_table": CHECK_COMMAND,
    "empirical.cli.checks.theorem_r": CHECK_COMMAND,
    "empirical.cli.checks.verdict_lines": CHECK_COMMAND,
    "empirical.cli.commands.run_check": NAMESPACE,
    "empirical.cli.commands.run_loop": NAMESPACE,
    "empirical.cli.commands.run_report": NAMESPACE,
    "empirical.cli.commands.run_sweep": NAMESPACE,
    "empirical.cli.tables.Configurations": CHECK_COMMAND,
    "empirical.cli.tables.component_text": CHECK_COMMAND,
    "empirical.cli.tables.configuration_text": CHECK_COMMAND,
    "empirical.cli.tables.g": CHECK_COMMAND,
    "empirical.cli.tables.generation_table": CHECK_COMMAND,
    "empirical.cli.tables.sweep_table": CHECK_COMMAND,
    "empirical.cli.tables.table": CHECK_COMMAND,
    "empirical.diffusion.density.Pushforward1D": OUTPUT_DENSITY,
    "empirical.diffusion.density.Pushforward1D.cdf": OUTPUT_DENSITY,
    "empirical.diffusion.density.Pushforward1D.outside_mass": OUTPUT_DENSITY,
    "empirical.diffusion.density.Pushforward1D.pdf": OUTPUT_DENSITY,
    "empirical.diffusion.density.PushforwardNewton": OUTPUT_DENSITY,
    "empirical.diffusion.density.PushforwardNewton.invert": OUTPUT_DENSITY,
    "empirical.diffusion.density.PushforwardNewton.pdf": OUTPUT_DENSITY,
    "empirical.diffusion.density.SDEGridDensity1D": OUTPUT_DENSITY,
    "empirical.diffusion.density.SDEGridDensity1D.outside_mass": OUTPUT_DENSITY,
    "empirical.diffusion.density.SDEGridDensity1D.pdf": OUTPUT_DENSITY,
    "empirical.diffusion.features.RandomFeatureScore": KERNEL,
    "empirical.diffusion.features.RandomFeatureScore.__call__": KERNEL,
    "empirical.diffusion.features.RandomFeatureScore.jacobian": KERNEL,
    "empirical.diffusion.features.RandomFeatureScore.pieces": KERNEL,
    "empirical.diffusion.features.RandomFeatures": KERNEL,
    "empirical.diffusion.features.RandomFeatures.__call__": KERNEL,
    "empirical.diffusion.features.RandomFeatures.biases": KERNEL,
    "empirical.diffusion.features.RandomFeatures.preactivations": KERNEL,
    "empirical.diffusion.features.time_embedding": KERNEL,
    "empirical.diffusion.sampling.Score": KERNEL,
    "empirical.diffusion.sampling.Score.__call__": KERNEL,
    "empirical.diffusion.sampling.Score.jacobian": KERNEL,
    "empirical.diffusion.sampling.ode_flow": KERNEL,
    "empirical.diffusion.sampling.ode_flow_by_pieces": KERNEL,
    "empirical.diffusion.sampling.ode_flow_with_jacobian": KERNEL,
    "empirical.diffusion.sampling.ode_step": KERNEL,
    "empirical.diffusion.sampling.sde_drift_step": KERNEL,
    "empirical.diffusion.sampling.sde_sample": KERNEL,
    "empirical.diffusion.sampling.sde_sample_by_pieces": KERNEL,
    "empirical.diffusion.study.early_stopping_figure": STUDY_RECORDS,
    "empirical.diffusion.study.early_stopping_verdict": STUDY_RECORDS,
    "empirical.diffusion.study.theorem_figure": STUDY_RECORDS,
    "empirical.diffusion.training.NormalEquations": KERNEL,
    "empirical.diffusion.training.NormalEquations.loss": KERNEL,
    "empirical.diffusion.training.assemble": KERNEL,
    "empirical.diffusion.training.flow_from_spectrum": KERNEL,
    "empirical.diffusion.training.gradient_descent": KERNEL,
    "empirical.diffusion.training.gradient_flow": KERNEL,
    "empirical.diffusion.training.posterior_noise": KERNEL,
    "empirical.diffusion.training.weighted_score_error": KERNEL,
    "empirical.experiments.Experiment.runner": "the default runner, empirical.loop.run (fuzzed)",
    "empirical.experiments.Settings.pick": "picks one of the three values an experiment gives",
    "empirical.experiments.bounds_curves.analyse": EXPERIMENT,
    "empirical.experiments.bounds_curves.specs": EXPERIMENT,
    "empirical.experiments.common.count_verdicts": EXPERIMENT,
    "empirical.experiments.common.counts_text": EXPERIMENT,
    "empirical.experiments.common.level1_table": EXPERIMENT,
    "empirical.experiments.common.outcome": EXPERIMENT,
    "empirical.experiments.diffusion_loops.analyse": EXPERIMENT,
    "empirical.experiments.diffusion_loops.run_with_densities": (
        "runs one of the experiment's own specs (checked as by loop.run)"
    ),
    "empirical.experiments.diffusion_loops.specs": EXPERIMENT,
    "empirical.experiments.kde_loops.analyse": EXPERIMENT,
    "empirical.experiments.kde_loops.sizes": EXPERIMENT,
    "empirical.experiments.kde_loops.specs": EXPERIMENT,
    "empirical.experiments.pending": REPORT,
    "empirical.experiments.records_path": REPORT,
    "empirical.experiments.run_experiment": REPORT,
    "empirical.experiments.stopping.analyse": EXPERIMENT,
    "empirical.experiments.stopping.specs": EXPERIMENT,
    "empirical.experiments.theorem1.learning_records": EXPERIMENT,
    "empirical.experiments.threshold.analyse": EXPERIMENT,
    "empirical.experiments.threshold.specs": EXPERIMENT,
    "empirical.cli.values.shorten": ARGV,
    "empirical.cli.values.split_top": ARGV,
    "empirical.cli.values.parse_value": ARGV,
    "empirical.cli.values.parse_named": ARGV,
    "empirical.cli.values.whole_range": ARGV,
    "empirical.cli.values.shard": ARGV,
    "empirical.cli.components.flag": "maps the package's own parameter names to flags",
    "empirical.cli.execute.check_sizes": "checks the specs main built (fuzzed through main)",
    "empirical.cli.execute.check_picklable": "checks the specs main built (fuzzed through main)",
    "empirical.cli.execute.progress_enabled": "reads --quiet from argparse (fuzzed through main)",
    "empirical.cli.main": "fuzzed by test_command_line_never_shows_a_traceback",
    "empirical.cli.Parser": "argparse parser; its error() is tested by the command-line tests",
    "empirical.cli.Parser.error": "argparse hook, called by argparse with its message",
    "empirical.cli.build_parser": "builds the parser of the command (fuzzed through main)",
    "empirical.cli.values.UsageError": "an exception class",
    "empirical.cli.components.add_component_flags": "adds argparse options (fuzzed through main)",
    "empirical.cli.components.add_scenario_flags": "adds argparse options (fuzzed through main)",
    "empirical.cli.components.components_from_flags": "reads an argparse Namespace (via main)",
    "empirical.cli.components.scenario_from_flags": "reads an argparse Namespace (via main)",
    "empirical.cli.execute.RunError": "an exception class",
    "empirical.cli.execute.execute": "runs checked specs into a checked path (fuzzed through main)",
    "empirical.cli.execute.open_executor": "opens the pool main asked for (fuzzed through main)",
    "empirical.report.add_arguments": "adds argparse options (fuzzed through main)",
    "empirical.report.main": "the report command (its options are tested in test_report.py)",
    "empirical.report.run": "reads an argparse Namespace (via main)",
    "empirical.report.build_report": "runs the experiments at a scale main checked",
    "empirical.report.claims_table": "formats sections the experiments built",
    "empirical.report.csv_text": "formats a table the experiments built",
    "empirical.report.markdown_table": "formats a table the experiments built",
    "empirical.metrics.Estimate": RECORD_TYPE,
    "empirical.figures.diffusion_generations": (
        "a demonstration that runs a diffusion loop of minutes: too slow to fuzz"
    ),
    "empirical.points.draw_labels": "draws the labels of a mixture that checked its arguments",
    "empirical.points.logsumexp_rows": "a numeric kernel of the mixtures, on arrays they built",
    "empirical.points.transform_rows": "a numeric kernel of the densities, on arrays they built",
    "empirical.tv.TVEstimate": RECORD_TYPE,
    "empirical.model.Density": "a typing protocol (its methods are fuzzed on each density)",
    "empirical.model.Density.pdf": "a typing protocol method",
    "empirical.model.Density.sample": "a typing protocol method",
    "empirical.model.Model": "a typing protocol (its methods are fuzzed on each model)",
    "empirical.model.Model.fit": "a typing protocol method",
    "empirical.records.RecordsFileError": "an exception class",
    "empirical.spec.Registry": "the package's own registries (MODELS, TRUTHS) are built once",
    "empirical.diffusion.process.mean_factor": KERNEL,
    "empirical.diffusion.process.noise_variance": KERNEL,
    "empirical.diffusion.process.prior_logpdf": KERNEL,
    "empirical.diffusion.process.GaussianScore.__call__": KERNEL,
    "empirical.diffusion.process.GaussianScore.jacobian": KERNEL,
    "empirical.diffusion.process.GaussianScore.pieces": KERNEL,
    "empirical.diffusion.process.MixtureScore.__call__": KERNEL,
    "empirical.diffusion.process.MixtureScore.affine": KERNEL,
}


@pytest.fixture(autouse=True)
def _in_workdir(monkeypatch):
    """Every call runs in the scratch folder: a relative path a fuzzed value names lands there."""
    monkeypatch.chdir(WORKDIR)


(
    test_every_public_entry_point_is_listed,
    test_the_valid_calls_succeed,
    test_fixed_bad_values_are_refused_by_name_or_give_finite_results,
    test_drawn_bad_values_are_refused_by_name_or_give_finite_results,
) = suite_tests(MODULES, ENTRIES, NOT_FUZZED, "empirical")


# --------------------------------------------------------------------------- the command line

(WORKDIR / "folder").mkdir()
FOREIGN = WORKDIR / "foreign.jsonl"
FOREIGN.write_text('{"my": "data"}\n')
UNWRITABLE = "/sys/records.jsonl" if os.getuid() == 0 else "/records.jsonl"  # even root: /sys
PATHS = {
    "a folder": (str(WORKDIR / "folder"), "folder"),
    "a missing folder": (str(WORKDIR / "missing" / "x.jsonl"), "does not exist"),
    "an unwritable path": (UNWRITABLE, "cannot be written"),
    "a foreign JSON-lines file": (str(FOREIGN), "not a records file"),
}
TOKENS = st.sampled_from(
    [
        "loop",
        "sweep",
        "check",
        "--scenario",
        "replace",
        "augment",
        "proportion",
        "accumulate",
        "custom",
        "replace:N=20",
        "augment:n=20,m=20",
        "--N",
        "--n",
        "--m",
        "--lam",
        "--sizes",
        "--weights-table",
        "--generations",
        "--seeds",
        "--bandwidth",
        "--truth",
        "mixture",
        "bump",
        "--mean",
        "--sd",
        "--grid-points",
        "--metric",
        "kl",
        "--real",
        "fresh",
        "--check",
        "--failure-probability",
        "--output",
        "-o",
        str(RECORDS_FILE),
        str(WORKDIR / "out.jsonl"),
        *(path for path, _ in PATHS.values()),
        "20",
        "1",
        "2",
        "0",
        "-1",
        "0.5",
        "nan",
        "inf",
        "1e15",
        "1e400",
        "1:3",
        "[20,20]",
        "[[1],[0.5,0.5]]",
        "abc",
        "__import__('os')",
        "",
    ]
)


@settings(max_examples=20, deadline=None, database=None)
@given(st.lists(TOKENS, min_size=1, max_size=10))
def test_command_line_never_shows_a_traceback(argv):
    """Random command lines (tiny sizes: at most 20 points and 20 generations are asked for):
    exit 0, or 2 with one line on stderr; never a traceback."""
    code, _, err = run_command(cli.main, argv, seconds=30)
    assert_clean_exit("empirical", argv, code, err)
    assert FOREIGN.read_text() == '{"my": "data"}\n'  # never rewritten


@pytest.mark.parametrize("command", ["loop", "sweep"])
@pytest.mark.parametrize("what", sorted(PATHS))
def test_unusable_outputs_are_refused_in_one_line_before_computing(command, what):
    """10^4 generations of 10^6 points would take hours: an answer within seconds shows the
    output was checked first."""
    path, word = PATHS[what]
    scenario = ["--scenario", "replace", "--N", "1000000"]
    if command == "sweep":
        scenario = ["--scenario", "replace:N=1000000"]
    argv = [command, *scenario, "--generations", "10000", "--output", path]
    start = time.perf_counter()
    code, out, err = run_command(cli.main, argv, seconds=30)
    assert time.perf_counter() - start < 20
    assert_clean_exit("empirical", argv, code, err)
    assert code == 2 and out == "" and word in err, err
    assert FOREIGN.read_text() == '{"my": "data"}\n'


def test_the_safety_page_lists_every_fuzzed_entry_point():
    page = Path(__file__).resolve().parent.parent / "docs" / "safety.md"
    assert safety_rows(page, "### empirical") == expected_rows(ENTRIES, "empirical")

"""Bad input at every public entry point of ``bounds``: refused by name, or a finite result.

``ENTRIES`` lists each entry point with one valid call and the parameters to feed bad values;
``NOT_FUZZED`` lists the public names that take no user input, each with the reason. The public
names are found by introspection (functions and classes defined in each module of ``MODULES``,
every module of the package, and the public methods of those classes that take arguments), so
a new public function, or a new module, fails
``test_every_public_entry_point_is_listed`` until it is listed here. The machinery (bad values,
the check, the listing) is shared with ``test_fuzz_empirical.py`` through ``fuzzing.py``.

For each (entry, parameter), every value of ``BAD`` and values drawn by hypothesis replace the
parameter in the valid call. The call must raise ValueError or TypeError whose message names the
parameter, or return a result whose numbers are all finite and real; any other exception, a NaN,
an infinity, a complex number or a call over ``TIMEOUT`` seconds fails. (The file is long
because the listing is: one entry per public callable.)
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from fuzzing import (
    Entry,
    assert_clean_exit,
    check,
    expected_rows,
    package_modules,
    run_command,
    safety_rows,
    suite_tests,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import bounds
from bounds import (
    cli,
    commandline,
    errors,
    formula,
    io,
    kde,
    kde_martingale,
    kde_population,
    phase,
    plotting,
    propagation,
    scenarios,
    stopping,
    validate,
)
from bounds import symbols as S

MODULES = package_modules(bounds)  # every module of the package: none can be left out

# --------------------------------------------------------------------------- fixtures of calls

POWER = errors.power_law()
AUGMENT = scenarios.Augment(n=100, m=50)
REPLACE_BOUND = propagation.bound(scenarios.Replace(N=100), POWER)
ACCUMULATE_BOUND = propagation.bound(scenarios.Accumulate(n=100, m=100), POWER)
TRUTH = kde.GaussianTruth.normal()
WORKDIR = tempfile.mkdtemp(prefix="bounds-fuzz-")  # io entries write here, never in the repo
SYMBOLS = {"N": S.N}


def _in_workdir(function: Callable) -> Callable:
    def call(**kwargs):
        old = os.getcwd()
        os.chdir(WORKDIR)
        try:
            return function(**kwargs)
        finally:
            os.chdir(old)

    return call


def _locked(path, wait=False):
    with io.exclusive_lock(path, wait=wait):
        return path


def _figure():
    return plotting.curve_figure(np.arange(3.0), np.arange(3.0), "i", "t")


def _scenario_method(cls, args, method):
    return lambda i: getattr(cls(**args), method)(i)


ENTRIES: dict[str, Entry] = {
    # errors
    "bounds.errors.power_law": Entry(errors.power_law, {"C": 1.0, "alpha": 0.2}, ("C", "alpha")),
    "bounds.errors.diffusion_random_features": Entry(
        errors.diffusion_random_features,
        {"M": 16, "tau": 2.0, "C1": 1.0, "C2": 1.0, "approx": 0.0, "prior": 0.0},
        ("M", "tau", "C1", "C2", "approx", "prior"),
    ),
    "bounds.errors.diffusion_early_stopped": Entry(
        errors.diffusion_early_stopped,
        {"M": 16, "C1": 1.0, "C2": 1.0, "approx": 0.0, "prior": 0.0},
        ("M", "C1", "C2", "approx", "prior"),
    ),
    "bounds.errors.from_expression": Entry(
        errors.from_expression,
        {"expr": "C*N**-0.5", "constants": {"C": 1.0}, "decreasing": True, "N_min": 1.0},
        ("expr", "constants", "decreasing", "name", "N_min"),
        names={"constants": ("constants", "the name 'C'")},
    ),
    "bounds.errors.ErrorModel": Entry(
        errors.ErrorModel,
        {"name": "m", "expr": S.N**-1, "constants": (), "provenance": "p"},
        ("name", "expr", "constants", "provenance", "decreasing", "N_min"),
    ),
    "bounds.errors.ErrorModel.__call__": Entry(
        lambda sizes: POWER(sizes), {"sizes": 10.0}, ("sizes",), names={"sizes": "N"}
    ),
    "bounds.errors.ErrorModel.with_constants": Entry(
        lambda C: POWER.with_constants(C=C), {"C": 2.0}, ("C",)
    ),
    # stopping
    "bounds.stopping.tau_star": Entry(stopping.tau_star, {"N": 10.0, "M": 10.0}, ("N", "M")),
    "bounds.stopping.tau_star_asymptotic": Entry(
        stopping.tau_star_asymptotic, {"N": 10.0, "M": 10.0}, ("N", "M")
    ),
    "bounds.stopping.stationarity_residual": Entry(
        stopping.stationarity_residual, {"tau": 2.0, "N": 10.0, "M": 10.0}, ("tau", "N", "M")
    ),
    "bounds.stopping.kl_bracket": Entry(
        stopping.kl_bracket, {"tau": 2.0, "N": 10.0, "M": 10.0}, ("tau", "N", "M")
    ),
    "bounds.stopping.early_stopped_error": Entry(
        stopping.early_stopped_error,
        {"N": 10.0, "M": 10.0, "C1": 1.0, "C2": 1.0, "approx": 0.0, "prior": 0.0},
        ("N", "M", "C1", "C2", "approx", "prior"),
    ),
    # formula
    "bounds.formula.parse": Entry(
        formula.parse,
        {"text": "log(N)", "symbols": SYMBOLS, "name": "formula"},
        ("text", "symbols", "name"),
        names={"text": "formula", "symbols": ("symbols", "the name 'N'")},
    ),
    "bounds.formula.allowed_text": Entry(formula.allowed_text, {"symbols": SYMBOLS}, ("symbols",)),
    # validate: the value is fuzzed, the name is the one the message must carry
    **{
        f"bounds.validate.{name}": Entry(
            function, {"name": "x", "value": 1.0}, ("value",), names={"value": "x"}
        )
        for name, function in (
            ("real", validate.real),
            ("positive", validate.positive),
            ("whole", validate.whole),
            ("array", validate.array),
            ("vector", validate.vector),
            ("size", validate.size),
        )
    },
    "bounds.validate.points": Entry(
        validate.points, {"name": "x", "value": [[1.0]]}, ("value",), names={"value": "x"}
    ),
    "bounds.validate.shown": Entry(validate.shown, {"value": 1.0}, ("value",)),
    "bounds.validate.generation": Entry(
        validate.generation, {"value": 1}, ("value",), names={"value": "generation"}
    ),
    "bounds.validate.rng": Entry(validate.rng, {"value": 0}, ("value",), names={"value": "rng"}),
    "bounds.validate.digits": Entry(
        validate.digits, {"value": 5}, ("value",), names={"value": "digits"}
    ),
    "bounds.validate.choice": Entry(
        validate.choice,
        {"name": "x", "value": "a", "options": ("a",)},
        ("value",),
        names={"value": "x"},
    ),
    "bounds.validate.instance": Entry(
        validate.instance,
        {"name": "x", "value": "a", "kind": str},
        ("value",),
        names={"value": "x"},
    ),
    "bounds.validate.parse_real": Entry(
        validate.parse_real, {"name": "x", "text": "1.5"}, ("text",), names={"text": "x"}
    ),
    "bounds.validate.path": Entry(
        validate.path, {"name": "x", "value": "f.txt"}, ("value",), names={"value": "x"}
    ),
    # io (in a scratch folder)
    "bounds.io.check_writable": Entry(
        _in_workdir(io.check_writable), {"path": "f.txt"}, ("path",), names={"path": "output"}
    ),
    "bounds.io.write_atomic": Entry(
        _in_workdir(io.write_atomic),
        {"path": "f.bin", "write": lambda tmp: tmp.write_bytes(b"")},
        ("path", "write"),
        names={"path": "file"},
    ),
    "bounds.io.write_text_atomic": Entry(
        _in_workdir(io.write_text_atomic),
        {"path": "f.txt", "text": "x"},
        ("path", "text"),
        names={"path": "file"},
    ),
    "bounds.io.exclusive_lock": Entry(
        _in_workdir(_locked), {"path": "f.jsonl", "wait": False}, ("path", "wait")
    ),
    # commandline
    "bounds.commandline.number_option": Entry(
        lambda text: commandline.number_option("--x", 0.0)(text),
        {"text": "1"},
        ("text",),
        names={"text": "must be"},
        raises=(__import__("argparse").ArgumentTypeError,),
    ),
    "bounds.commandline.whole_list": Entry(
        commandline.whole_list,
        {"text": "1:3", "name": "--values"},
        ("text",),
        names={"text": "--values"},
    ),
    "bounds.commandline.real_list": Entry(
        commandline.real_list,
        {"text": "1:3:3", "name": "--values"},
        ("text",),
        names={"text": "--values"},
    ),
    "bounds.commandline.scenario_options": Entry(
        lambda N: commandline.scenario_options("replace", {"N": N}), {"N": 10.0}, ("N",)
    ),
    "bounds.commandline.build_scenario": Entry(
        lambda N: commandline.build_scenario("replace", {"N": N}), {"N": 10.0}, ("N",)
    ),
    # plotting
    "bounds.plotting.curve_figure": Entry(
        plotting.curve_figure,
        {"x": [1.0, 2.0], "y": [0.5, 0.7], "xlabel": "i", "title": "t", "log": False},
        ("x", "y", "xlabel", "title", "log"),
    ),
    "bounds.plotting.threshold_figure": Entry(
        plotting.threshold_figure,
        {"generations": (2, 5), "alpha": 0.2, "C": 1.0, "n": 10.0, "ratio_max": 10.0},
        ("generations", "alpha", "C", "n", "ratio_max"),
        timeout=20.0,
    ),
    "bounds.plotting.save_figure": Entry(
        _in_workdir(lambda figure, path: plotting.save_figure(figure, path)),
        {"figure": _figure(), "path": "f.png"},
        ("figure", "path"),
        names={"path": "file"},
    ),
    # scenarios
    "bounds.scenarios.Replace": Entry(scenarios.Replace, {"N": 10}, ("N",)),
    "bounds.scenarios.Proportion": Entry(scenarios.Proportion, {"N": 10, "lam": 0.5}, ("N", "lam")),
    "bounds.scenarios.Augment": Entry(scenarios.Augment, {"n": 10, "m": 5}, ("n", "m")),
    "bounds.scenarios.Accumulate": Entry(scenarios.Accumulate, {"n": 10, "m": 5}, ("n", "m")),
    "bounds.scenarios.Custom": Entry(
        scenarios.Custom,
        {"sizes": (10, 10), "weights_table": ((1,), (0.5, 0.5)), "keep_synthetic": False},
        ("sizes", "weights_table", "keep_synthetic"),
        names={"sizes": "size", "weights_table": "weights"},
    ),
    "bounds.scenarios.Custom.accumulate_subsample": Entry(
        scenarios.Custom.accumulate_subsample, {"N": 10, "generations": 3}, ("N", "generations")
    ),
    "bounds.scenarios.scenario_from_dict": Entry(
        scenarios.scenario_from_dict, {"data": {"name": "replace", "N": 10}}, ("data",)
    ),
    **{
        f"bounds.scenarios.{cls.__name__}.{method}": Entry(
            _scenario_method(cls, args, method), {"i": 2}, ("i",), names={"i": "generation"}
        )
        for cls, args in (
            (scenarios.Replace, {"N": 10}),
            (scenarios.Proportion, {"N": 10, "lam": 0.5}),
            (scenarios.Augment, {"n": 10, "m": 5}),
            (scenarios.Accumulate, {"n": 10, "m": 5}),
            (scenarios.Custom, {"sizes": (10, 10), "weights_table": ((1,), (0.5, 0.5))}),
        )
        for method in ("size", "weights", "symbolic_size", "symbolic_weights")
    },
    **{
        f"bounds.scenarios.Scenario.{method}": Entry(
            _scenario_method(scenarios.Augment, {"n": 10, "m": 5}, method),
            {"i": 2},
            ("i",),
            names={"i": "generation"},
        )
        for method in (
            "size",
            "weights",
            "symbolic_size",
            "symbolic_weights",
            "real_share",
            "counts",
        )
    },
    # propagation
    "bounds.propagation.bound": Entry(
        propagation.bound,
        {"scenario": AUGMENT, "error": POWER},
        ("scenario", "error"),
        timeout=20.0,
    ),
    "bounds.propagation.Bound.evaluate": Entry(
        lambda i, N: REPLACE_BOUND.evaluate(i=i, N=N), {"i": 2, "N": 10.0}, ("i", "N")
    ),
    "bounds.propagation.Bound.evaluate_mp": Entry(
        lambda dps, i, N: REPLACE_BOUND.evaluate_mp(dps=dps, i=i, N=N),
        {"dps": 20, "i": 2, "N": 10.0},
        ("dps", "i", "N"),
    ),
    "bounds.propagation.Bound.limit_value": Entry(
        lambda dps, n: ACCUMULATE_BOUND.limit_value(dps=dps, n=n),
        {"dps": None, "n": 100.0},
        ("dps", "n"),
        timeout=20.0,
    ),
    "bounds.propagation.Bound.at": Entry(
        lambda i: REPLACE_BOUND.at(i), {"i": 2}, ("i",), names={"i": "i"}
    ),
    "bounds.propagation.Bound.vacuous": Entry(
        propagation.Bound.vacuous, {"values": 0.5}, ("values",)
    ),
    "bounds.propagation.closed_form": Entry(
        lambda scenario: propagation.closed_form(scenario, sp.Function("eps")),
        {"scenario": AUGMENT},
        ("scenario",),
        timeout=20.0,
    ),
    "bounds.propagation.prove_closed_form": Entry(
        propagation.prove_closed_form,
        {"scenario": AUGMENT, "base": 3},
        ("scenario", "base"),
        timeout=20.0,
    ),
    "bounds.propagation.recursion": Entry(
        lambda scenario, i: propagation.recursion(scenario, sp.Function("eps"), i),
        {"scenario": AUGMENT, "i": 2},
        ("scenario", "i"),
        timeout=20.0,
    ),
    # phase
    "bounds.phase.power_law.power_law_ratio": Entry(
        phase.power_law_ratio, {"m_over_n": 1.0, "i": 2, "alpha": 0.2}, ("m_over_n", "i", "alpha")
    ),
    "bounds.phase.power_law.power_law_thresholds": Entry(
        phase.power_law_thresholds,
        {"i": 2, "alpha": 0.2, "n": 1.0, "C": 1.0},
        ("i", "alpha", "n", "C"),
    ),
    **{
        f"bounds.phase.asymptotics.{name}": Entry(getattr(phase, name), {"alpha": 0.2}, ("alpha",))
        for name in ("asymptotic_u", "asymptotic_slope", "asymptotic_peak_constant")
    },
    "bounds.phase.asymptotics.asymptotic_error": Entry(
        phase.asymptotic_error, {"i": 2, "alpha": 0.2}, ("i", "alpha")
    ),
    "bounds.phase.curve.bound_value": Entry(
        phase.bound_value,
        {"i": 2, "n": 10.0, "m": 5.0, "error_model": POWER},
        ("i", "n", "m", "error_model"),
    ),
    "bounds.phase.curve.bound_slope": Entry(
        phase.bound_slope,
        {"i": 2, "n": 10.0, "m": 5.0, "error_model": POWER},
        ("i", "n", "m", "error_model"),
    ),
    "bounds.phase.solve.certify": Entry(
        phase.certify,
        {"i": 2, "n": 10.0, "m": 50.0, "error_model": POWER, "rel": 1e-9},
        ("i", "n", "m", "error_model", "rel"),
    ),
    "bounds.phase.solve.symbolic_threshold": Entry(
        phase.symbolic_threshold, {"i": 2, "error_model": POWER}, ("i", "error_model"), timeout=20.0
    ),
    "bounds.phase.solve.thresholds": Entry(
        phase.thresholds,
        {"i": [2, 3], "n": 10.0, "error_model": POWER, "digits": None, "method": "auto"},
        ("i", "n", "digits"),
        timeout=20.0,
    ),
    "bounds.propagation.check_digits": Entry(
        propagation.check_digits, {"name": "dps", "value": 15}, ("value",), names={"value": "dps"}
    ),
    "bounds.errors.diffusion_calibrated": Entry(
        errors.diffusion_calibrated,
        {
            "M": 64,
            "tau": 100.0,
            "overfit_n": 0.0,
            "overfit_m": 0.0,
            "optimisation": 1.0,
            "width": 0.1,
            "floor": 0.0,
            "provenance": "calibrated on a test",
        },
        ("M", "tau", "optimisation", "width", "floor"),
    ),
    "bounds.phase.solve.threshold": Entry(
        phase.threshold,
        {"i": 2, "n": 10.0, "error_model": POWER, "digits": None, "method": "auto"},
        ("i", "n", "error_model", "digits", "method"),
    ),
    "bounds.phase.one_step.one_step_threshold": Entry(
        phase.one_step_threshold,
        {"n": 10.0, "delta": 0.1, "error_model": POWER, "digits": None},
        ("n", "delta", "error_model", "digits"),
    ),
    # kde
    "bounds.kde.GaussianTruth": Entry(
        kde.GaussianTruth,
        {"weights": (1.0,), "means": (0.0,), "sds": (1.0,)},
        ("weights", "means", "sds"),
    ),
    "bounds.kde.GaussianTruth.normal": Entry(
        kde.GaussianTruth.normal, {"mean": 0.0, "sd": 1.0}, ("mean", "sd")
    ),
    "bounds.kde.KDELoopBound.population_variance": Entry(
        lambda h_value: kde.kde_loop_bound(
            scenarios.Replace(N=50), TRUTH, 0.3, 2
        ).population_variance(TRUTH, h_value),
        {"h_value": 0.3},
        ("h_value",),
    ),
    "bounds.kde.kde_loop_bound": Entry(
        kde.kde_loop_bound,
        {"scenario": scenarios.Replace(N=50), "truth": TRUTH, "bandwidth": 0.3, "generations": 2},
        ("scenario", "truth", "bandwidth", "generations"),
        timeout=20.0,
    ),
    # the KDE loop's population recursion and martingale bound
    "bounds.kde_population.realised_weights": Entry(
        kde_population.realised_weights,
        {"scenario": AUGMENT, "generation": 2},
        ("scenario", "generation"),
        names={"generation": ("generation", "i")},
    ),
    "bounds.kde_population.truth_variance": Entry(
        kde_population.truth_variance, {"truth": TRUTH}, ("truth",)
    ),
    "bounds.kde_population.check_inputs": Entry(
        kde_population.check_inputs,
        {"scenario": AUGMENT, "truth": TRUTH, "generations": 3},
        ("scenario", "truth", "generations"),
    ),
    "bounds.kde_population.scott_bandwidths": Entry(
        kde_population.scott_bandwidths,
        {"scenario": AUGMENT, "truth": TRUTH, "generations": 3, "scale": "population"},
        ("scenario", "truth", "generations", "scale"),
    ),
    "bounds.kde_population.bandwidth_sequence": Entry(
        kde_population.bandwidth_sequence,
        {"scenario": AUGMENT, "truth": TRUTH, "bandwidth": 0.3, "generations": 3},
        ("scenario", "truth", "bandwidth", "generations"),
    ),
    "bounds.kde_population.population_variances": Entry(
        kde_population.population_variances,
        {"scenario": AUGMENT, "truth": TRUTH, "bandwidth": 0.3, "generations": 3},
        ("scenario", "truth", "bandwidth", "generations"),
    ),
    "bounds.kde_population.accumulate_variances": Entry(
        kde_population.accumulate_variances,
        {"n_real": 10, "m_synthetic": 5, "s2": 1.0, "h_value": 0.3, "generations": 3},
        ("n_real", "m_synthetic", "s2", "h_value", "generations"),
        names={"n_real": "n", "m_synthetic": "m", "h_value": "h"},
    ),
    "bounds.kde_martingale.sample_blocks": Entry(
        kde_martingale.sample_blocks,
        {"scenario": AUGMENT, "generations": 3, "real": "fresh"},
        ("scenario", "generations", "real"),
    ),
    "bounds.kde_martingale.kde_martingale_bound": Entry(
        kde_martingale.kde_martingale_bound,
        {"scenario": AUGMENT, "truth": TRUTH, "bandwidth": 0.3, "generations": 3},
        ("scenario", "truth", "bandwidth", "generations", "real"),
        timeout=20.0,
    ),
    "bounds.kde_martingale.augment_across_m": Entry(
        kde_martingale.augment_across_m,
        {"n": 50, "ms": [0, 50], "truth": TRUTH, "bandwidth": 0.3, "generation": 2},
        ("n", "ms", "truth", "bandwidth", "generation", "real"),
        timeout=20.0,
    ),
}

HOOK = "a scenario hook: propagation calls it with sympy objects of its own"
STRATEGY = "builds a hypothesis strategy; hypothesis checks its arguments when it draws"
RESULT = "a result record the module builds"
NOT_FUZZED: dict[str, str] = {
    "bounds.kde_martingale.AugmentAcrossM": RESULT,
    "bounds.kde_martingale.Block": RESULT,
    "bounds.kde_martingale.KDEMartingaleBound": RESULT,
    "bounds.strategies.Invalid": STRATEGY,
    "bounds.strategies.accumulate_scenarios": STRATEGY,
    "bounds.strategies.augment_scenarios": STRATEGY,
    "bounds.strategies.custom_scenarios": STRATEGY,
    "bounds.strategies.diffusion_models": STRATEGY,
    "bounds.strategies.generations": STRATEGY,
    "bounds.strategies.invalid_evaluation_parameters": STRATEGY,
    "bounds.strategies.parameter_grids": STRATEGY,
    "bounds.strategies.power_laws": STRATEGY,
    "bounds.strategies.proportion_scenarios": STRATEGY,
    "bounds.strategies.replace_scenarios": STRATEGY,
    "bounds.strategies.scenarios": STRATEGY,
    "bounds.strategies.shares": STRATEGY,
    "bounds.strategies.sizes": STRATEGY,
    "bounds.cli.main": "fuzzed by test_command_line_never_shows_a_traceback with argument lists",
    "bounds.commandline.UsageError": "an exception class",
    "bounds.commandline.OneLineParser": "argparse parser; its error() is tested by the CLI tests",
    "bounds.commandline.OneLineParser.error": "argparse hook, called by argparse with its message",
    "bounds.commandline.HelpFormatter": "argparse formatter; its output is tested by --help tests",
    "bounds.commandline.table": "formats numbers the command computed, not user input",
    "bounds.commandline.csv_text": "formats numbers the command computed, not user input",
    "bounds.commandline.json_text": "formats numbers the command computed, not user input",
    "bounds.commandline.cell": "formats numbers the command computed, not user input",
    "bounds.commandline.report_error": "prints an exception the command caught",
    "bounds.io.FileBusyError": "an exception class",
    "bounds.symbols.keyword": "maps the package's own sympy symbols to keywords",
    "bounds.stopping.EarlyStopped": "a result record built by early_stopped_error",
    "bounds.phase.results.Threshold": "a result record built by threshold",
    "bounds.phase.results.Certificate": "a result record built by certify",
    "bounds.phase.results.PowerLawThresholds": "a result record built by power_law_thresholds",
    "bounds.phase.results.OneStepThreshold": "a result record built by one_step_threshold",
    "bounds.propagation.Provenance": "a result record built by bound",
    "bounds.propagation.Bound": "a result record built by bound (its methods are listed)",
    "bounds.propagation.ClosedFormProof": "a result record built by prove_closed_form",
    "bounds.kde.KDELoopBound": "a result record built by kde_loop_bound",
    "bounds.scenarios.Scenario": "the abstract base class (its methods are listed)",
    "bounds.scenarios.Scenario.closed_form": HOOK,
    "bounds.scenarios.Scenario.induction_step": HOOK,
    "bounds.scenarios.Scenario.limit_form": HOOK,
    "bounds.scenarios.Replace.closed_form": HOOK,
    "bounds.scenarios.Replace.induction_step": HOOK,
    "bounds.scenarios.Replace.limit_form": HOOK,
    "bounds.scenarios.Proportion.closed_form": HOOK,
    "bounds.scenarios.Proportion.induction_step": HOOK,
    "bounds.scenarios.Proportion.limit_form": HOOK,
    "bounds.scenarios.Augment.closed_form": HOOK,
    "bounds.scenarios.Augment.induction_step": HOOK,
    "bounds.scenarios.Augment.limit_form": HOOK,
    "bounds.scenarios.Accumulate.closed_form": HOOK,
    "bounds.scenarios.Accumulate.induction_step": HOOK,
    "bounds.scenarios.Accumulate.limit_form": HOOK,
    "bounds.scenarios.Custom.closed_form": HOOK,
    "bounds.scenarios.Scenario.unrolled": HOOK,
    "bounds.scenarios.Scenario.with_synthetic": "called by phase with amounts it validated",
    "bounds.symbols.xlog1py": "a sympy function class, called on sympy expressions",
    "bounds.symbols.xlog1py.fdiff": "sympy's differentiation hook",
    "bounds.propagation.Convergence": "a result record built by Bound.convergence",
    "bounds.propagation.Bound.convergence": "takes no user input (its verdict is tested)",
    "bounds.propagation.UndecidedLimit": "an exception class",
    "bounds.propagation.compile_formula": "compiles the package's own sympy expressions",
    "bounds.phase.results.Digits": "a result record built by threshold",
    "bounds.phase.results.ThresholdTable": "a result record built by thresholds",
    "bounds.phase.results.ThresholdTable.column": "reads a column of a computed table by name",
}


(
    test_every_public_entry_point_is_listed,
    test_the_valid_calls_succeed,
    test_fixed_bad_values_are_refused_by_name_or_give_finite_results,
    test_drawn_bad_values_are_refused_by_name_or_give_finite_results,
) = suite_tests(MODULES, ENTRIES, NOT_FUZZED, "bounds")


# --------------------------------------------------------------------------- the command line

TOKENS = st.sampled_from(
    [
        "curve",
        "threshold",
        "stopping",
        "formula",
        "replace",
        "augment",
        "accumulate",
        "proportion",
        "--N",
        "--n",
        "--m",
        "--lam",
        "--over",
        "--values",
        "--generation",
        "--generations",
        "--digits",
        "--alpha",
        "--C",
        "--M",
        "--tau",
        "--model",
        "expression",
        "--expression",
        "--format",
        "json",
        "csv",
        "i",
        "m",
        "N",
        "1",
        "0",
        "-1",
        "nan",
        "inf",
        "1e400",
        "1:5",
        "1:1e9",
        "0:10:3",
        "2,3",
        "abc",
        "__import__('os')",
        "N**-0.3",
        "--log",
        "--substitute",
        "--latex",
    ]
)


@settings(max_examples=20, deadline=None, database=None)
@given(st.lists(TOKENS, min_size=1, max_size=10))
def test_command_line_never_shows_a_traceback(argv):
    """Random command lines: exit 0, or 2 with one line on stderr; never another exception."""
    code, _, err = run_command(cli.main, argv, seconds=20)
    assert_clean_exit("bounds", argv, code, err)


def test_the_safety_page_lists_every_fuzzed_entry_point():
    page = Path(__file__).resolve().parent.parent / "docs" / "safety.md"
    assert safety_rows(page, "### bounds") == expected_rows(ENTRIES, "bounds")


@pytest.mark.parametrize(
    "defect",
    [
        lambda x: math.nan,  # a silent NaN
        lambda x: x.real_part,  # another exception
        lambda x: math.sqrt(x) if x == x else math.nan,  # a refusal naming nothing, or NaN
        lambda x: [time.sleep(0.2) for _ in iter(int, 1)],  # a hang
    ],
    ids=["nan", "attribute-error", "unnamed-refusal", "hang"],
)
def test_the_check_fails_an_entry_point_without_validation(defect):
    """Negative control: each kind of defect the suites look for makes ``check`` fail."""
    entries = {"defective": Entry(defect, {"x": 1.0}, ("x",), timeout=0.5)}
    failures = 0
    for bad in (math.nan, -1, "abc"):
        try:
            check(entries, "defective", "x", bad)
        except (AssertionError, pytest.fail.Exception):
            failures += 1
    assert failures == 3

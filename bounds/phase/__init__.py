"""The phase transition in the amount of synthetic data (scenario ``augment``).

Generation i trains on n real points plus m points sampled from generation i-1. With
x = (n+m)/n >= 1 and r = m/(n+m) = 1 - 1/x, Theorem R gives

    B_i(m) = eps(n x) x (1 - r^(i-1)) + r^(i-1) eps(n)          (i >= 2),

and B_1 = eps(n) does not depend on m. For the power law eps(N) = C N^-a this is
C n^-a g_i(x) with g_i(x) = x^(1-a) (1 - r^(i-1)) + r^(i-1). The threshold m*_i is where B_i
stops rising and starts falling: the first zero of dB_i/dm at which the slope turns from positive
to negative. Everything here reports that honestly, including when there is none.

B_i(m) and dB_i/dm come from ``bounds.propagation``'s closed form and its sympy derivative in m,
so ``threshold`` works for any scenario with a synthetic amount. Only the float power-law solver
keeps its own normalised g_i, so that ``bounds threshold`` runs without importing sympy.

The submodules, one reading of the question each:

- ``results``: ``Threshold``, ``ThresholdTable``, ``Certificate``, ``PowerLawThresholds``,
  ``OneStepThreshold`` and ``Digits``, with how they print;
- ``power_law``: the power-law solver in s = log(x - 1), in floats (vectorised) and in mpmath;
- ``asymptotics``: the limits as i -> infinity, m*_i/(i n) -> 1/u*(alpha);
- ``curve``: ``bound_value`` and ``bound_slope``, B_i(m) and dB_i/dm for any error model;
- ``solve``: ``threshold``, ``thresholds``, ``certify`` and ``symbolic_threshold``;
- ``one_step``: ``one_step_threshold``, the previous generation's error held fixed;
- ``inputs`` and ``roots``: the checked inputs and their limits, the scan range and the
  bracketing root search the solvers share.
"""

from bounds.phase.asymptotics import (
    ALPHA_MIN,
    asymptotic_error,
    asymptotic_peak_constant,
    asymptotic_slope,
    asymptotic_slope_expr,
    asymptotic_u,
)
from bounds.phase.curve import bound_slope, bound_value
from bounds.phase.inputs import MAX_EXPANDED_GENERATION, MAX_GENERATION
from bounds.phase.one_step import one_step_threshold
from bounds.phase.power_law import POWER_LAW_ALPHA_MIN, power_law_ratio, power_law_thresholds
from bounds.phase.results import (
    Certificate,
    Digits,
    Number,
    OneStepThreshold,
    PowerLawThresholds,
    Threshold,
    ThresholdTable,
)
from bounds.phase.roots import SCAN_RANGE
from bounds.phase.solve import certify, symbolic_threshold, threshold, thresholds

__all__ = [
    "ALPHA_MIN",
    "MAX_EXPANDED_GENERATION",
    "MAX_GENERATION",
    "POWER_LAW_ALPHA_MIN",
    "SCAN_RANGE",
    "Certificate",
    "Digits",
    "Number",
    "OneStepThreshold",
    "PowerLawThresholds",
    "Threshold",
    "ThresholdTable",
    "asymptotic_error",
    "asymptotic_peak_constant",
    "asymptotic_slope",
    "asymptotic_slope_expr",
    "asymptotic_u",
    "bound_slope",
    "bound_value",
    "certify",
    "one_step_threshold",
    "power_law_ratio",
    "power_law_thresholds",
    "symbolic_threshold",
    "threshold",
    "thresholds",
]

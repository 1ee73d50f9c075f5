"""The threshold m*_i where B_i(m) stops rising, for any scenario with a synthetic amount and any
error model: solved (closed form at i = 2, the power-law log form, or a scan and refinement of
dB_i/dm), certified by the signs of the slope on either side, and checked symbolically.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mpmath as mp
import numpy as np

from bounds import validate
from bounds.phase.curve import _augment_forms, _bound_slope, _bound_value, _compile, _constants
from bounds.phase.inputs import (
    MAX_GENERATION,
    _array,
    _digits,
    _exact_mp,
    _generation,
    _model,
    _template,
)
from bounds.phase.power_law import _FLOAT_BRACKET, _power_law_x
from bounds.phase.results import Certificate, Number, Threshold, ThresholdTable, _out
from bounds.phase.roots import _SCAN_POINTS, SCAN_RANGE, _bracketed_root

if TYPE_CHECKING:
    import sympy as sp

    from bounds.errors import ErrorModel
    from bounds.scenarios import Scenario


_METHODS = ("auto", "closed form", "numeric", "scan")


def certify(
    i: int,
    n: float | Scenario,
    m: Number,
    error_model: ErrorModel | None = None,
    rel: float = 1e-9,
) -> Certificate:
    """Slopes of B_i at x(1 - rel) and x(1 + rel), x = (n+m)/n, in 50-digit mpmath arithmetic.

    A true threshold gives slope_below > 0 > slope_above; a wrong claimed m (further than rel
    from the root, relatively in x) gives two slopes of the same sign. ``n`` as in ``threshold``.
    """
    template, n = _template(n)
    i = _generation(i, template)
    model = _model(error_model)
    m = _exact_mp(m, validate.real("m", m, 0.0, low_open=True))
    rel = validate.real("rel", rel, 0.0, 1.0, low_open=True, high_open=True)
    with mp.workdps(max(50, mp.mp.dps + 10)):
        n_mp, m = mp.mpf(n), mp.mpf(m)
        if not (n_mp + m) * (1 - rel) > n_mp:  # the lower point m_below must be an amount > 0
            raise ValueError(
                f"rel must be below m/(n + m) = {mp.nstr(m / (n_mp + m), 6)} for m = "
                f"{mp.nstr(m, 6)} at n = {n:g}, so that m_below > 0, got rel = {rel:g}"
            )
        return _certify_here(i, n_mp, m, model, mp.mpf(rel), template)


def symbolic_threshold(i: int, error_model: ErrorModel | None = None) -> sp.Expr | None:
    """m*_i as a sympy expression in n and the model's constant symbols, or None.

    sympy is asked only where it is known to succeed: i = 2 and eps a monomial c N^-a, where
    dB_2/dx = n eps'(n x) + eps(n)/x^2 = 0 gives x* = a^(-1/(1-a)) (valid for 0 < a < 1).
    For i >= 3 the condition mixes x^-a with a polynomial of degree i-2 in 1/x: no closed form.
    """
    import sympy as sp

    from bounds.symbols import N, n

    i = validate.generation(i)
    model = _model(error_model)
    if i != 2 or _compile(model).exponent is None:
        return None
    x = sp.Symbol("x", positive=True)
    eps = sp.Lambda(N, model.expr)
    slope = sp.diff(eps(n * x) + (1 - 1 / x) * eps(n), x)
    roots = sp.solve(slope, x)
    if len(roots) != 1:
        return None
    return n * (roots[0] - 1)


def threshold(
    i: int,
    n: float | Scenario,
    error_model: ErrorModel | None = None,
    digits: int | None = None,
    method: str = "auto",
) -> Threshold:
    """m*_i for ``augment`` with real size n: the first m where B_i stops rising, certified.

    ``n`` is the real size, or a scenario with a synthetic amount (``Augment(n, m)``: its m is
    ignored, since m is what varies; any scenario whose ``synthetic`` is set, such as
    ``Accumulate``, is scanned). ``digits`` = None computes in floats; an integer (1..10000)
    computes in mpmath to that many significant digits. ``method``: "auto" (closed form where
    sympy has one, else numeric), "closed form", "numeric", or "scan" (the generic scan even for
    a power law, as a cross-check). For ``augment`` power laws (eps = c N^-a) use the log-form
    solver for any i; everything else is scanned for a sign change of dB/dm over m/n in
    ``SCAN_RANGE``, then refined. B_i and dB/dm come from ``bounds.propagation``'s closed form.
    """
    template, n = _template(n)
    i = _generation(i, template)
    model = _model(error_model)
    if digits is not None:
        digits = _digits(digits)
    method = validate.choice("method", method, _METHODS)
    if i == 1:
        return Threshold(
            1,
            n,
            model.name,
            False,
            "no transition: B_1 = eps(n) does not "
            "depend on m (generation 1 trains on real data only)",
            "exact",
            digits,
            scenario=template.name,
        )
    augment = template.name == "augment"
    exponent = _compile(model).exponent if augment else None
    if exponent is not None and not -1 < exponent < 0 and method != "scan":
        return _monotone_power(i, n, model, exponent, digits)
    if method == "closed form" and (i != 2 or exponent is None):
        raise ValueError(
            f"method 'closed form' needs i = 2, augment and a power-law error model, got i = {i}"
            f", {template.name} and {model.name}"
        )
    dps = (digits or 15) + 15
    if exponent is not None and -1 < exponent < 0:  # slope terms agree to ~alpha: add digits
        dps += max(0, math.ceil(-math.log10(-exponent)))
    with mp.workdps(dps):
        a = -_compile(model).exponent_mp() if exponent is not None else None
        if exponent is not None and i == 2 and method not in ("numeric", "scan"):
            x, how = a ** (-1 / (1 - a)), "closed form x* = alpha^(-1/(1-alpha))"
        elif exponent is not None and method != "scan":
            x, how = _power_law_x(i, a, digits), "numeric, power-law log form"
        else:
            found = _scan(i, n, model, template)
            if isinstance(found, str):
                return Threshold(
                    i, n, model.name, False, found, "numeric scan", digits, scenario=template.name
                )
            x, how = _refine_general(i, n, model, found, template), "numeric, scan and refine"
        return _finish(i, n, model, x, digits, how, template)


def thresholds(
    i: object,
    n: float | Scenario,
    error_model: ErrorModel | None = None,
    digits: int | None = None,
    method: str = "auto",
) -> ThresholdTable:
    """``threshold`` at every generation of ``i`` (a whole number or an array of them), for any
    error model; each entry is solved and certified (in mpmath) as ``threshold`` does."""
    generations = _array("i", i, integer=True, low=1, high=MAX_GENERATION)
    items = tuple(threshold(int(g), n, error_model, digits, method) for g in generations.ravel())
    return ThresholdTable(generations.shape, items)


def _monotone_power(i: int, n: float, model: ErrorModel, exponent: float, digits) -> Threshold:
    if exponent >= 0:
        reason = (
            f"no interior maximum: eps ~ N^{exponent:g} does not decrease, so B_{i} rises "
            "for every m (no transition)"
        )
    elif exponent == -1:
        reason = f"no transition: eps ~ 1/N makes B_{i} constant in m"
    else:  # g_i - 1 = -(1 - r^(i-1)) (1 - x^(1-a)) <= 0: below B_i(0) for every m > 0
        reason = (
            f"no transition: eps ~ N^{exponent:g} decays faster than 1/N, so B_{i}(m) < B_{i}(0) "
            "for every m > 0 (a dip, then back up to eps(n) as m grows; no peak)"
        )
    return Threshold(i, n, model.name, False, reason, "exact (power law)", digits)


def _scan(i: int, n: float, model: ErrorModel, template) -> tuple[float, float] | str:
    """The first interval in s = log(m/n) where dB_i/dm turns from + to -, or why there is none."""
    s = np.linspace(math.log(SCAN_RANGE[0]), math.log(SCAN_RANGE[1]), _SCAN_POINTS)
    m = n * np.exp(s)
    forms = _augment_forms(model, i, template)
    args = (float(i), float(n), m, *_constants(model, np))
    with np.errstate(all="ignore"):
        slope = np.asarray(forms.slope_np(*args), dtype=float)
        scale = np.asarray(forms.magnitude_np(*args), dtype=float)
    if not np.all(np.isfinite(slope)):
        return "no answer: dB/dm is not finite on the scanned range"
    slope = np.where(np.abs(slope) <= 1e-10 * scale, 0.0, slope)  # rounding-level: no sign
    low, high = SCAN_RANGE
    if not slope.any():
        return f"no transition: B_{i} is constant in m for m/n in [{low:g}, {high:g}]"
    signed = np.flatnonzero(slope)
    turns = np.flatnonzero((slope[signed[:-1]] > 0) & (slope[signed[1:]] < 0))
    if turns.size:
        k = int(turns[0])
        return float(s[signed[k]]), float(s[signed[k + 1]])
    if np.all(slope <= 0):
        return f"no transition: B_{i} decreases in m for every m/n in [{low:g}, {high:g}]"
    if np.all(slope >= 0):
        return (
            f"no interior maximum: B_{i} rises for every m/n in [{low:g}, {high:g}], "
            "the whole scanned range"
        )
    return f"no transition: B_{i} first falls, then rises (a dip, no peak) for m/n <= {high:g}"


def _refine_general(
    i: int, n: float, model: ErrorModel, interval: tuple[float, float], template
) -> Number:
    """x* in the scanned interval, by a bracketing root search in s = log(m/n) (mpmath)."""
    n_mp = mp.mpf(n)
    scale = n_mp / _compile(model).eps_mp(n_mp)

    def slope(s):
        return _bound_slope(i, n_mp, n_mp * mp.exp(s), model, mp, template) * scale

    return 1 + mp.exp(_bracketed_root(slope, mp.mpf(interval[0]), mp.mpf(interval[1])))


def _finish(i: int, n: float, model: ErrorModel, x: Number, digits, how: str, template=None):
    """Package x* with peak, ratio and the certificate, in floats or at the asked precision."""
    n_mp = mp.mpf(n)
    m = n_mp * (x - 1)
    rel = mp.mpf(10) ** -digits if digits is not None else _FLOAT_BRACKET
    with mp.workdps(max(50, mp.mp.dps)):
        certificate = _certify_here(i, n_mp, m, model, mp.mpf(rel), template)
    peak = _bound_value(i, n_mp, m, model, mp, template)
    ratio = peak / _bound_value(i, n_mp, mp.mpf(0), model, mp, template)
    where = f"the threshold at generation {i}, n = {n:g}, {model.name}"

    def convert(value: Number) -> Number:
        return _out(value, digits, where)

    return Threshold(
        i=i,
        n=n,
        model=model.name,
        exists=True,
        reason="rises, then falls: interior maximum",
        method=how if digits is None else f"{how}, mpmath to {digits} digits",
        digits=digits,
        x=convert(x),
        m=convert(m),
        peak=convert(peak),
        ratio=convert(ratio),
        bracket=(convert(certificate.m_below), convert(certificate.m_above)),
        slope_below=convert(certificate.slope_below),
        slope_above=convert(certificate.slope_above),
        scenario=(template or _template(1.0)[0]).name,
    )


def _certify_here(
    i: int, n: Number, m: Number, model: ErrorModel, rel: Number, template=None
) -> Certificate:
    """``certify`` at the current precision."""
    x = (n + m) / n
    below, above = n * (x * (1 - rel) - 1), n * (x * (1 + rel) - 1)
    return Certificate(
        below,
        above,
        _bound_slope(i, n, below, model, mp, template),
        _bound_slope(i, n, above, model, mp, template),
    )

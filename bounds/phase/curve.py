"""B_i(m) and dB_i/dm for any scenario with a synthetic amount m and any error model:
``bounds.propagation``'s closed form and its sympy derivative in m, compiled for numpy and mpmath.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import mpmath as mp
import numpy as np

from bounds import validate
from bounds.phase.inputs import _exact_mp, _generation, _model, _template
from bounds.phase.results import Number

if TYPE_CHECKING:
    from bounds.errors import ErrorModel
    from bounds.scenarios import Scenario


@dataclass(frozen=True)
class _Compiled:
    """eps and eps' of a model as numpy and mpmath functions of N, and its monomial form."""

    eps_mp: Any
    deps_mp: Any
    exponent: float | None  # eps = c N^exponent when the model is a monomial in N
    exponent_mp: Any  # the same exponent at the current mpmath precision, as eps_mp reads it


@lru_cache(maxsize=64)
def _compile(model: ErrorModel) -> _Compiled:
    import sympy as sp

    from bounds.symbols import N

    # constants as the exact decimals they print as (0.2 -> 1/5), so that eps, eps' and the
    # exponent agree to any mpmath precision instead of carrying float rounding
    eps = model.expr.subs({s: sp.Rational(repr(float(v))) for s, v in model.constants})
    deps = sp.diff(eps, N)
    coefficient, exponent = eps.as_coeff_exponent(N)
    monomial = N not in coefficient.free_symbols and exponent.is_number
    return _Compiled(
        eps_mp=sp.lambdify(N, eps, "mpmath"),
        deps_mp=sp.lambdify(N, deps, "mpmath"),
        exponent=float(exponent) if monomial else None,
        exponent_mp=sp.lambdify((), exponent, "mpmath") if monomial else None,
    )


@dataclass(frozen=True)
class _Forms:
    """B_i(m) from ``bounds.propagation``'s closed form, its slope dB/dm (sympy's derivative of the
    same formula) and the slope's magnitude (every sum replaced by the sum of absolute values,
    against which a computed slope is rounding noise), compiled as functions of (i, n, m)."""

    value_np: Any
    value_mp: Any
    slope_np: Any
    slope_mp: Any
    magnitude_np: Any


@lru_cache(maxsize=64)
def _forms(template: Scenario, model: ErrorModel, i: int | None) -> _Forms:
    """The forms for ``template``'s kind of scenario as functions of (i, n, m, *constants);
    ``i`` is substituted first when the closed form sums over generations, and left free
    (array-friendly) otherwise. Keyed by the model's formula, not its constants' values."""
    import sympy as sp

    from bounds import propagation
    from bounds import symbols as S

    b = propagation.bound(template, model)
    m = S.m
    fixed = {s: v for s, v in template.symbols().items() if s not in (S.n, m)}
    expr = b.numeric_expr.subs(fixed)
    if i is not None:
        expr = expr.subs(S.i, i).doit()
    slope = sp.diff(expr, m)
    magnitude = slope.replace(lambda e: e.is_Add, lambda e: sp.Add(*map(sp.Abs, e.args)))
    args = (S.i, S.n, m, *(s for s, _ in model.constants))
    compiled = [
        propagation.compile_formula(args, f, lib)
        for f, lib in ((expr, "numpy"), (expr, "mpmath"), (slope, "numpy"), (slope, "mpmath"))
    ]
    return _Forms(*compiled, propagation.compile_formula(args, magnitude, "numpy"))


def _augment_forms(model: ErrorModel, i: int, template: Scenario | None = None) -> _Forms:
    from bounds.scenarios import Augment

    template = Augment(1, 0) if template is None else template
    shape = replace(model, constants=tuple((s, 1.0) for s, _ in model.constants))
    return _forms(template, shape, i if template.evaluation != "closed" else None)


def _constants(model: ErrorModel, lib: Any) -> list:
    """The model's constants as floats (numpy) or as the exact decimals they print as (mpmath),
    so that every formula agrees to any precision instead of carrying float rounding."""
    if lib is mp:
        return [mp.mpf(repr(float(v))) for _, v in model.constants]
    return [float(v) for _, v in model.constants]


def bound_value(
    i: int, n: Number, m: Number, error_model: ErrorModel, lib: Any = mp, scenario=None
) -> Number:
    """B_i(m) of ``augment`` (or of ``scenario``'s kind) from ``bounds.propagation``'s closed form:
    eps(n+m)(1 - r^(i-1))/(1 - r) + r^(i-1) eps(n), r = m/(n+m) (B_1 = eps(n)).

    ``lib`` is ``mpmath`` (scalars, to the current precision: the formula's r = 1 - n/(n+m)
    cancels, so it runs with log10((n+m)/m) extra digits) or ``numpy`` (arrays); n > 0 and
    m >= 0 are finite reals, i a generation (at most ``MAX_GENERATION``, or
    ``MAX_EXPANDED_GENERATION`` for a scenario that sums over generations).
    """
    i, n, m, model = _point(i, n, m, error_model, lib, scenario, m_low_open=False)
    with _digits_for(n, m, lib):
        value = _bound_value(i, *_at_precision(n, m, lib), model, lib, scenario)
    return _finite("B_i", +value if lib is mp else value, i, n, m)


def bound_slope(
    i: int, n: Number, m: Number, error_model: ErrorModel, lib: Any = mp, scenario=None
) -> Number:
    """dB_i/dm, sympy's derivative of the same closed form, at m > 0 (arguments as above)."""
    i, n, m, model = _point(i, n, m, error_model, lib, scenario, m_low_open=True)
    with _digits_for(n, m, lib):
        value = _bound_slope(i, *_at_precision(n, m, lib), model, lib, scenario)
    return _finite("dB_i/dm", +value if lib is mp else value, i, n, m)


def _bound_value(i: int, n: Number, m: Number, model: ErrorModel, lib: Any, scenario) -> Number:
    forms = _augment_forms(model, i, scenario)
    f = forms.value_mp if lib is mp else forms.value_np
    return f(i, n, m, *_constants(model, lib))


def _bound_slope(i: int, n: Number, m: Number, model: ErrorModel, lib: Any, scenario) -> Number:
    forms = _augment_forms(model, i, scenario)
    f = forms.slope_mp if lib is mp else forms.slope_np
    return f(i, n, m, *_constants(model, lib))


def _point(i, n, m, error_model, lib, scenario, m_low_open: bool) -> tuple:
    """Checked (i, n, m, model) for ``bound_value`` and ``bound_slope``: n and m as given when
    they are mpmath numbers or ints (kept exact), else as floats, for ``lib=mpmath``; float
    arrays for ``lib=numpy``."""
    from bounds.scenarios import Scenario

    model = _model(error_model)
    if scenario is not None and not isinstance(scenario, Scenario):
        shown = validate.shown(scenario)
        raise TypeError(f"scenario must be a bounds Scenario or None, got {shown}")
    if scenario is not None:
        scenario = _template(scenario)[0]
    i = _generation(i, scenario)
    if lib is np:
        n = validate.array("n", n, low=0.0, low_open=True)
        return i, n, validate.array("m", m, low=0.0, low_open=m_low_open), model
    if lib is not mp:
        raise TypeError(f"lib must be the mpmath or the numpy module, got {validate.shown(lib)}")
    checked_n = validate.real("n", n, 0.0, low_open=True)
    checked_m = validate.real("m", m, 0.0, low_open=m_low_open)
    return i, _exact_mp(n, checked_n), _exact_mp(m, checked_m), model


def _digits_for(n: Number, m: Number, lib: Any):
    """A context with the digits r = 1 - n/(n+m) loses added to mpmath's (none for numpy)."""
    if lib is not mp or m == 0:
        return mp.workdps(mp.mp.dps)
    lost = mp.log10((mp.mpf(n) + mp.mpf(m)) / mp.mpf(m))
    return mp.workdps(mp.mp.dps + 5 + max(0, int(lost)))


def _at_precision(n: Number, m: Number, lib: Any) -> tuple[Number, Number]:
    """(n, m) as mpmath numbers at the working precision (numpy arrays pass through)."""
    return (mp.mpf(n), mp.mpf(m)) if lib is mp else (n, m)


def _finite(what: str, value: Number, i: int, n: Number, m: Number) -> Number:
    """``value`` if every entry is a finite real, else a ValueError naming the point."""
    if isinstance(value, mp.mpf | mp.mpc):
        ok = isinstance(value, mp.mpf) and mp.isfinite(value)
    else:
        ok = np.isrealobj(value) and bool(np.all(np.isfinite(value)))
    if not ok:
        raise ValueError(
            f"{what} is not a finite real number at generation i = {i}, n = {validate.shown(n)},"
            f" m = {validate.shown(m)} (with lib=numpy, floats may overflow: try lib=mpmath)"
        )
    return value

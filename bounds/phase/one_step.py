"""The one-step reading of the threshold: B(m) = eps(n+m) + (m/(n+m)) delta with the previous
error delta held fixed, B'(m) = eps'(n+m) + n delta/(n+m)^2."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mpmath as mp
import numpy as np

from bounds import validate
from bounds.phase.curve import _compile
from bounds.phase.inputs import _digits, _model
from bounds.phase.results import OneStepThreshold, _out, _show
from bounds.phase.roots import _SCAN_POINTS, SCAN_RANGE, _bracketed_root

if TYPE_CHECKING:
    from bounds.errors import ErrorModel


def one_step_threshold(
    n: float, delta: float, error_model: ErrorModel | None = None, digits: int | None = None
) -> OneStepThreshold:
    """Peak of B(m) = eps(n+m) + (m/(n+m)) delta, the previous error delta held fixed.

    B'(m) = eps'(n+m) + n delta/(n+m)^2, so B rises at m = 0 iff delta > -n eps'(n). For
    eps = C N^-a (0 < a < 1) the peak is at n + m* = (delta n/(a C))^(1/(1-a)); other models are
    scanned in N = n + m over n (1 + SCAN_RANGE) and refined.
    """
    n = validate.positive("n", n)
    delta = validate.real("delta", delta, 0.0)
    model = _model(error_model)
    if digits is not None:
        digits = _digits(digits)
    f = _compile(model)
    with mp.workdps((digits or 15) + 15):
        n_mp, d_mp = mp.mpf(n), mp.mpf(delta)

        def slope(m):
            return f.deps_mp(n_mp + m) + n_mp * d_mp / (n_mp + m) ** 2

        critical = -n_mp * f.deps_mp(n_mp)
        rises = bool(d_mp > critical)
        where = f"the one-step threshold at n = {n:g}, delta = {delta:g}, {model.name}"
        base = dict(
            n=n,
            delta=delta,
            model=model.name,
            critical_delta=_out(critical, digits, where),
            rises_at_zero=rises,
        )
        if not rises:
            return OneStepThreshold(
                **base,
                exists=False,
                method="exact",
                reason=(
                    f"no transition: delta = {delta:g} <= -n eps'(n) = {_show(critical)}, "
                    "so B falls from m = 0"
                ),
            )
        if f.exponent is not None and -1 < f.exponent < 0:
            a = -f.exponent_mp()
            coefficient = f.eps_mp(n_mp) * n_mp**a
            m = (d_mp * n_mp / (a * coefficient)) ** (1 / (1 - a)) - n_mp
            how = "closed form n + m* = (delta n/(alpha C))^(1/(1-alpha))"
        else:
            found = _scan_one_step(slope, n)
            if isinstance(found, str):
                return OneStepThreshold(**base, exists=False, method="numeric scan", reason=found)
            m = n_mp * mp.exp(
                _bracketed_root(
                    lambda s: slope(n_mp * mp.exp(s)) * n_mp / f.eps_mp(n_mp), *map(mp.mpf, found)
                )
            )
            how = "numeric, scan and refine"
        rel = mp.mpf(10) ** -(digits or 9)
        below, above = m - rel * (n_mp + m), m + rel * (n_mp + m)
        return OneStepThreshold(
            **base,
            exists=True,
            reason="rises, then falls: interior maximum",
            method=how if digits is None else f"{how}, mpmath to {digits} digits",
            m=_out(m, digits, where),
            peak=_out(f.eps_mp(n_mp + m) + m / (n_mp + m) * d_mp, digits, where),
            bracket=(_out(below, digits, where), _out(above, digits, where)),
            slope_below=_out(slope(below), digits, where),
            slope_above=_out(slope(above), digits, where),
        )


def _scan_one_step(slope, n: float) -> tuple[float, float] | str:
    s = np.linspace(math.log(SCAN_RANGE[0]), math.log(SCAN_RANGE[1]), _SCAN_POINTS)
    values = np.array([float(slope(mp.mpf(n) * mp.exp(v))) for v in s])
    turns = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    if turns.size:
        k = int(turns[0])
        return float(s[k]), float(s[k + 1])
    return f"no interior maximum: B rises for every m/n in [{SCAN_RANGE[0]:g}, {SCAN_RANGE[1]:g}]"

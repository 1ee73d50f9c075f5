"""The inputs every solver of ``bounds.phase`` accepts: generations, arrays of numbers, error
models, a real size or a scenario, digits, each checked at the boundary with a message naming it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import mpmath as mp
import numpy as np

from bounds import validate

if TYPE_CHECKING:
    from bounds.errors import ErrorModel
    from bounds.scenarios import Scenario


MAX_GENERATION = 10**15
"""The largest generation i solved for: every i up to it is exact in float64, and the float
solver's certificate still resolves x*(1 -/+ 1e-9) there."""
MAX_EXPANDED_GENERATION = 100
"""The largest generation i for a scenario whose B_i sums over earlier generations
(``accumulate``): its closed form is expanded term by term in sympy, seconds at i = 100."""


def _array(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    integer: bool = False,
    open_ends: bool = False,
) -> np.ndarray:
    """``value`` as a numpy array checked against [low, high] (open if asked), else raise."""
    kind = "whole numbers" if integer else "numbers"
    try:
        if np.iscomplexobj(value):  # numpy would drop the imaginary part with a warning
            raise TypeError
        array = np.asarray(value, dtype=float)
    except OverflowError:
        raise ValueError(f"{name} must be finite {kind} in [{low:g}, {high:g}]") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of {kind}, got {value!r}") from None
    if isinstance(value, bool) or array.dtype == bool or array.size == 0:
        raise TypeError(f"{name} must be a number or a non-empty array of {kind}, got {value!r}")
    inside = (array > low) & (array < high) if open_ends else (array >= low) & (array <= high)
    bad = ~np.isfinite(array) | ~inside
    if integer:
        bad |= array != np.round(array)
    if bad.any():
        brackets = "()" if open_ends else "[]"
        allowed = f"{brackets[0]}{low:g}, {high:g}{brackets[1]}"
        raise ValueError(
            f"{name} must be finite {kind} in {allowed}, got {float(array[bad].flat[0])!r}"
        )
    return array.astype(np.int64) if integer else array


def _generation(i: object, template: Scenario | None) -> int:
    """A generation i in 1..MAX_GENERATION, or 1..MAX_EXPANDED_GENERATION when ``template``'s
    bound sums over earlier generations (its closed form is expanded term by term)."""
    expanded = template is not None and template.evaluation != "closed"
    limit = MAX_EXPANDED_GENERATION if expanded else MAX_GENERATION
    return validate.whole("generation i", i, minimum=1, maximum=limit)


def _exact_mp(value: object, checked: float) -> mp.mpf | int | float:
    """``value`` itself when it is an mpmath number or an int (exact), else its checked float."""
    return value if isinstance(value, mp.mpf | int) else checked


def _model(error_model: ErrorModel | None) -> ErrorModel:
    from bounds import errors

    if error_model is None:
        return errors.power_law()
    if not isinstance(error_model, errors.ErrorModel):
        raise TypeError(
            f"error_model must be a bounds.errors.ErrorModel, got {type(error_model).__name__}"
        )
    return error_model


def _template(n: object) -> tuple[Scenario, float]:
    """(a scenario template with n = 1 and m = 0, the real size n) from a number or a scenario."""
    from bounds.scenarios import Augment, Scenario

    if isinstance(n, Scenario):
        if n.synthetic is None or n.real is None:
            raise ValueError(
                f"the scenario must have a synthetic amount to vary (augment, accumulate), got {n}"
            )
        size = float(n.parameters()[n.real])
        return replace(n, **{n.real: 1, n.synthetic: 0}), size
    return Augment(1, 0), validate.real("n", n, 1.0)  # a number of real points: at least one


def _digits(digits: object) -> int:
    from bounds.propagation import MAX_DIGITS

    value = validate.whole("digits", digits, minimum=1)
    if value > MAX_DIGITS:
        raise ValueError(f"digits must be a whole number in 1..{MAX_DIGITS}, got {digits!r}")
    return value

"""Per-generation error models: eps(N) bounds TV(p_i, q_i) for a model trained on N points of q_i.

Every hidden constant of the theory is a named parameter with a stated default (1 for the
multiplicative constants C, C1, C2; 0 for the additive terms approx and prior), so a curve
always says which constants it used. An error model is a sympy expression in ``bounds.symbols.N``
and its constant symbols, with the constants' values alongside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from bounds import formula, validate
from bounds import symbols as S
from bounds.symbols import N


@dataclass(frozen=True)
class ErrorModel:
    """eps(N) as ``expr`` (in N and constant symbols), the constants' values and provenance.

    ``N_min`` is the smallest size where eps is valid (0: any N > 0; ``from_expression`` sets it).
    """

    name: str
    expr: sp.Expr
    constants: tuple[tuple[sp.Symbol, float], ...]
    provenance: str
    decreasing: bool = True
    N_min: float = 0.0
    _compiled: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not isinstance(self.provenance, str):
            raise TypeError("name and provenance must be strings")
        if not isinstance(self.expr, sp.Expr):
            raise TypeError(f"expr must be a sympy expression, got {type(self.expr).__name__}")
        if not isinstance(self.constants, tuple) or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], sp.Symbol)
            for c in self.constants
        ):
            raise TypeError("constants must be a tuple of (sympy Symbol, value) pairs")
        for symbol, value in self.constants:
            validate.real(symbol.name, value)
        if not isinstance(self.decreasing, bool):
            raise TypeError(f"decreasing must be True or False, got {self.decreasing!r}")
        validate.real("N_min", self.N_min, 0.0)

    @property
    def values(self) -> dict[sp.Symbol, float]:
        """The constants' values, by symbol."""
        return dict(self.constants)

    @cached_property
    def epsilon(self) -> sp.Expr:
        """eps(N) with every constant replaced by its value: an expression in N alone."""
        return self.expr.subs(self.values)

    def __call__(self, sizes: np.ndarray | float) -> np.ndarray:
        """eps at each size, vectorised (the expression is compiled once)."""
        if "numpy" not in self._compiled:
            self._compiled["numpy"] = sp.lambdify(N, self.epsilon, "numpy")
        sizes = validate.array("N", sizes, low=self.N_min, low_open=self.N_min == 0, min_size=0)
        return np.broadcast_to(self._compiled["numpy"](sizes), sizes.shape).astype(float)

    def with_constants(self, **values: float) -> ErrorModel:
        """The same model with some constants changed, named as in ``constants``."""
        known = {s.name: s for s, _ in self.constants}
        for key in values:
            if key not in known:
                raise ValueError(
                    f"unknown constant {key!r} for {self.name}; known: {sorted(known)}"
                )
        merged = tuple(
            (s, _constant(s.name, values.get(s.name, v), s.is_nonnegative and not s.is_positive))
            for s, v in self.constants
        )
        return ErrorModel(
            self.name, self.expr, merged, self.provenance, self.decreasing, self.N_min
        )

    def __str__(self) -> str:
        return f"{self.name}: eps(N) = {self.expr}"


def _constant(name: str, value: object, may_be_zero: bool = False) -> float:
    return validate.real(name, value, 0.0) if may_be_zero else validate.positive(name, value)


def power_law(C: float = 1.0, alpha: float = 0.2) -> ErrorModel:
    """eps(N) = C N^(-alpha): the simplified rate (alpha = 1/5 for diffusion, Li et al.)."""
    return ErrorModel(
        "power law",
        S.C * N**-S.alpha,
        ((S.C, _constant("C", C)), (S.alpha, _constant("alpha", alpha))),
        "assumed rate eps(N) = C N^-alpha",
    )


def diffusion_random_features(
    M: int,
    tau: float,
    C1: float = 1.0,
    C2: float = 1.0,
    approx: float = 0.0,
    prior: float = 0.0,
) -> ErrorModel:
    """TV by Pinsker from Li et al.'s KL bound at training time tau: eps = sqrt(KL / 2)."""
    tau_checked = validate.real("tau", tau, 1.0)  # Theorem 1 holds for tau >= 1
    return ErrorModel(
        "diffusion, random features",
        sp.sqrt(_kl_bracket(S.tau) / 2),
        _diffusion_constants(M, C1, C2, approx, prior) + ((S.tau, tau_checked),),
        "Li et al. (2023) Theorem 1 with Pinsker; constants uniform over generations (assumed)",
    )


def diffusion_early_stopped(
    M: int,
    C1: float = 1.0,
    C2: float = 1.0,
    approx: float = 0.0,
    prior: float = 0.0,
) -> ErrorModel:
    """The random-feature bound at tau = max(1, (M N / 4)^(1/5)), near-optimal when M >> N^(2/3).

    Any tau >= 1 gives a valid bound, so this closed form is a bound for every N; it exceeds the
    bound at the exact optimum (``bounds.stopping``) by a factor that tends to 1 as M/N^(2/3) grows.
    At fixed M it is not monotone in N: tau^3/M^2 grows like N^(3/5).
    """
    return ErrorModel(
        "diffusion, random features, early-stopped",
        sp.sqrt(_kl_bracket(sp.Max(1, (S.M * N / 4) ** sp.Rational(1, 5))) / 2),
        _diffusion_constants(M, C1, C2, approx, prior),
        "Li et al. (2023) Theorem 1 at tau = max(1, (M N/4)^(1/5)), with Pinsker; "
        "constants uniform over generations (assumed)",
        decreasing=False,
    )


def _kl_bracket(time: sp.Expr) -> sp.Expr:
    """Li et al.'s KL bound: C1 (t^4/(M N) + t^3/M^2 + 1/t) + C2/M + a + p_T at training time t."""
    M, N = S.M, S.N
    return S.C1 * (time**4 / (M * N) + time**3 / M**2 + 1 / time) + S.C2 / M + S.approx + S.prior


def _diffusion_constants(
    M: int, C1: float, C2: float, approx: float, prior: float
) -> tuple[tuple[sp.Symbol, float], ...]:
    return (
        (S.M, validate.whole("M", M, minimum=1)),
        (S.C1, _constant("C1", C1)),
        (S.C2, _constant("C2", C2)),
        (S.approx, _constant("approx", approx, may_be_zero=True)),
        (S.prior, _constant("prior", prior, may_be_zero=True)),
    )


def from_expression(
    expr: sp.Expr | str,
    constants: Mapping[str, float] | None = None,
    decreasing: bool = False,
    name: str = "user expression",
    N_min: float = 1.0,
) -> ErrorModel:
    """Any eps(N) the user writes, checked positive and finite (and non-increasing if claimed)
    on the stated domain N >= ``N_min`` (default 1; e.g. ``log(N)/sqrt(N)`` needs N_min > 1).

    A string is parsed by ``bounds.formula.parse`` (a whitelist: never evaluated), with names N
    and the keys of ``constants``. The check is symbolic where sympy can decide it and numeric
    on ``CHECK_POINTS`` sizes from N_min to max(1e12, 1e3 N_min) always. The model then refuses
    sizes below N_min.
    """
    if constants is not None and not isinstance(constants, Mapping):
        raise TypeError(f"constants must be a mapping of names to numbers, got {constants!r}")
    constants = dict(constants or {})
    for key in constants:
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"constants must be named by identifiers, got {key!r}")
    if not isinstance(decreasing, bool):
        raise TypeError(f"decreasing must be True or False, got {validate.shown(decreasing)}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {validate.shown(name)}")
    lowest = validate.real("N_min", N_min, 0.0, 1e300, low_open=True)
    pairs = tuple((sp.Symbol(k, positive=True), _constant(k, v)) for k, v in constants.items())
    symbols = {k: s for k, (s, _) in zip(constants, pairs, strict=True)}
    if isinstance(expr, str):
        if "N" in constants:
            raise ValueError("constants may not be named N (N is the training-set size)")
        expr = formula.parse(expr, {"N": N, **symbols}, name="expr")
    elif not isinstance(expr, sp.Expr):
        raise TypeError(f"expr must be a sympy expression or a string, got {type(expr).__name__}")
    else:
        expr = expr.subs(sp.Symbol("N"), N).subs({sp.Symbol(k): s for k, s in symbols.items()})
    unknown = expr.free_symbols - {N} - set(symbols.values())
    if unknown:
        raise ValueError(
            f"expr may use only N and the named constants {sorted(constants)}; "
            f"give values for {sorted(str(s) for s in unknown)}"
        )
    model = ErrorModel(name, expr, pairs, "user-supplied eps(N)", decreasing, N_min=lowest)
    _check_user_model(model)
    return model


CHECK_POINTS = 241  # sizes at which a user expression is checked, geometric over its domain


def _check_user_model(model: ErrorModel) -> None:
    eps = model.epsilon
    if eps.is_positive is False:
        raise ValueError(f"expr must be positive for N > 0; sympy finds {eps} is not")
    sizes = np.geomspace(model.N_min, max(1e12, 1e3 * model.N_min), CHECK_POINTS)
    with np.errstate(all="ignore"):
        try:
            values = model(sizes)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError):
            raise ValueError(f"expr {eps} is not a real number for N >= {model.N_min:g}") from None
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        where = float(sizes[np.argmax(bad)])
        raise ValueError(
            f"expr must be finite and positive for N >= {model.N_min:g}; at N = {where:g} it is not"
        )
    if model.decreasing:
        with np.errstate(all="ignore"):
            slope = sp.lambdify(N, sp.diff(eps, N), "numpy")(sizes)
        rising = np.broadcast_to(slope, sizes.shape) > 0
        if rising.any():
            where = float(sizes[np.argmax(rising)])
            raise ValueError(f"expr was declared decreasing but rises at N = {where:g}")


def diffusion_calibrated(
    M: int,
    tau: float,
    overfit_n: float,
    overfit_m: float,
    optimisation: float,
    width: float,
    floor: float,
    provenance: str,
) -> ErrorModel:
    """Li et al.'s bound with measured constants: eps(N) = sqrt(KL / 2), KL = a tau^4/(M N) +
    b tau^3/M^2 + c/tau + d/M + e, the constants (>= 0, zero for a term the data did not
    support) fitted by non-negative least squares on measured runs; ``provenance`` says which
    ("calibrated on ..."). At a fixed tau only the first term depends on N."""
    names = ("a_overfit_N", "b_overfit_M", "c_optimisation", "d_width", "e_floor")
    values = (overfit_n, overfit_m, optimisation, width, floor)
    symbols = [sp.Symbol(name, nonnegative=True) for name in names]
    checked = [_constant(name, v, may_be_zero=True) for name, v in zip(names, values, strict=True)]
    if sum(checked) <= 0:
        raise ValueError(
            f"at least one constant must be > 0, got {dict(zip(names, values, strict=True))}"
        )
    tau_checked = validate.real("tau", tau, 0.0)
    if tau_checked <= 0 or not np.isfinite(tau_checked):
        raise ValueError(f"tau must be finite and > 0, got {tau!r}")
    if not isinstance(provenance, str) or not provenance.startswith("calibrated on"):
        raise ValueError(f"provenance must say 'calibrated on ...', got {provenance!r}")
    a, b, c, d, e = symbols
    kl = a * S.tau**4 / (S.M * N) + b * S.tau**3 / S.M**2 + c / S.tau + d / S.M + e
    constants = (
        (S.M, validate.whole("M", M, minimum=1)),
        (S.tau, tau_checked),
        *zip(symbols, checked, strict=True),
    )
    return ErrorModel("diffusion, calibrated", sp.sqrt(kl / 2), constants, provenance)

"""Theorem R: how per-generation errors add up to the distance from the real distribution.

For every generation i >= 1, delta_i = TV(p_i, p_0) satisfies

    delta_i <= eps_i + sum_{j=1}^{i-1} w_{i,j} delta_j     (triangle inequality, convexity of TV)

so with eps_i <= eps(N_i) the sequence B_1 = eps(N_1), B_i = eps(N_i) + sum_j w_{i,j} B_j bounds
delta_i. ``bound(scenario, error)`` returns B_i as a :class:`Bound`. The formulas come from the
scenario (``Scenario.closed_form``, ``limit_form``, ``induction_step``); this module compiles them
once for vectorised numpy and arbitrary-precision mpmath evaluation, dispatching on
``Scenario.evaluation`` ("closed", "partial sums", "recursion") through one table per operation.
It is longer than most modules because those evaluators, the input checks they share and the
convergence tests of the limit belong to one object, :class:`Bound`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import mpmath
import numpy as np
import sympy as sp
from scipy.special import exprel, xlog1py

from bounds import symbols as S
from bounds import validate
from bounds.errors import ErrorModel
from bounds.scenarios import Eps, Scenario

THEOREM_R = (
    "Theorem R: delta_i <= eps_i + sum_j w_ij delta_j (triangle inequality, convexity of TV)"
)
_COMMON_ASSUMPTIONS = (
    "each training set is an iid sample of its mixture q_i",
    "eps_i <= eps(N_i) in every generation, with the same constants (uniform in i)",
)
MAX_DIGITS = 10_000
"""The most significant digits ``evaluate_mp`` and ``limit_value`` compute (dps in 1..10000)."""
MAX_SERIES_GENERATIONS = (10**7, 10**5)
"""Largest generation i summed term by term (accumulate, custom): in floats, and in mpmath."""
MAX_UNROLLED = 100
"""Largest generation ``recursion`` unrolls symbolically (the terms grow with i: 100
generations of accumulate take seconds)."""
MAX_PROOF_BASE = 8
"""Most base cases ``prove_closed_form`` checks (each simplifies an unrolled recursion:
8 take seconds for accumulate, 12 over a minute)."""


def check_digits(name: str, value: object) -> int:
    """``value`` as a whole number of significant digits in 1..MAX_DIGITS, else raise."""
    digits = validate.whole(name, value, minimum=1)
    if digits > MAX_DIGITS:
        raise ValueError(f"{name} must be a whole number in 1..{MAX_DIGITS}, got {value!r}")
    return digits


@dataclass(frozen=True)
class Provenance:
    """Where a bound comes from: the theorem, the error model's source and the assumptions."""

    theorem: str
    error_model: str
    assumptions: tuple[str, ...]

    def __str__(self) -> str:
        lines = [self.theorem, f"error model: {self.error_model}", "assumptions:"]
        return "\n".join(lines + [f"  - {a}" for a in self.assumptions])


@dataclass(frozen=True)
class Convergence:
    """Whether lim B_i is finite: ``verdict`` is "converges", "diverges" or "unknown", and
    ``reason`` names the test that decided it (or why none could)."""

    verdict: str
    reason: str


class UndecidedLimit(ValueError):
    """Raised by ``Bound.limit_value`` when no proven test decides whether the series converges."""


@dataclass(frozen=True, eq=False)
class Bound:
    """B_i, an upper bound on TV(p_i, p_0), as a formula with default values for its parameters.

    ``expr`` is the formula to read; ``evaluate`` and ``evaluate_mp`` compute it, with any
    parameter overridden by keyword (``i``, the scenario's parameters such as ``n`` or ``lam``, and
    the error model's constants such as ``C`` or ``alpha``). Values above 1 are returned as they
    are: the bound is then vacuous, which :meth:`vacuous` flags.
    """

    scenario: Scenario
    error: ErrorModel
    expr: sp.Expr
    provenance: Provenance
    _stable: sp.Expr | None = None  # same value as expr, written to evaluate without cancellation
    _cache: dict = field(default_factory=dict, repr=False)

    # --- reading -------------------------------------------------------------------------
    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """Every parameter of the bound, generation symbol first."""
        params = (*self.scenario.symbols(), *(s for s, _ in self.error.constants))
        in_i = S.i in self.expr.free_symbols or self.scenario.evaluation != "closed"
        return (S.i, *params) if in_i else params

    @property
    def defaults(self) -> dict[str, float]:
        """Default value of each parameter by keyword (the generation i has none)."""
        values = {**self.scenario.symbols(), **self.error.values}
        return {S.keyword(s): float(v) for s, v in values.items()}

    def at(self, i: int) -> sp.Expr:
        """B_i for one concrete generation, as an expression in the parameters."""
        i = self._generation(i)
        if self.scenario.evaluation == "recursion":
            return self._unrolled[i - 1]
        return self.expr.subs(S.i, i).doit()

    @property
    def numeric_expr(self) -> sp.Expr:
        """The formula numbers are computed from: ``expr`` rewritten without cancellation where
        floating point would lose digits (same value; uses ``symbols.xlog1py`` and friends)."""
        return self._stable if self._stable is not None else self.expr

    def substituted(self) -> sp.Expr:
        """The formula with every parameter but i replaced by its default value."""
        values = {**self.scenario.symbols(), **self.error.values}
        return self.expr.subs(values)

    def __str__(self) -> str:
        return f"B_i = {self.expr}"

    def __repr__(self) -> str:
        return f"<Bound for {self.scenario} with {self.error.name}: {self}>"

    def latex(self) -> str:
        """The formula as LaTeX (without math delimiters)."""
        return f"B_i = {sp.latex(self.expr)}"

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"

    @staticmethod
    def vacuous(values: np.ndarray | float) -> np.ndarray:
        """True where a TV bound exceeds 1 and so says nothing (TV is at most 1).

        ``values`` are finite reals as ``evaluate`` returns them, or exact numbers (mpmath, or
        integers beyond the float range) as ``evaluate_mp`` does, compared without rounding.
        """
        if _exact(values):
            return np.asarray(values, dtype=object) > 1
        return validate.array("values", values, min_size=0) > 1

    # --- evaluating ----------------------------------------------------------------------
    def evaluate(self, **params: np.ndarray | float) -> np.ndarray:
        """B_i as floats, broadcasting every array given; ``i`` is required."""
        args = self._arguments(params)
        shape = np.broadcast_shapes(*(np.shape(a) for a in args.values()))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = _NUMPY[self.scenario.evaluation](self, args)
        value = np.asarray(value, dtype=float)
        if value.shape != shape:
            value = np.broadcast_to(value, shape)
        if not np.isfinite(value).all():
            raise ValueError(f"the bound is not finite at {params}; check the parameters' ranges")
        return value if value.flags.writeable else value.copy()

    def evaluate_mp(self, dps: int = 50, **params: object) -> mpmath.mpf | np.ndarray:
        """B_i to ``dps`` significant digits (1..10000) with mpmath; ``i`` required.

        Parameters may be numbers, decimal text such as ``lam="0.3"`` (read exactly at the working
        precision, never evaluated) or arrays of either. All scalars give one ``mpmath.mpf``; any
        array gives a numpy object array of ``mpmath.mpf`` with the broadcast shape. Every value is
        checked as in :meth:`evaluate`.
        """
        dps = check_digits("dps", dps)
        self._known(params, need_i=True)
        arrays = {k: np.asarray(v, dtype=object) for k, v in params.items()}
        if all(a.ndim == 0 for a in arrays.values()):
            return self._evaluate_mp_scalar(dps, params)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = {k: a.shape for k, a in arrays.items()}
            raise ValueError(f"parameter arrays must broadcast together, got {shapes}") from None
        spread = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
        out = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            out[index] = self._evaluate_mp_scalar(dps, {k: a[index] for k, a in spread.items()})
        return out

    def _evaluate_mp_scalar(self, dps: int, params: dict) -> mpmath.mpf:
        with mpmath.workdps(dps + 10):
            args = self._arguments_mp(params)
            value = _MPMATH[self.scenario.evaluation](self, args)
        if not mpmath.isfinite(value):
            raise ValueError(f"the bound is not finite at {params}; check the parameters' ranges")
        with mpmath.workdps(dps):
            return +value

    # --- the i -> infinity limit ---------------------------------------------------------
    def limit(self) -> sp.Expr:
        """lim_{i->oo} B_i as a formula (sympy ``oo`` when the bound grows without limit)."""
        return self.scenario.limit_form(_eps_of(self.error.expr))

    def convergence(self, **params: object) -> Convergence:
        """Whether lim B_i is finite at these parameters, and the test that decides it.

        Closed limits decide themselves. For ``accumulate`` the limit is m sum_k f(k) with
        f(k) = eps(N_k)/N_{k+1} > 0, decided by comparison with p-series and Bertrand series:
        with p = lim -log f(k)/log k, p > 1 converges and p < 1 diverges; at p = 1, with
        q = lim -log(k f(k))/log log k, q > 1 converges (f <= 1/(k log^q' k), 1 < q' < q) and
        q < 1 diverges (f >= 1/(k log k) eventually). Otherwise the verdict is "unknown".
        """
        values = self._limit_arguments(params)
        return self._convergence({k: float(v) for k, v in values.items()})

    def limit_value(self, dps: int | None = None, **params: object) -> float | mpmath.mpf:
        """lim B_i as a number: float, or mpmath with ``dps`` (1..10000) digits; inf when the
        bound provably grows without limit, :class:`UndecidedLimit` when no test decides.

        For ``accumulate`` the limit is m sum_{k>=1} eps(N_k)/N_{k+1}, a slowly converging series
        (terms ~ k^(-1-alpha) for a power law), summed directly for its first terms and then by
        the Euler-Maclaurin formula with the integral done by quadrature.
        """
        if dps is not None:
            dps = check_digits("dps", dps)
        with mpmath.workdps((dps or 15) + 10):
            values = self._limit_arguments(params)
            verdict = self._convergence({k: float(v) for k, v in values.items()})
            if verdict.verdict == "unknown":
                raise UndecidedLimit(f"lim B_i at {params or 'the defaults'}: {verdict.reason}")
            if verdict.verdict == "diverges":
                return mpmath.inf if dps else math.inf
            value = _LIMITS[self.scenario.evaluation](self, values)
        if dps is None:
            return float(value)
        with mpmath.workdps(dps):
            return +value

    # --- internals -----------------------------------------------------------------------
    def _generation(self, i: object) -> int:
        i = validate.generation(i)
        horizon = self.scenario.horizon
        if horizon is not None and i > horizon:
            raise ValueError(f"generation i must be in 1..{horizon} for this scenario, got {i}")
        return i

    def _known(self, params: dict, need_i: bool) -> dict[str, sp.Symbol]:
        known = {S.keyword(s): s for s in self.symbols}
        unknown = set(params) - set(known) - {"i"}
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        if need_i and "i" not in params:
            raise ValueError("i (the generation, a whole number >= 1) must be given")
        if not need_i and "i" in params:
            raise ValueError("i must not be given: the limit is taken over every generation")
        return known

    def _arguments(self, params: dict) -> dict[sp.Symbol, np.ndarray]:
        """Validated float arrays in the order of ``self.symbols``, defaults filled in."""
        known = self._known(params, need_i=True)
        values = {**self.defaults, **params}
        args = {}
        for name, symbol in known.items():
            array = _float_array(name, values[name])
            if name == "i":
                self._check_generations(array)
            else:
                _check_domain(name, symbol, array)
            args[symbol] = array
        return args

    def _arguments_mp(self, params: dict, need_i: bool = True) -> dict[sp.Symbol, mpmath.mpf]:
        """Validated mpmath scalars (at the working precision), defaults filled in."""
        known = self._known(params, need_i=need_i)
        values = {**self.defaults, **params}
        args = {}
        for name, symbol in known.items():
            if name == "i" and not need_i:
                continue
            value = _mp_scalar(name, values[name])
            if name == "i":
                self._check_generations(np.asarray(float(value)))
                if value != int(value):  # float(value) may round a non-whole decimal to whole
                    raise ValueError(f"generation i must hold whole numbers >= 1, got {value}")
            else:
                _check_domain_mp(name, symbol, value)
            args[symbol] = value
        return args

    def _limit_arguments(self, params: dict) -> dict[str, mpmath.mpf]:
        args = self._arguments_mp(params, need_i=False)
        return {S.keyword(s): v for s, v in args.items()}

    def _check_generations(self, i: np.ndarray) -> None:
        horizon = self.scenario.horizon
        allowed = f"whole numbers in 1..{horizon}" if horizon else "whole numbers >= 1"
        ok = np.isfinite(i) & (i >= 1) & (i == np.floor(i)) & (i <= (horizon or np.inf))
        if i.size == 0 or not ok.all():
            raise ValueError(f"generation i must hold {allowed}, got {i!r}")
        if self.scenario.evaluation != "closed":
            limit = MAX_SERIES_GENERATIONS[0]
            if i.max() > limit:
                raise ValueError(
                    f"generation i must be <= {limit} for a {self.scenario.name} bound (it sums "
                    f"one term per generation), got {i.max():g}; use limit_value for i -> oo"
                )

    def _compiled(self, backend: str) -> Callable:
        if backend not in self._cache:
            self._cache[backend] = compile_formula(self.symbols, self.numeric_expr, backend)
        return self._cache[backend]

    @cached_property
    def _eps_numeric(self) -> Callable:
        """eps(N, *constants), compiled once for numpy."""
        constants = [s for s, _ in self.error.constants]
        return sp.lambdify([S.N, *constants], self.error.expr, "numpy")

    @cached_property
    def _eps_mp(self) -> Callable:
        constants = [s for s, _ in self.error.constants]
        return sp.lambdify([S.N, *constants], self.error.expr, "mpmath")

    def _constant_args(self, args: dict) -> list:
        return [args[s] for s, _ in self.error.constants]

    @cached_property
    def _unrolled(self) -> tuple[sp.Expr, ...]:
        return self.scenario.unrolled(_eps_of(self.error.expr), self.scenario.horizon)

    def _convergence(self, values: dict[str, float]) -> Convergence:
        if self.scenario.evaluation == "recursion":
            raise ValueError("a custom scenario has a finite horizon, so B_i has no limit in i")
        if self.scenario.evaluation == "closed":
            limit = self.limit()
            if limit == sp.oo:
                return Convergence("diverges", "B_i grows without limit for this scenario")
            exact = {s: sp.Rational(repr(values[S.keyword(s)])) for s in limit.free_symbols}
            if limit.subs(exact) in (sp.oo, sp.zoo, -sp.oo, sp.nan):
                return Convergence("diverges", "the closed-form limit is infinite here")
            return Convergence("converges", "closed-form limit")
        if values["m"] == 0:
            return Convergence("converges", "m = 0: every generation is eps(n)")
        constants = {s: sp.Rational(repr(values[S.keyword(s)])) for s, _ in self.error.constants}
        sizes = (sp.Rational(repr(values["n"])), sp.Rational(repr(values["m"])))
        return _series_convergence(self.error.expr.subs(constants), *sizes)


def _exact(values: object) -> bool:
    """Whether ``values`` holds exact numbers only: mpmath numbers or ints, alone or in a
    list or object array (compared as they are, never rounded to floats)."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return False
    try:
        entries = np.asarray(values, dtype=object).ravel()
    except ValueError:  # ragged nesting
        return False
    return entries.size > 0 and all(
        isinstance(v, mpmath.mpf | numbers.Integral) and not isinstance(v, bool | np.bool_)
        for v in entries
    )


def _float_array(name: str, raw: object) -> np.ndarray:
    """``raw`` (a number, numeric text or an array of them) as a float array, else raise."""
    try:
        kind = np.asarray(raw).dtype
    except (TypeError, ValueError):  # ragged nesting
        kind = None
    if isinstance(raw, (bool, np.bool_)) or kind is None or kind.kind == "b":
        raise TypeError(f"{name} must be a real number or an array of them, got {raw!r}")
    if np.iscomplexobj(raw):
        raise TypeError(f"{name} must be real, got {raw!r}")
    try:
        return np.asarray(raw, dtype=float)
    except OverflowError:
        raise ValueError(f"{name} must be finite in floating point, got {raw!r}") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of them, got {raw!r}") from None


def _mp_scalar(name: str, raw: object) -> mpmath.mpf:
    """One number or decimal text as an mpmath number at the working precision (never eval)."""
    if isinstance(raw, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or decimal text, got {raw!r}")
    if isinstance(raw, str):
        try:
            return mpmath.mpf(raw.strip())
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real number or decimal text, got {raw!r}") from None
    if isinstance(raw, mpmath.mpf):
        return +raw
    if isinstance(raw, numbers.Integral):
        return mpmath.mpf(int(raw))
    array = _float_array(name, raw)
    if array.ndim != 0:
        raise TypeError(f"{name} must be a real number or decimal text, got {raw!r}")
    return mpmath.mpf(float(array))


def _domain_message(name: str, symbol: sp.Symbol) -> str | None:
    if symbol == S.lam:
        return "lam must be in [0, 1]"
    if symbol.is_positive:
        return f"{name} must be > 0"
    if symbol.is_nonnegative:
        return f"{name} must be >= 0"
    return None


def _check_domain(name: str, symbol: sp.Symbol, array: np.ndarray) -> None:
    """Raise ValueError unless every entry is finite and in the symbol's allowed range."""
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {array!r}")
    if symbol == S.lam:
        bad = (array < 0) | (array > 1)
    elif symbol.is_positive:
        bad = array <= 0
    elif symbol.is_nonnegative:
        bad = array < 0
    else:
        return
    if bad.any():
        raise ValueError(f"{_domain_message(name, symbol)}, got {array!r}")


def _check_domain_mp(name: str, symbol: sp.Symbol, value: mpmath.mpf) -> None:
    """``_check_domain`` for one mpmath number."""
    if not mpmath.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if symbol == S.lam:
        bad = value < 0 or value > 1
    elif symbol.is_positive:
        bad = value <= 0
    else:
        bad = bool(symbol.is_nonnegative) and value < 0
    if bad:
        raise ValueError(f"{_domain_message(name, symbol)}, got {value}")


# --- evaluation, one table per operation, keyed by Scenario.evaluation -------------------------


def _closed_numpy(bound: Bound, args: dict) -> np.ndarray:
    return bound._compiled("numpy")(*args.values())


def _closed_mp(bound: Bound, args: dict) -> mpmath.mpf:
    return bound._compiled("mpmath")(*args.values())


def _partial_sums_numpy(bound: Bound, args: dict) -> np.ndarray:
    """B_i = eps(N_i) + m sum_{k<i} eps(N_k)/N_{k+1}, N_k = n + (k-1) m, by cumulative sums.

    The partial sums are computed once over k for the other parameters' broadcast shape,
    then read at every requested i (so an array of i costs no more than its largest).
    """
    i, n, m = args[S.i], args[S.n], args[S.m]
    others = [a for s, a in args.items() if s != S.i]
    shape = np.broadcast_shapes(*(np.shape(a) for a in others))
    consts = [np.broadcast_to(c, shape)[..., None] for c in bound._constant_args(args)]
    n_, m_ = np.broadcast_to(n, shape)[..., None], np.broadcast_to(m, shape)[..., None]
    k = np.arange(1, int(np.max(i)), dtype=float)
    sizes = n_ + (k - 1) * m_
    terms = np.broadcast_to(bound._eps_numeric(sizes, *consts), sizes.shape) / (sizes + m_)
    partial = np.concatenate([np.zeros(shape + (1,)), np.cumsum(terms, axis=-1)], axis=-1)
    full = np.broadcast_shapes(shape, np.shape(i))
    index = np.broadcast_to(i, full).astype(int)[..., None] - 1
    spread = np.broadcast_to(partial, full + partial.shape[-1:])
    tail = np.take_along_axis(spread, index, axis=-1)[..., 0]
    head = bound._eps_numeric(n + (i - 1) * m, *bound._constant_args(args))
    return head + m * tail


def _partial_sums_mp(bound: Bound, args: dict) -> mpmath.mpf:
    i, n, m = int(args[S.i]), args[S.n], args[S.m]
    limit = MAX_SERIES_GENERATIONS[1]
    if i > limit:
        raise ValueError(f"generation i must be <= {limit} for mpmath partial sums, got {i}")
    consts = bound._constant_args(args)
    eps = bound._eps_mp
    tail = mpmath.fsum(eps(n + (k - 1) * m, *consts) / (n + k * m) for k in range(1, i))
    return eps(n + (i - 1) * m, *consts) + m * tail


def _recursion_numpy(bound: Bound, args: dict) -> np.ndarray:
    i, scenario = args[S.i], bound.scenario
    consts = bound._constant_args(args)
    history: list[np.ndarray] = []
    for g in range(1, int(np.max(i)) + 1):
        w = scenario.weights(g)
        eps = bound._eps_numeric(float(scenario.size(g)), *consts)
        history.append(eps + sum(w[j] * history[j - 1] for j in range(1, g)))
    stacked = np.stack(np.broadcast_arrays(*history), axis=-1)
    shape = np.broadcast_shapes(stacked.shape[:-1], np.shape(i))
    stacked = np.broadcast_to(stacked, shape + stacked.shape[-1:])
    index = np.broadcast_to(i, shape).astype(int)[..., None] - 1
    return np.take_along_axis(stacked, index, axis=-1)[..., 0]


def _recursion_mp(bound: Bound, args: dict) -> mpmath.mpf:
    consts, scenario = bound._constant_args(args), bound.scenario
    history: list[mpmath.mpf] = []
    for g in range(1, int(args[S.i]) + 1):
        w = [mpmath.mpf(sp.Float(x, mpmath.mp.dps)) for x in scenario.symbolic_weights(g)]
        eps = bound._eps_mp(mpmath.mpf(scenario.size(g)), *consts)
        history.append(eps + mpmath.fsum(w[j] * history[j - 1] for j in range(1, g)))
    return history[-1]


def _closed_limit(bound: Bound, values: dict[str, mpmath.mpf]) -> mpmath.mpf:
    symbols = [s for s in bound.symbols if s != S.i]
    f = sp.lambdify(symbols, bound.limit(), "mpmath")
    return f(*(values[S.keyword(s)] for s in symbols))


def _partial_sums_limit(bound: Bound, values: dict[str, mpmath.mpf]) -> mpmath.mpf:
    n, m = values["n"], values["m"]
    consts = [values[S.keyword(s)] for s, _ in bound.error.constants]
    if m == 0:
        return bound._eps_mp(n, *consts)

    def term(k):
        size = n + (k - 1) * m
        return bound._eps_mp(size, *consts) / (size + m)

    return m * _euler_maclaurin_sum(term)


_NUMPY = {
    "closed": _closed_numpy,
    "partial sums": _partial_sums_numpy,
    "recursion": _recursion_numpy,
}
_MPMATH = {"closed": _closed_mp, "partial sums": _partial_sums_mp, "recursion": _recursion_mp}
_LIMITS = {"closed": _closed_limit, "partial sums": _partial_sums_limit}


@lru_cache(maxsize=128)
def _series_convergence(eps: sp.Expr, n: sp.Rational, m: sp.Rational) -> Convergence:
    """Decide sum_k f(k), f(k) = eps(N_k)/N_{k+1} > 0, by p-series and Bertrand comparisons."""
    k = sp.Symbol("k", positive=True)
    size = n + (k - 1) * m
    f = eps.subs(S.N, size) / (size + m)
    if f.has(sp.Max, sp.Min, sp.Piecewise):  # sympy's series cannot expand these: no verdict
        return Convergence("unknown", "eps(N) has Max/Min/Piecewise, beyond sympy's limits")
    p = _limit_at_infinity(-sp.log(f) / sp.log(k), k)
    if p is None:
        return Convergence("unknown", "sympy could not find lim -log f(k)/log k")
    if p != 1:
        verdict = "converges" if p > 1 else "diverges"
        return Convergence(verdict, f"f(k) = k^-p with p = {p} (comparison with a p-series)")
    q = _limit_at_infinity(-sp.log(k * f) / sp.log(sp.log(k)), k)
    if q is None or q == 1:
        why = "could not be found" if q is None else "is 1, where the test says nothing"
        return Convergence("unknown", f"f(k) ~ 1/k and lim -log(k f(k))/log log k {why}")
    verdict = "converges" if q > 1 else "diverges"
    return Convergence(
        verdict, f"f(k) = 1/(k log^q k) with q = {q} (comparison with a Bertrand series)"
    )


def _limit_at_infinity(expr: sp.Expr, k: sp.Symbol) -> sp.Expr | None:
    """lim_{k -> oo} expr when sympy finds it as an extended real number, else None."""
    try:
        value = sp.limit(expr, k, sp.oo)
    except Exception:  # noqa: BLE001 - sympy's limit raises many kinds when it cannot decide
        return None
    if value in (sp.oo, -sp.oo) or (value.is_number and value.is_extended_real):
        return value
    return None


def _euler_maclaurin_sum(term: Callable) -> mpmath.mpf:
    """sum_{k>=1} term(k) for a smooth, slowly decaying term: direct head, Euler-Maclaurin tail.

    sum_{k>=K} f(k) = int_K^oo f + f(K)/2 - sum_{j=1}^{p} B_{2j}/(2j)! f^{(2j-1)}(K) + R_p,
    with the integral taken in u = log(x/K), where an algebraic tail decays exponentially. For
    terms like k^(-s), R_p shrinks by about (2 pi K)^2 per order, so K and p are chosen from
    the working precision: K = 64 up to 20 digits, else 1024, and p orders for 10 spare digits.
    """
    digits = mpmath.mp.dps
    start = 64 if digits <= 20 else 1024
    orders = math.ceil((digits + 10) / (2 * math.log10(2 * math.pi * start)))

    def integrand(u):
        x = start * mpmath.exp(u)
        return term(x) * x

    head = mpmath.fsum(term(k) for k in range(1, start))
    tail = mpmath.quad(integrand, [0, 1, 4, 16, mpmath.inf]) + term(start) / 2
    for j in range(1, orders + 1):
        derivative = mpmath.diff(term, start, 2 * j - 1)
        tail -= mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * derivative
    return head + tail


def _eps_of(expr: sp.Expr) -> Eps:
    """eps as a function of a size expression."""
    return lambda size: expr.subs(S.N, size)


def _geometric_numpy(q: np.ndarray, count: np.ndarray) -> np.ndarray:
    """count exprel(count L) (-L/q), L = log1p(-q): every factor O(1), exact as q -> 0."""
    q, count = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(count, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_keep = np.log1p(-q)
        value = count * exprel(count * log_keep) * np.where(q > 0, -log_keep / q, 1.0)
    return np.where(q >= 1, np.minimum(count, 1.0), value)  # (1-q)^k = 0^k when q = 1


def _geometric_mp(q: mpmath.mpf, count: mpmath.mpf) -> mpmath.mpf:
    if q == 0:
        return count
    if q == 1:
        return min(count, 1)
    return -mpmath.expm1(count * mpmath.log1p(-q)) / q


def _xlog1py_mp(x: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
    return mpmath.mpf(0) if x == 0 else x * mpmath.log1p(y)


_IMPLEMENTATIONS = {
    "numpy": [{"geometric_sum": _geometric_numpy, "xlog1py": xlog1py}, "numpy"],
    "mpmath": [
        {"geometric_sum": _geometric_mp, "xlog1py": _xlog1py_mp, "expm1": mpmath.expm1},
        "mpmath",
    ],
}


def compile_formula(symbols: tuple, expr: sp.Expr, backend: str) -> Callable:
    """``expr`` as a function of ``symbols`` for ``backend`` "numpy" or "mpmath", with the special
    functions of ``bounds.symbols`` implemented and common subexpressions computed once."""
    return sp.lambdify(symbols, expr, _IMPLEMENTATIONS[backend], cse=True)


def bound(scenario: Scenario, error: ErrorModel) -> Bound:
    """Theorem R's bound B_i for ``scenario`` when each generation errs by at most ``error``."""
    validate.instance("scenario", scenario, Scenario)
    validate.instance("error", error, ErrorModel)
    expr, stable = closed_form(scenario, _eps_of(error.expr))
    assumptions = _COMMON_ASSUMPTIONS + scenario.bound_assumptions
    provenance = Provenance(THEOREM_R, error.provenance, assumptions)
    return Bound(scenario, error, expr, provenance, stable)


def closed_form(scenario: Scenario, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
    """B_i in the generation symbol i, for an error eps(size); also a cancellation-free form.

    The scenario supplies it (``Scenario.closed_form``): replace i eps(N); proportion
    eps(N) (1 - (1-lam)^i)/lam; augment, r = m/(n+m): eps(n+m) (1 - r^(i-1))/(1 - r) +
    r^(i-1) eps(n); accumulate, N_k = n + (k-1) m: eps(N_i) + m sum_{k<i} eps(N_k)/N_{k+1};
    custom: the unrolled recursion, case by case.
    """
    return validate.instance("scenario", scenario, Scenario).closed_form(eps)


@dataclass(frozen=True)
class ClosedFormProof:
    """Residuals that vanish iff a closed form solves Theorem R's recursion for every i.

    ``base`` holds closed(g) - recursion(g) for the first generations; ``step`` is the recursion
    written as a relation between consecutive generations, evaluated on the closed form with the
    generation left symbolic. Both all zero (after simplification) is a proof by induction.
    """

    scenario: str
    base: tuple[sp.Expr, ...]
    step: sp.Expr

    @property
    def holds(self) -> bool:
        return all(r == 0 for r in self.base) and self.step == 0


def prove_closed_form(
    scenario: Scenario, closed: sp.Expr | None = None, base: int = 4
) -> ClosedFormProof:
    """Check symbolically, for any error function eps, that ``closed`` solves the recursion.

    ``closed`` defaults to the scenario's closed form; pass another expression in i (with eps as
    the undefined function ``epsilon``) to test it. The step relation is the scenario's
    (``Scenario.induction_step``): replace and proportion B_i = eps(N) + (1 - lam) B_{i-1}
    (lam = 0 for replace); augment, i >= 2, B_i = eps(n+m) + r B_{i-1}; accumulate, from
    S_i / N_{i+1} telescoping, N_{i+1} (B_{i+1} - eps(N_{i+1})) - N_i (B_i - eps(N_i)) = m B_i.
    """
    validate.instance("scenario", scenario, Scenario, "a bounds Scenario")
    base = validate.whole("base", base, minimum=1, maximum=MAX_PROOF_BASE)
    if scenario.evaluation == "recursion":
        raise ValueError("a custom scenario has no closed form: its bound is the recursion itself")
    eps = sp.Function("epsilon")
    closed = scenario.closed_form(eps)[0] if closed is None else closed
    residuals = tuple(
        sp.simplify(closed.subs(S.i, g).doit() - recursion(scenario, eps, g))
        for g in range(1, base + 1)
    )
    step = scenario.induction_step(closed, eps)
    return ClosedFormProof(scenario.name, residuals, sp.simplify(sp.expand(step, power_exp=True)))


def recursion(scenario: Scenario, eps: Eps, i: int) -> sp.Expr:
    """B_i by unrolling Theorem R's recursion with the scenario's symbolic sizes and weights
    (1 <= i <= MAX_UNROLLED, and within the scenario's horizon)."""
    validate.instance("scenario", scenario, Scenario, "a bounds Scenario")
    i = validate.whole("generation i", i, minimum=1, maximum=MAX_UNROLLED)
    return scenario.unrolled(eps, i)[-1]

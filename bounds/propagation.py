"""Theorem R: how per-generation errors add up to the distance from the real distribution.

For every generation i >= 1, delta_i = TV(p_i, p_0) satisfies

    delta_i <= eps_i + sum_{j=1}^{i-1} w_{i,j} delta_j     (triangle inequality, convexity of TV)

so with eps_i <= eps(N_i) the sequence B_1 = eps(N_1), B_i = eps(N_i) + sum_j w_{i,j} B_j bounds
delta_i. ``bound(scenario, error)`` returns B_i as a :class:`Bound`: a closed form in the generation
symbol i where one exists (replace, proportion, augment, accumulate), the unrolled recursion for
custom scenarios, each compiled once for vectorised numpy and arbitrary-precision mpmath evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import mpmath
import numpy as np
import sympy as sp
from scipy.special import exprel

from bounds import symbols as S
from bounds.errors import ErrorModel
from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace, Scenario
from bounds.validate import generation as _check_generation

Eps = Callable[[sp.Expr], sp.Expr]

THEOREM_R = (
    "Theorem R: delta_i <= eps_i + sum_j w_ij delta_j (triangle inequality, convexity of TV)"
)
_COMMON_ASSUMPTIONS = (
    "each training set is an iid sample of its mixture q_i",
    "eps_i <= eps(N_i) in every generation, with the same constants (uniform in i)",
)


@dataclass(frozen=True)
class Provenance:
    """Where a bound comes from: the theorem, the error model's source and the assumptions."""

    theorem: str
    error_model: str
    assumptions: tuple[str, ...]

    def __str__(self) -> str:
        lines = [self.theorem, f"error model: {self.error_model}", "assumptions:"]
        return "\n".join(lines + [f"  - {a}" for a in self.assumptions])


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
        return (S.i, *params) if S.i in self.expr.free_symbols or self._is_series else params

    @property
    def defaults(self) -> dict[str, float]:
        """Default value of each parameter by keyword (the generation i has none)."""
        values = {**self.scenario.symbols(), **self.error.values}
        return {S.keyword(s): float(v) for s, v in values.items()}

    def at(self, i: int) -> sp.Expr:
        """B_i for one concrete generation, as an expression in the parameters."""
        i = self._generation(i)
        if isinstance(self.scenario, Custom):
            return self._custom_terms[i - 1]
        return self.expr.subs(S.i, i).doit()

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
        """True where a TV bound exceeds 1 and so says nothing (TV is at most 1)."""
        return np.asarray(values, dtype=object if _is_mp(values) else float) > 1

    # --- evaluating ----------------------------------------------------------------------
    def evaluate(self, **params: np.ndarray | float) -> np.ndarray:
        """B_i as floats, broadcasting every array given; ``i`` is required."""
        args = self._arguments(params)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if isinstance(self.scenario, Accumulate):
                value = self._accumulate_numpy(args)
            elif isinstance(self.scenario, Custom):
                value = self._custom_numpy(args)
            else:
                value = self._compiled("numpy")(*args.values())
        value = np.broadcast_to(value, np.broadcast_shapes(*(np.shape(a) for a in args.values())))
        if not np.all(np.isfinite(value)):
            raise ValueError(f"the bound is not finite at {params}; check the parameters' ranges")
        return np.array(value, dtype=float)

    def evaluate_mp(self, dps: int = 50, **params: float | str) -> mpmath.mpf:
        """B_i to ``dps`` significant digits with mpmath (scalars only; ``i`` required)."""
        with mpmath.workdps(dps + 10):
            args = {s: mpmath.mpf(v) for s, v in self._arguments(params, scalar=True).items()}
            if isinstance(self.scenario, Accumulate):
                value = self._accumulate_mp(args)
            elif isinstance(self.scenario, Custom):
                value = self._custom_mp(args)
            else:
                value = self._compiled("mpmath")(*args.values())
        with mpmath.workdps(dps):
            return +value

    # --- the i -> infinity limit ---------------------------------------------------------
    def limit(self) -> sp.Expr:
        """lim_{i->oo} B_i as a formula (sympy ``oo`` when the bound grows without limit)."""
        eps = _eps_of(self.error.expr)
        scenario = self.scenario
        if isinstance(scenario, Replace):
            return sp.oo
        if isinstance(scenario, Proportion):
            return eps(S.N) / S.lam
        if isinstance(scenario, Augment):
            return eps(S.n + S.m) * (S.n + S.m) / S.n
        if isinstance(scenario, Accumulate):
            size = S.n + (S.k - 1) * S.m
            return S.m * sp.Sum(eps(size) / (size + S.m), (S.k, 1, sp.oo))
        raise ValueError("a custom scenario has a finite horizon, so B_i has no limit in i")

    def limit_value(self, dps: int | None = None, **params: float) -> float | mpmath.mpf:
        """lim B_i as a number: float, or mpmath with ``dps`` digits; inf when it diverges.

        For ``accumulate`` the limit is m sum_{k>=1} eps(N_k)/N_{k+1}, a slowly converging series
        (terms ~ k^(-1-alpha) for a power law), summed directly for its first terms and then by
        the Euler-Maclaurin formula with the integral done by quadrature; it is infinite unless
        eps(N) decays like a power of N.
        """
        values = {S.keyword(s): v for s, v in self._arguments({**params, "i": 1}).items()}
        values.pop("i", None)
        scalars = {k: float(np.asarray(v)) for k, v in values.items()}
        if isinstance(self.scenario, Replace):
            return mpmath.inf if dps else np.inf
        if isinstance(self.scenario, Proportion) and scalars["lam"] == 0:
            return mpmath.inf if dps else np.inf
        if isinstance(self.scenario, Accumulate) and not self._series_converges(scalars):
            return mpmath.inf if dps else np.inf
        with mpmath.workdps((dps or 15) + 10):
            if isinstance(self.scenario, Accumulate):
                value = self._accumulate_limit_mp(scalars)
            else:
                symbols = [s for s in self.symbols if s != S.i]
                f = sp.lambdify(symbols, self.limit(), "mpmath")
                value = f(*(mpmath.mpf(scalars[S.keyword(s)]) for s in symbols))
        if dps is None:
            return float(value)
        with mpmath.workdps(dps):
            return +value

    # --- internals -----------------------------------------------------------------------
    @property
    def _is_series(self) -> bool:
        return isinstance(self.scenario, (Accumulate, Custom))

    def _generation(self, i: object) -> int:
        i = _check_generation(i)
        horizon = self.scenario.horizon
        if horizon is not None and i > horizon:
            raise ValueError(f"generation i must be in 1..{horizon} for this scenario, got {i}")
        return i

    def _arguments(self, params: dict, scalar: bool = False) -> dict[sp.Symbol, np.ndarray]:
        """Validated parameter arrays in the order of ``self.symbols``, defaults filled in."""
        known = {S.keyword(s): s for s in self.symbols}
        unknown = set(params) - set(known) - {"i"}
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        if "i" not in params:
            raise ValueError("i (the generation, a whole number >= 1) must be given")
        values = {**self.defaults, **params}
        args = {}
        for name, symbol in known.items():
            raw = values[name]
            array = np.asarray(raw, dtype=float) if not isinstance(raw, str) else raw
            if scalar and np.ndim(array) != 0:
                raise TypeError(f"{name} must be a scalar for mpmath evaluation, got {raw!r}")
            if name == "i":
                self._check_generations(np.asarray(raw, dtype=float))
            elif not isinstance(array, str):
                _check_domain(name, symbol, array)
            args[symbol] = raw if scalar else array
        return args

    def _check_generations(self, i: np.ndarray) -> None:
        horizon = self.scenario.horizon
        allowed = f"whole numbers in 1..{horizon}" if horizon else "whole numbers >= 1"
        ok = np.isfinite(i) & (i >= 1) & (i == np.floor(i)) & (i <= (horizon or np.inf))
        if i.size == 0 or not np.all(ok):
            raise ValueError(f"generation i must hold {allowed}, got {i!r}")

    def _compiled(self, backend: str) -> Callable:
        if backend not in self._cache:
            expr = self._stable if self._stable is not None else self.expr
            self._cache[backend] = sp.lambdify(self.symbols, expr, _IMPLEMENTATIONS[backend])
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

    def _accumulate_numpy(self, args: dict) -> np.ndarray:
        """B_i = eps(N_i) + m sum_{k<i} eps(N_k)/N_{k+1}, N_k = n + (k-1) m, by cumulative sums.

        The partial sums are computed once over k for the other parameters' broadcast shape,
        then read at every requested i (so an array of i costs no more than its largest).
        """
        i, n, m = args[S.i], args[S.n], args[S.m]
        others = [a for s, a in args.items() if s != S.i]
        shape = np.broadcast_shapes(*(np.shape(a) for a in others))
        consts = [np.broadcast_to(c, shape)[..., None] for c in self._constant_args(args)]
        n_, m_ = np.broadcast_to(n, shape)[..., None], np.broadcast_to(m, shape)[..., None]
        k = np.arange(1, int(np.max(i)), dtype=float)
        sizes = n_ + (k - 1) * m_
        terms = np.broadcast_to(self._eps_numeric(sizes, *consts), sizes.shape) / (sizes + m_)
        partial = np.concatenate([np.zeros(shape + (1,)), np.cumsum(terms, axis=-1)], axis=-1)
        full = np.broadcast_shapes(shape, np.shape(i))
        index = np.broadcast_to(i, full).astype(int)[..., None] - 1
        spread = np.broadcast_to(partial, full + partial.shape[-1:])
        tail = np.take_along_axis(spread, index, axis=-1)[..., 0]
        head = self._eps_numeric(n + (i - 1) * m, *self._constant_args(args))
        return head + m * tail

    def _accumulate_mp(self, args: dict) -> mpmath.mpf:
        i, n, m = int(args[S.i]), args[S.n], args[S.m]
        consts = self._constant_args(args)
        eps = self._eps_mp
        tail = mpmath.fsum(eps(n + (k - 1) * m, *consts) / (n + k * m) for k in range(1, i))
        return eps(n + (i - 1) * m, *consts) + m * tail

    def _series_converges(self, values: dict[str, float]) -> bool:
        """Whether sum_k eps(N_k)/k converges: eps(N) must decay like N^(-beta), beta > 0."""
        if values["m"] == 0:
            return True
        eps = self.error.expr.subs({s: values[S.keyword(s)] for s, _ in self.error.constants})
        rate = sp.limit(sp.log(eps) / sp.log(S.N), S.N, sp.oo)
        return bool(rate.is_negative)

    def _accumulate_limit_mp(self, values: dict[str, float]) -> mpmath.mpf:
        n, m = mpmath.mpf(values["n"]), mpmath.mpf(values["m"])
        consts = [mpmath.mpf(values[S.keyword(s)]) for s, _ in self.error.constants]
        if m == 0:
            return self._eps_mp(n, *consts)

        def term(k):
            size = n + (k - 1) * m
            return self._eps_mp(size, *consts) / (size + m)

        return m * _euler_maclaurin_sum(term)

    @cached_property
    def _custom_terms(self) -> tuple[sp.Expr, ...]:
        return _unrolled(self.scenario, _eps_of(self.error.expr), self.scenario.horizon)

    def _custom_numpy(self, args: dict) -> np.ndarray:
        i = args[S.i]
        consts = self._constant_args(args)
        history: list[np.ndarray] = []
        for g in range(1, int(np.max(i)) + 1):
            w = self.scenario.weights(g)
            eps = self._eps_numeric(float(self.scenario.size(g)), *consts)
            history.append(eps + sum(w[j] * history[j - 1] for j in range(1, g)))
        stacked = np.stack(np.broadcast_arrays(*history), axis=-1)
        shape = np.broadcast_shapes(stacked.shape[:-1], np.shape(i))
        stacked = np.broadcast_to(stacked, shape + stacked.shape[-1:])
        index = np.broadcast_to(i, shape).astype(int)[..., None] - 1
        return np.take_along_axis(stacked, index, axis=-1)[..., 0]

    def _custom_mp(self, args: dict) -> mpmath.mpf:
        consts = self._constant_args(args)
        history: list[mpmath.mpf] = []
        for g in range(1, int(args[S.i]) + 1):
            w = [mpmath.mpf(sp.Float(x, mpmath.mp.dps)) for x in self.scenario.symbolic_weights(g)]
            eps = self._eps_mp(mpmath.mpf(self.scenario.size(g)), *consts)
            history.append(eps + mpmath.fsum(w[j] * history[j - 1] for j in range(1, g)))
        return history[-1]


def _is_mp(values: object) -> bool:
    return isinstance(values, mpmath.mpf)


def _check_domain(name: str, symbol: sp.Symbol, array: np.ndarray) -> None:
    """Raise ValueError unless every entry is finite and in the symbol's allowed range."""
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array!r}")
    if symbol == S.lam and np.any((array < 0) | (array > 1)):
        raise ValueError(f"lam must be in [0, 1], got {array!r}")
    if symbol.is_positive and np.any(array <= 0):
        raise ValueError(f"{name} must be > 0, got {array!r}")
    if symbol.is_nonnegative and np.any(array < 0):
        raise ValueError(f"{name} must be >= 0, got {array!r}")


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


GEOMETRIC = sp.Function("geometric_sum")
"""geometric_sum(q, count) = sum_{k<count} (1-q)^k = (1 - (1-q)^count)/q, evaluated without
cancellation or underflow by ``_geometric_numpy`` and ``_geometric_mp``."""


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


_IMPLEMENTATIONS = {
    "numpy": [{"geometric_sum": _geometric_numpy}, "numpy"],
    "mpmath": [{"geometric_sum": _geometric_mp}, "mpmath"],
}


def bound(scenario: Scenario, error: ErrorModel) -> Bound:
    """Theorem R's bound B_i for ``scenario`` when each generation errs by at most ``error``."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    if not isinstance(error, ErrorModel):
        raise TypeError(f"error must be an ErrorModel, got {type(error).__name__}")
    expr, stable = closed_form(scenario, _eps_of(error.expr))
    assumptions = _COMMON_ASSUMPTIONS
    if isinstance(scenario, Proportion):
        assumptions += ("the formula is for lam > 0; lam = 0 is its limit i eps(N) (replace)",)
    provenance = Provenance(THEOREM_R, error.provenance, assumptions)
    return Bound(scenario, error, expr, provenance, stable)


def closed_form(scenario: Scenario, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
    """B_i in the generation symbol i, for an error eps(size); also a cancellation-free form.

    replace: i eps(N); proportion: eps(N) (1 - (1-lam)^i)/lam; augment, r = m/(n+m):
    eps(n+m) (1 - r^(i-1))/(1 - r) + r^(i-1) eps(n); accumulate, N_k = n + (k-1) m:
    eps(N_i) + m sum_{k<i} eps(N_k)/N_{k+1}; custom: the unrolled recursion, case by case.
    """
    i, N, n, m, lam = S.i, S.N, S.n, S.m, S.lam
    if isinstance(scenario, Replace):
        return i * eps(N), None
    if isinstance(scenario, Proportion):
        readable = (1 - (1 - lam) ** i) / lam
        return eps(N) * readable, eps(N) * GEOMETRIC(lam, i)
    if isinstance(scenario, Augment):
        r = m / (n + m)
        readable = (1 - r ** (i - 1)) * (n + m) / n
        tail = r ** (i - 1) * eps(n)
        return eps(n + m) * readable + tail, eps(n + m) * GEOMETRIC(n / (n + m), i - 1) + tail
    if isinstance(scenario, Accumulate):
        size = n + (S.k - 1) * m
        return eps(n + (i - 1) * m) + m * sp.Sum(eps(size) / (size + m), (S.k, 1, i - 1)), None
    if isinstance(scenario, Custom):
        terms = _unrolled(scenario, eps, scenario.horizon)
        return sp.Piecewise(*((t, sp.Eq(i, g)) for g, t in enumerate(terms, start=1))), None
    raise TypeError(f"no bound is known for scenario type {type(scenario).__name__}")


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

    ``closed`` defaults to this module's closed form; pass another expression in i (with eps as
    the undefined function ``epsilon``) to test it. The step relations, from Theorem R:
    replace and proportion B_i = eps(N) + (1 - lam) B_{i-1} (lam = 0 for replace); augment, i >= 2,
    B_i = eps(n+m) + r B_{i-1}; accumulate, from S_i / N_{i+1} telescoping,
    N_{i+1} (B_{i+1} - eps(N_{i+1})) - N_i (B_i - eps(N_i)) = m B_i.
    """
    if isinstance(scenario, Custom):
        raise ValueError("a custom scenario has no closed form: its bound is the recursion itself")
    eps = sp.Function("epsilon")
    closed = closed_form(scenario, eps)[0] if closed is None else closed
    i, n, m = S.i, S.n, S.m
    residuals = tuple(
        sp.simplify(closed.subs(i, g).doit() - recursion(scenario, eps, g))
        for g in range(1, base + 1)
    )
    previous = closed.subs(i, i - 1)
    if isinstance(scenario, Replace):
        step = closed - eps(S.N) - previous
    elif isinstance(scenario, Proportion):
        keep = sp.Dummy("q", positive=True)  # 1 - lam, positive so powers of it combine
        step = (closed - eps(S.N) - (1 - S.lam) * previous).subs(S.lam, 1 - keep)
    elif isinstance(scenario, Augment):
        step = closed - eps(n + m) - m / (n + m) * previous
    else:
        step = _accumulate_step(closed, eps)
    return ClosedFormProof(scenario.name, residuals, sp.simplify(sp.expand(step, power_exp=True)))


def _accumulate_step(closed: sp.Expr, eps: sp.Function) -> sp.Expr:
    """N_{i+1} (B_{i+1} - eps(N_{i+1})) - N_i (B_i - eps(N_i)) - m B_i, sums split at their end."""
    i, n, m = S.i, S.n, S.m
    size = n + (i - 1) * m
    following = closed.subs(i, i + 1)
    following = following.replace(
        lambda e: isinstance(e, sp.Sum) and e.limits[0][2] == i,
        lambda e: (
            sp.Sum(e.function, (e.limits[0][0], 1, i - 1)) + e.function.subs(e.limits[0][0], i)
        ),
    )
    return (size + m) * (following - eps(size + m)) - size * (closed - eps(size)) - m * closed


def recursion(scenario: Scenario, eps: Eps, i: int) -> sp.Expr:
    """B_i by unrolling Theorem R's recursion with the scenario's symbolic sizes and weights."""
    return _unrolled(scenario, eps, i)[-1]


def _unrolled(scenario: Scenario, eps: Eps, generations: int) -> tuple[sp.Expr, ...]:
    history: list[sp.Expr] = []
    for g in range(1, generations + 1):
        w = scenario.symbolic_weights(g)
        history.append(
            eps(scenario.symbolic_size(g)) + sum(w[j] * history[j - 1] for j in range(1, g))
        )
    return tuple(history)

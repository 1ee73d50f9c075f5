"""Mixing scenarios of the self-consuming loop: who trains on what, generation by generation.

Generation i >= 1 trains on N_i points drawn from the training mixture
``q_i = sum_{j=0}^{i-1} w_{i,j} p_j`` (p_0 is the real distribution); generation 1 sees only real
data, so ``w_{1,0} = 1``. A scenario gives N_i and the weights w_{i,j}, as numbers and as sympy
expressions in its parameters. The same objects define a bound (``bounds.propagation``) and drive a
simulation (``empirical``).

Each scenario also carries its part of Theorem R (B_1 = eps(N_1), B_i = eps(N_i) + sum_j w_ij B_j):
its closed form in the generation symbol i, its limit as i -> oo, the induction step that proves
the closed form, and how the bound is evaluated (``evaluation``); ``bounds.propagation`` only
dispatches on these. The module is longer than most because those four hooks sit beside the sizes
and weights they are derived from, one class per scenario.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import replace as _replace
from fractions import Fraction
from typing import ClassVar

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1

from bounds import symbols as S
from bounds import validate

_WEIGHT_SUM_TOLERANCE = 1e-12
MAX_WEIGHTS_GENERATION = 10**6
"""The last generation whose weights are built: w_i is a tuple of i numbers (8 MB at 10^6)."""
MAX_CUSTOM_GENERATIONS = 1000
"""The most generations ``Custom.accumulate_subsample`` builds: its table holds G (G+1)/2 exact
fractions, which take seconds at G = 1000 and grow quadratically."""

Eps = Callable[[sp.Expr], sp.Expr]
"""eps as a function of a size expression, e.g. ``lambda size: C * size**-alpha``."""


class Scenario(ABC):
    """Sizes N_i and mixture weights w_{i,j} of a self-consuming loop."""

    name: ClassVar[str]
    #: True when a synthetic set, once drawn from p_j, is kept and reused by later generations.
    keeps_synthetic: ClassVar[bool] = False
    #: How ``bounds.propagation`` evaluates B_i: "closed" (a formula in i), "partial sums" (a
    #: closed form with a sum over earlier generations) or "recursion" (unrolled, finite horizon).
    evaluation: ClassVar[str] = "closed"
    #: The parameter holding the amount of synthetic data per generation, if there is one, and
    #: the one holding the size of the real set beside it.
    synthetic: ClassVar[str | None] = None
    real: ClassVar[str | None] = None
    #: Assumptions of the bound beyond those every scenario shares.
    bound_assumptions: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def parameters(self) -> dict[str, float | int]:
        """The scenario's parameters by name, e.g. ``{"n": 1000, "m": 5000}``."""

    @abstractmethod
    def symbols(self) -> dict[sp.Symbol, float | int]:
        """Map from each sympy parameter symbol to its value here."""

    @abstractmethod
    def symbolic_size(self, i: int) -> sp.Expr:
        """N_i as a sympy expression in this scenario's parameter symbols."""

    @abstractmethod
    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        """(w_{i,0}, ..., w_{i,i-1}) as sympy expressions in the parameter symbols."""

    @property
    def horizon(self) -> int | None:
        """The last generation defined, or None when every generation is."""
        return None

    def _generation(self, i: object) -> int:
        i = validate.generation(i)
        if self.horizon is not None and i > self.horizon:
            raise ValueError(
                f"generation i must be in 1..{self.horizon} for this {self.name} scenario, got {i}"
            )
        return i

    def _row(self, i: object) -> int:
        """Generation i whose weights are asked for: a tuple of i numbers, so i is capped."""
        validate.whole("generation i", i, minimum=1, maximum=MAX_WEIGHTS_GENERATION)
        return self._generation(i)

    @abstractmethod
    def size(self, i: int) -> int:
        """N_i, the number of training points of generation i."""

    @abstractmethod
    def weights(self, i: int) -> tuple[float, ...]:
        """(w_{i,0}, ..., w_{i,i-1}): the share of p_j in generation i's training mixture."""

    def real_share(self, i: int) -> float:
        """lambda_i = w_{i,0}, the proportion of real data in generation i."""
        return self.weights(i)[0]

    def counts(self, i: int) -> tuple[int, ...]:
        """Whole numbers of training points taken from p_0, ..., p_{i-1}; they sum to N_i.

        Rounds N_i * w_{i,j} by largest remainders, so a simulation can realise the mixture; the
        realised weights are ``counts(i) / size(i)``.
        """
        total = self.size(i)
        return _largest_remainder(total, self.weights(i))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data that rebuilds this scenario exactly: ``{"name": ..., **params}``."""
        return {"name": self.name, **self.parameters()}

    # --- Theorem R, symbolically (eps is any function of a size expression) ------------------
    def unrolled(self, eps: Eps, generations: int) -> tuple[sp.Expr, ...]:
        """(B_1, ..., B_g): Theorem R's recursion unrolled with the symbolic sizes and weights."""
        history: list[sp.Expr] = []
        for g in range(1, generations + 1):
            w = self.symbolic_weights(g)
            history.append(
                eps(self.symbolic_size(g)) + sum(w[j] * history[j - 1] for j in range(1, g))
            )
        return tuple(history)

    @abstractmethod
    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """B_i in the generation symbol i, and the same value written without cancellation (or
        None when the first form is already safe in floating point)."""

    def limit_form(self, eps: Eps) -> sp.Expr:
        """lim_{i -> oo} B_i as a formula (``sympy.oo`` when the bound grows without limit)."""
        raise ValueError(f"a {self.name} scenario has a finite horizon, so B_i has no limit in i")

    def induction_step(self, closed: sp.Expr, eps: Eps) -> sp.Expr:
        """Theorem R's recursion as a relation between consecutive generations, applied to
        ``closed`` with i symbolic: zero (after simplification) iff ``closed`` satisfies it."""
        raise ValueError(f"a {self.name} scenario has no closed form: its bound is the recursion")

    def with_synthetic(self, amount: object) -> Scenario:
        """The same scenario with another synthetic amount per generation (validated)."""
        if self.synthetic is None:
            raise ValueError(f"a {self.name} scenario has no synthetic amount to vary")
        return _replace(self, **{self.synthetic: amount})

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.parameters().items())
        return f"{self.name}({args})"


def scenario_from_dict(data: dict[str, object]) -> Scenario:
    """Rebuild a scenario from ``Scenario.to_dict()`` output (validated like any construction)."""
    if not isinstance(data, dict) or "name" not in data:
        raise ValueError(
            "data must be a mapping with a 'name' (as Scenario.to_dict() writes), "
            f"got {validate.shown(data)}"
        )
    params = dict(data)
    name = params.pop("name")
    if name not in SCENARIOS:
        raise ValueError(f"scenario name must be one of {sorted(SCENARIOS)}, got {name!r}")
    cls = SCENARIOS[name]
    try:
        return cls(**params)
    except TypeError as error:
        raise ValueError(
            f"parameters {sorted(params)} do not build a {name} scenario: {error}"
        ) from None


def _largest_remainder(total: int, weights: Sequence[float]) -> tuple[int, ...]:
    """Split ``total`` into whole parts proportional to ``weights`` (Hamilton's method)."""
    exact = [total * w for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda j: (parts[j] - exact[j], j))
    for j in order[: total - sum(parts)]:
        parts[j] += 1
    return tuple(parts)


def _one_hot_weights(i: int, real, zero=0, one=1) -> tuple:
    """Weights with share ``real`` on p_0 and the rest on the previous generation p_{i-1}."""
    if i == 1:
        return (one,)
    return (real, *(zero,) * (i - 2), one - real)


def _symbolic_one_hot(i: int, real: sp.Expr) -> tuple[sp.Expr, ...]:
    return _one_hot_weights(i, real, sp.Integer(0), sp.Integer(1))


@dataclass(frozen=True)
class Replace(Scenario):
    """Fully synthetic: generation i >= 2 trains on N points sampled from p_{i-1}."""

    N: int
    name: ClassVar[str] = "replace"

    def __post_init__(self) -> None:
        object.__setattr__(self, "N", validate.whole("N", self.N, minimum=1))

    def parameters(self) -> dict[str, float | int]:
        return {"N": self.N}

    def symbols(self) -> dict[sp.Symbol, float | int]:
        return {S.N: self.N}

    def size(self, i: int) -> int:
        self._generation(i)
        return self.N

    def weights(self, i: int) -> tuple[float, ...]:
        return _one_hot_weights(self._row(i), 0.0, 0.0, 1.0)

    def symbolic_size(self, i: int) -> sp.Expr:
        self._generation(i)
        return S.N

    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        return _symbolic_one_hot(self._row(i), sp.Integer(0))

    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """B_i = i eps(N): the bound grows linearly."""
        return S.i * eps(S.N), None

    def limit_form(self, eps: Eps) -> sp.Expr:
        return sp.oo

    def induction_step(self, closed: sp.Expr, eps: Eps) -> sp.Expr:
        """B_i = eps(N) + B_{i-1}."""
        return closed - eps(S.N) - closed.subs(S.i, S.i - 1)


@dataclass(frozen=True)
class Proportion(Scenario):
    """Constant real share: generation i >= 2 trains on lam N real, (1-lam) N points of p_{i-1}."""

    N: int
    lam: float
    name: ClassVar[str] = "proportion"

    def __post_init__(self) -> None:
        object.__setattr__(self, "N", validate.whole("N", self.N, minimum=1))
        object.__setattr__(self, "lam", validate.real("lam", self.lam, 0.0, 1.0))

    def parameters(self) -> dict[str, float | int]:
        return {"N": self.N, "lam": self.lam}

    def symbols(self) -> dict[sp.Symbol, float | int]:
        return {S.N: self.N, S.lam: self.lam}

    def size(self, i: int) -> int:
        self._generation(i)
        return self.N

    def weights(self, i: int) -> tuple[float, ...]:
        return _one_hot_weights(self._row(i), self.lam, 0.0, 1.0)

    def symbolic_size(self, i: int) -> sp.Expr:
        self._generation(i)
        return S.N

    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        return _symbolic_one_hot(self._row(i), S.lam)

    bound_assumptions: ClassVar[tuple[str, ...]] = (
        "the formula is for lam > 0; lam = 0 is its limit i eps(N) (replace)",
    )

    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """B_i = eps(N) (1 - (1-lam)^i)/lam, stable as eps(N) geometric_sum(lam, i)."""
        readable = (1 - (1 - S.lam) ** S.i) / S.lam
        return eps(S.N) * readable, eps(S.N) * S.geometric_sum(S.lam, S.i)

    def limit_form(self, eps: Eps) -> sp.Expr:
        """eps(N)/lam: infinite at lam = 0, where the bound grows like i eps(N)."""
        return eps(S.N) / S.lam

    def induction_step(self, closed: sp.Expr, eps: Eps) -> sp.Expr:
        """B_i = eps(N) + (1 - lam) B_{i-1}, with 1 - lam written as a positive symbol."""
        keep = sp.Dummy("q", positive=True)  # 1 - lam, positive so powers of it combine
        step = closed - eps(S.N) - (1 - S.lam) * closed.subs(S.i, S.i - 1)
        return step.subs(S.lam, 1 - keep)


@dataclass(frozen=True)
class _RealPlusSynthetic(Scenario):
    """A real set of n points plus m synthetic points per earlier generation used."""

    n: int
    m: int
    synthetic: ClassVar[str | None] = "m"
    real: ClassVar[str | None] = "n"

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", validate.whole("n", self.n, minimum=1))
        object.__setattr__(self, "m", validate.whole("m", self.m, minimum=0))

    def parameters(self) -> dict[str, float | int]:
        return {"n": self.n, "m": self.m}

    def symbols(self) -> dict[sp.Symbol, float | int]:
        return {S.n: self.n, S.m: self.m}


@dataclass(frozen=True)
class Augment(_RealPlusSynthetic):
    """A real set of n points plus m points sampled from p_{i-1} at every generation i >= 2."""

    name: ClassVar[str] = "augment"

    def size(self, i: int) -> int:
        return self.n if self._generation(i) == 1 else self.n + self.m

    def weights(self, i: int) -> tuple[float, ...]:
        return _one_hot_weights(self._row(i), self.n / (self.n + self.m), 0.0, 1.0)

    def symbolic_size(self, i: int) -> sp.Expr:
        return S.n if self._generation(i) == 1 else S.n + S.m

    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        return _symbolic_one_hot(self._row(i), S.n / (S.n + S.m))

    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """r = m/(n+m): B_i = eps(n+m) (1 - r^(i-1))/(1 - r) + r^(i-1) eps(n), B_1 = eps(n).

        Stable form: with L = xlog1py(i-1, -n/(n+m)) = (i-1) log r, r^(i-1) = exp(L) and
        (1 - r^(i-1))/(1 - r) = -expm1(L) (n+m)/n, exact for m >> n and at m = 0.
        """
        n, m, i = S.n, S.m, S.i
        r = m / (n + m)
        readable = eps(n + m) * (1 - r ** (i - 1)) * (n + m) / n + r ** (i - 1) * eps(n)
        log_power = S.xlog1py(i - 1, -n / (n + m))
        stable = -eps(n + m) * expm1(log_power) * (n + m) / n + sp.exp(log_power) * eps(n)
        return readable, stable

    def limit_form(self, eps: Eps) -> sp.Expr:
        """eps(n+m) (n+m)/n, the fixed point of B = eps(n+m) + r B."""
        return eps(S.n + S.m) * (S.n + S.m) / S.n

    def induction_step(self, closed: sp.Expr, eps: Eps) -> sp.Expr:
        """B_i = eps(n+m) + r B_{i-1} for i >= 2."""
        return closed - eps(S.n + S.m) - S.m / (S.n + S.m) * closed.subs(S.i, S.i - 1)


@dataclass(frozen=True)
class Accumulate(_RealPlusSynthetic):
    """A real set of n points plus m points from each earlier generation, each drawn once and kept.

    N_i = n + (i-1) m, w_{i,0} = n / N_i and w_{i,j} = m / N_i for 1 <= j < i.
    """

    name: ClassVar[str] = "accumulate"
    keeps_synthetic: ClassVar[bool] = True

    def size(self, i: int) -> int:
        return self.n + (self._generation(i) - 1) * self.m

    def weights(self, i: int) -> tuple[float, ...]:
        i = self._row(i)
        size = self.size(i)
        return (self.n / size, *(self.m / size,) * (i - 1))

    def symbolic_size(self, i: int) -> sp.Expr:
        return S.n + (self._generation(i) - 1) * S.m

    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        i = self._row(i)
        size = self.symbolic_size(i)
        return (S.n / size, *(S.m / size for _ in range(i - 1)))

    evaluation: ClassVar[str] = "partial sums"

    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """B_i = eps(N_i) + m sum_{k<i} eps(N_k)/N_{k+1}, N_k = n + (k-1) m (S_i/N_{i+1}
        telescopes)."""
        n, m = S.n, S.m
        size = n + (S.k - 1) * m
        return eps(n + (S.i - 1) * m) + m * sp.Sum(eps(size) / (size + m), (S.k, 1, S.i - 1)), None

    def limit_form(self, eps: Eps) -> sp.Expr:
        """m sum_{k>=1} eps(N_k)/N_{k+1} (plus lim eps(N), zero when eps vanishes)."""
        size = S.n + (S.k - 1) * S.m
        return S.m * sp.Sum(eps(size) / (size + S.m), (S.k, 1, sp.oo))

    def induction_step(self, closed: sp.Expr, eps: Eps) -> sp.Expr:
        """N_{i+1} (B_{i+1} - eps(N_{i+1})) - N_i (B_i - eps(N_i)) - m B_i, sums split at their
        end (the difference of consecutive N_i (B_i - eps(N_i)) = m S_{i-1})."""
        i, n, m = S.i, S.n, S.m
        size = n + (i - 1) * m
        following = closed.subs(i, i + 1).replace(
            lambda e: isinstance(e, sp.Sum) and e.limits[0][2] == i,
            lambda e: (
                sp.Sum(e.function, (e.limits[0][0], 1, i - 1)) + e.function.subs(e.limits[0][0], i)
            ),
        )
        return (size + m) * (following - eps(size + m)) - size * (closed - eps(size)) - m * closed


@dataclass(frozen=True)
class Custom(Scenario):
    """Any finite loop: ``sizes[i-1]`` is N_i and ``weights[i-1]`` is (w_{i,0}, ..., w_{i,i-1}).

    Weights may be ints, floats, fractions or sympy numbers; each row must be non-negative and sum
    to 1, and the first row must be (1,) since generation 1 trains on real data only.
    ``weights_table="even"`` spells the rows (1/i, ..., 1/i) of every source in equal parts (with
    ``keep_synthetic=True``: Accumulate-Subsample).
    """

    sizes: tuple[int, ...]
    weights_table: tuple[tuple[sp.Expr, ...], ...]
    keep_synthetic: bool = False
    name: ClassVar[str] = "custom"

    def __post_init__(self) -> None:
        if isinstance(self.weights_table, str) and self.weights_table == "even":
            count = len(self.sizes) if isinstance(self.sizes, Sequence) else 0
            even = tuple(_even_row(g) for g in range(1, count + 1))
            object.__setattr__(self, "weights_table", even)
        if not isinstance(self.sizes, Sequence) or not isinstance(self.weights_table, Sequence):
            raise TypeError("sizes and weights_table must be sequences (one entry per generation)")
        sizes = tuple(validate.whole(f"sizes[{g}]", v, 1) for g, v in enumerate(self.sizes))
        if not sizes:
            raise ValueError("sizes must name at least one generation, got an empty sequence")
        if len(self.weights_table) != len(sizes):
            raise ValueError(
                f"weights_table must have one row per generation ({len(sizes)}), "
                f"got {len(self.weights_table)} rows"
            )
        table = tuple(_weight_row(g + 1, row) for g, row in enumerate(self.weights_table))
        if not isinstance(self.keep_synthetic, bool | np.bool_):  # not 0, NaN or text
            shown = validate.shown(self.keep_synthetic)
            raise TypeError(f"keep_synthetic must be True or False, got {shown}")
        object.__setattr__(self, "keep_synthetic", bool(self.keep_synthetic))
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "weights_table", table)

    @classmethod
    def accumulate_subsample(cls, N: int, generations: int) -> Custom:
        """Accumulate-Subsample: N points per generation, drawn evenly from p_0, ..., p_{i-1}
        (1 <= generations <= MAX_CUSTOM_GENERATIONS)."""
        N = validate.whole("N", N, minimum=1)
        generations = validate.whole("generations", generations, 1, MAX_CUSTOM_GENERATIONS)
        return cls((N,) * generations, "even", keep_synthetic=True)

    @property
    def horizon(self) -> int | None:
        return len(self.sizes)

    @property
    def keeps_synthetic(self) -> bool:  # type: ignore[override]
        return self.keep_synthetic

    def parameters(self) -> dict[str, object]:
        """Every size and weight; rational weights as exact ``"p/q"`` strings, others as floats."""
        return {
            "sizes": list(self.sizes),
            "weights_table": [[_weight_text(w) for w in row] for row in self.weights_table],
            "keep_synthetic": self.keep_synthetic,
        }

    def symbols(self) -> dict[sp.Symbol, float | int]:
        return {}

    def size(self, i: int) -> int:
        return self.sizes[self._generation(i) - 1]

    def weights(self, i: int) -> tuple[float, ...]:
        return tuple(float(w) for w in self.symbolic_weights(i))

    def symbolic_size(self, i: int) -> sp.Expr:
        return sp.Integer(self.sizes[self._generation(i) - 1])

    def symbolic_weights(self, i: int) -> tuple[sp.Expr, ...]:
        return self.weights_table[self._generation(i) - 1]

    evaluation: ClassVar[str] = "recursion"

    def closed_form(self, eps: Eps) -> tuple[sp.Expr, sp.Expr | None]:
        """The unrolled recursion, generation by generation, as a Piecewise in i."""
        terms = self.unrolled(eps, len(self.sizes))
        return sp.Piecewise(*((t, sp.Eq(S.i, g)) for g, t in enumerate(terms, start=1))), None


def _even_row(i: int) -> tuple[sp.Expr, ...]:
    return tuple(sp.Rational(1, i) for _ in range(i))


def _number(w: numbers.Real) -> sp.Expr:
    """A Python or numpy number as a sympy number (no text is ever turned into an expression)."""
    return sp.Integer(int(w)) if isinstance(w, numbers.Integral) else sp.Float(float(w))


def _weight_text(w: sp.Expr) -> str | float:
    return str(w) if isinstance(w, sp.Rational) else float(w)


def _weight_row(i: int, row: object) -> tuple[sp.Expr, ...]:
    """Validate generation i's weights: i non-negative numbers summing to 1, (1,) for i = 1."""
    label = f"weights_table[{i - 1}]"
    if not isinstance(row, Sequence) or len(row) != i:
        raise ValueError(f"{label} must hold {i} weights w_{i},0 .. w_{i},{i - 1}, got {row!r}")
    exprs = []
    for j, w in enumerate(row):
        if isinstance(w, str):
            w = _parse_fraction(label, j, w)
        if isinstance(w, Fraction):
            w = sp.Rational(w.numerator, w.denominator)
        if isinstance(w, bool) or not isinstance(w, (numbers.Real, sp.Expr)):
            raise TypeError(f"{label}[{j}] must be a real number >= 0, got {w!r}")
        value = w if isinstance(w, sp.Expr) else _number(w)
        if not value.is_number or not value.is_real or value < 0:
            raise ValueError(f"{label}[{j}] must be a real number >= 0, got {w!r}")
        exprs.append(value)
    total = float(sum(exprs))
    if abs(total - 1) > _WEIGHT_SUM_TOLERANCE:
        raise ValueError(f"{label} must sum to 1, got sum {total!r}")
    if i == 1 and exprs[0] != 1:
        raise ValueError(f"{label} must be (1,): generation 1 trains on real data only")
    return tuple(exprs)


def _parse_fraction(label: str, j: int, text: str) -> Fraction:
    """Read a weight written as text, such as ``"1/3"`` or ``"0.25"``; nothing is evaluated."""
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"{label}[{j}] must be a number or a fraction 'p/q' >= 0, got {text!r}"
        ) from None


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls for cls in (Replace, Proportion, Augment, Accumulate, Custom)
}

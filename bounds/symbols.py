"""The sympy symbols shared by every bound, with assumptions that keep simplification valid, and
the two special functions that bounds are written with so that they evaluate without cancellation.

Sizes are positive reals rather than integers so that bounds can be differentiated in them
(the phase transition varies the synthetic amount ``m`` continuously). The numeric
implementations of the special functions live in ``bounds.propagation``.
"""

import sympy as sp
from sympy.core.function import ArgumentIndexError

i = sp.Symbol("i", integer=True, positive=True)  # generation index, i >= 1
k = sp.Symbol("k", integer=True, positive=True)  # summation index over generations
N = sp.Symbol("N", positive=True)  # training-set size of one generation
n = sp.Symbol("n", positive=True)  # real-data size (augment, accumulate)
m = sp.Symbol("m", nonnegative=True)  # synthetic-data size per generation (augment, accumulate)
lam = sp.Symbol("lambda", nonnegative=True)  # proportion of real data, in [0, 1]

# constants of the error models, each a named parameter with default 1 (0 for additive terms)
C = sp.Symbol("C", positive=True)  # power-law constant
alpha = sp.Symbol("alpha", positive=True)  # power-law exponent
C1 = sp.Symbol("C1", positive=True)  # generalisation bracket of Li et al.
C2 = sp.Symbol("C2", positive=True)  # 1/M approximation term
M = sp.Symbol("M", positive=True)  # hidden width of the random-feature score network
tau = sp.Symbol("tau", positive=True)  # gradient-flow training time
approx = sp.Symbol("approx", nonnegative=True)  # approximation error L-bar(theta-bar*) + L(theta*)
prior = sp.Symbol("prior", nonnegative=True)  # prior mismatch KL(p_T || pi), decays like e^(-2T)


class xlog1py(sp.Function):  # noqa: N801 - named as scipy.special.xlog1py, which implements it
    """xlog1py(x, y) = x log(1 + y), and 0 when x = 0 even at y = -1 (so that r^0 = 1 at r = 0).

    ``exp(xlog1py(c, -q))`` is (1 - q)^c and ``-expm1(xlog1py(c, -q))`` is 1 - (1 - q)^c, both
    without cancellation; sympy can differentiate it (d/dx = log(1 + y), d/dy = x/(1 + y)).
    """

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, y = self.args
        if argindex == 1:
            return sp.log(1 + y)
        if argindex == 2:
            return x / (1 + y)
        raise ArgumentIndexError(self, argindex)

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        x, y = self.args
        if x.is_zero:
            return sp.Float(0)
        return (x * sp.log(1 + y))._eval_evalf(prec)


geometric_sum = sp.Function("geometric_sum")
"""geometric_sum(q, c) = sum_{k<c} (1-q)^k = (1 - (1-q)^c)/q, with the value c at q = 0."""


def keyword(symbol: sp.Symbol) -> str:
    """The Python keyword naming ``symbol`` in evaluation calls (``lam`` for lambda)."""
    return "lam" if symbol == lam else symbol.name


__all__ = [
    "C",
    "C1",
    "C2",
    "M",
    "N",
    "alpha",
    "approx",
    "i",
    "k",
    "keyword",
    "lam",
    "m",
    "n",
    "geometric_sum",
    "prior",
    "tau",
    "xlog1py",
]

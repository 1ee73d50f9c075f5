"""The sympy symbols shared by every bound, with assumptions that keep simplification valid.

Sizes are positive reals rather than integers so that bounds can be differentiated in them
(the phase transition varies the synthetic amount ``m`` continuously).
"""

import sympy as sp

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
    "prior",
    "tau",
]

"""The named sympy symbols shared by every bound, with the assumptions that keep simplification valid.

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

__all__ = ["N", "i", "k", "lam", "m", "n"]

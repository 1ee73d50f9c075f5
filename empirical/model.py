"""The interface every generative model in a self-consuming loop implements.

A model is configured in its constructor (hyper-parameters only), learns in ``fit`` and then has a
density and a sampler, like a frozen ``scipy.stats`` distribution. Arrays of points are
``(count, d)``; densities are ``(count,)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Density(Protocol):
    """A distribution on R^d with an exact density and a sampler."""

    @property
    def dim(self) -> int:
        """The dimension d."""

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at the rows of ``x`` (shape (k, d)), as an array of shape (k,)."""

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` independent draws, shape (size, d)."""


@runtime_checkable
class Model(Density, Protocol):
    """A trainable density: ``fit(X, rng)`` returns the fitted model itself."""

    def fit(self, X: np.ndarray, rng: np.random.Generator) -> Model:
        """Learn from the rows of ``X`` (shape (N, d)); ``rng`` drives any training randomness."""

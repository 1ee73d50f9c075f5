"""Samplers: the probability-flow ODE and the reverse SDE, by Euler steps on a time grid.

Both run from t_0 = T down to t_S = t0 (``process.time_grid``) starting from the prior. With the
step h_k = t_k - t_{k+1} and the score s at (x, t_k):

- ODE (dx/dt = -x - s backwards in time):  x <- x + h_k (x + s(x, t_k));
- SDE (Euler-Maruyama of dx = (-x - 2 s) dt + sqrt(2) dW backwards): x <- x + h_k (x + 2 s) +
  sqrt(2 h_k) xi, xi ~ N(0, I), with noise at every step including the last.

A score is any object with ``__call__(x, t) -> (k, d)`` and ``jacobian(x, t) -> (k, d, d)``.
In d = 1 a score that also has ``pieces(t)`` (its kinks and affine pieces in x) can be stepped
piece by piece (``*_by_pieces``): the same Euler steps at O(log M) cost per point instead of O(M).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Score(Protocol):
    """A time-dependent vector field on R^d with its Jacobian in x."""

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray: ...

    def jacobian(self, x: np.ndarray, t: float) -> np.ndarray: ...


def ode_step(score: Score, x: np.ndarray, t: float, h: float) -> np.ndarray:
    """One probability-flow Euler step from t to t - h: x + h (x + s(x, t))."""
    return x + h * (x + score(x, t))


def sde_drift_step(score: Score, x: np.ndarray, t: float, h: float) -> np.ndarray:
    """The deterministic part of one reverse-SDE step: x + h (x + 2 s(x, t))."""
    return x + h * (x + 2.0 * score(x, t))


def ode_flow(score: Score, z: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """F(z): the ODE sampler's output map applied to the rows of ``z``."""
    x = np.array(z, dtype=float)
    for t, h in zip(grid[:-1], -np.diff(grid), strict=True):
        x = ode_step(score, x, t, h)
    return x


def ode_flow_with_jacobian(
    score: Score, z: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """F(z) and DF(z) (shape (k, d, d)), DF accumulated as the product of the step Jacobians

    D(step)(x) = (1 + h) I + h ds/dx(x, t), multiplied on the left, step after step.
    """
    x = np.array(z, dtype=float)
    k, d = x.shape
    jac = np.broadcast_to(np.eye(d), (k, d, d)).copy()
    for t, h in zip(grid[:-1], -np.diff(grid), strict=True):
        step_jac = (1.0 + h) * np.eye(d) + h * score.jacobian(x, t)
        jac = step_jac @ jac
        x = ode_step(score, x, t, h)
    return x, jac


def sde_sample(
    score: Score, z: np.ndarray, grid: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The reverse-SDE sampler's output from the starting points ``z``."""
    x = np.array(z, dtype=float)
    for t, h in zip(grid[:-1], -np.diff(grid), strict=True):
        x = sde_drift_step(score, x, t, h) + np.sqrt(2.0 * h) * rng.standard_normal(x.shape)
    return x


def stacked_pieces(score, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The score's (kinks, slopes, intercepts) at every time, stacked: shapes (S, K), (S, K + 1),
    (S, K + 1); by ``score.pieces_at`` when it has one, else ``score.pieces`` time by time."""
    if hasattr(score, "pieces_at"):
        return score.pieces_at(times)
    return tuple(np.stack(part) for part in zip(*(score.pieces(t) for t in times), strict=True))


def _affine_score(pieces: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    """s(x) = slope_j x + intercept_j on the piece j holding x (d = 1, x of shape (k, 1))."""
    kinks, slopes, intercepts = pieces
    j = np.searchsorted(kinks, x)
    return slopes[j] * x + intercepts[j]


def ode_flow_by_pieces(score, z: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``ode_flow`` in d = 1 for a score with ``pieces(t)`` (the pieces of all steps at once)."""
    x = np.array(z, dtype=float)
    pieces = stacked_pieces(score, grid[:-1])
    for k, h in enumerate(-np.diff(grid)):
        x = x + h * (x + _affine_score([part[k] for part in pieces], x))
    return x


def sde_sample_by_pieces(
    score, z: np.ndarray, grid: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``sde_sample`` in d = 1 for a score with ``pieces(t)`` (same draws from ``rng``)."""
    x = np.array(z, dtype=float)
    pieces = stacked_pieces(score, grid[:-1])
    for k, h in enumerate(-np.diff(grid)):
        drift = x + h * (x + 2.0 * _affine_score([part[k] for part in pieces], x))
        x = drift + np.sqrt(2.0 * h) * rng.standard_normal(x.shape)
    return x

"""Optimal early stopping of the random-feature diffusion model (Li et al. 2023, Theorem 1).

The training-time part of the KL bound is ``tau^4/(M N) + tau^3/M^2 + 1/tau``. Its derivative,
times ``tau^2 M^2 N``, is ``4 M tau^5 + 3 N tau^4 - M^2 N``: a polynomial that is negative at 0 and
strictly increasing for tau > 0, so it has exactly one positive root tau*, the global minimiser
over tau > 0 (the bracket is convex there). Theorem 1 only holds for tau >= 1; the bracket being
convex, its minimum over tau >= 1 is at max(tau*, 1), which is what ``early_stopped_error`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_NEWTON_STEPS = 60
_LOG3, _LOG4 = np.log(3.0), np.log(4.0)


def _sizes(name: str, value: object) -> np.ndarray:
    """``value`` as a float array of finite numbers >= 1 (a size or a width), else raise."""
    scalar = int | float | np.integer | np.floating | np.ndarray
    if isinstance(value, bool) or (np.ndim(value) == 0 and not isinstance(value, scalar)):
        raise TypeError(f"{name} must be a number >= 1 or an array of them, got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        message = f"{name} must be a number >= 1 or an array of them, got {value!r}"
        raise TypeError(message) from None
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    bad = ~np.isfinite(array) | (array < 1)
    if bad.any():
        raise ValueError(f"{name} must be finite and >= 1, got {float(array[bad].flat[0])!r}")
    return array


def _result(array: np.ndarray) -> float | np.ndarray:
    return float(array) if array.ndim == 0 else array


def tau_star(N: object, M: object) -> float | np.ndarray:
    """The exact optimal stopping time: the positive root of 4 M tau^5 + 3 N tau^4 = M^2 N.

    Solved by Newton's method in t = log tau on F(t) = log(4 M e^(5t) + 3 N e^(4t)) - log(M^2 N),
    which is convex and increasing with slope in [4, 5]; started to the right of the root (at the
    smaller of (M N/4)^(1/5) and (M^2/3)^(1/4), each an upper bound), Newton's iterates decrease
    monotonically to it. Works in logs, so any sizes representable as floats are fine.
    ``N`` and ``M`` are numbers >= 1 or arrays that broadcast; the result is a float or an array.
    """
    log_n, log_m = np.broadcast_arrays(np.log(_sizes("N", N)), np.log(_sizes("M", M)))
    target = 2 * log_m + log_n
    t = np.minimum((log_m + log_n - _LOG4) / 5, (2 * log_m - _LOG3) / 4)
    for _ in range(_NEWTON_STEPS):
        a = _LOG4 + log_m + 5 * t
        b = _LOG3 + log_n + 4 * t
        value = np.logaddexp(a, b) - target
        slope = 4 + 1 / (1 + np.exp(b - a))  # (5 e^a + 4 e^b) / (e^a + e^b)
        step = value / slope
        t = t - step
        if np.all(np.abs(step) <= 4e-16 * np.maximum(1.0, np.abs(t))):
            break
    return _result(np.exp(t))


def tau_star_asymptotic(N: object, M: object) -> float | np.ndarray:
    """(M N / 4)^(1/5): tau* when the tau^4/(M N) term dominates tau^3/M^2 (M >> N^(2/3))."""
    n, m = np.broadcast_arrays(_sizes("N", N), _sizes("M", M))
    return _result((m * n / 4) ** 0.2)


def stationarity_residual(tau: object, N: object, M: object) -> float | np.ndarray:
    """(4 M tau^5 + 3 N tau^4 - M^2 N) / (M^2 N): zero exactly at tau*, relative to its scale."""
    t, n, m = np.broadcast_arrays(np.asarray(tau, dtype=float), _sizes("N", N), _sizes("M", M))
    return _result((4 * t**5 / (m * n) + 3 * t**4 / m**2) - 1)


def kl_bracket(tau: object, N: object, M: object) -> float | np.ndarray:
    """The training-time part of Li et al.'s KL bound: tau^4/(M N) + tau^3/M^2 + 1/tau."""
    t, n, m = np.broadcast_arrays(np.asarray(tau, dtype=float), _sizes("N", N), _sizes("M", M))
    return _result(t**4 / (m * n) + t**3 / m**2 + 1 / t)


@dataclass(frozen=True)
class EarlyStopped:
    """eps(N) of the random-feature model stopped at the best admissible time, per (N, M).

    ``tau_exact`` is the unconstrained optimum tau*; ``tau`` = max(tau*, 1) is the time used,
    because Theorem 1 requires tau >= 1; ``clipped`` marks where that constraint was active.
    """

    N: np.ndarray
    M: np.ndarray
    tau_exact: np.ndarray
    tau: np.ndarray
    clipped: np.ndarray
    epsilon: np.ndarray
    constants: dict[str, float]

    @property
    def note(self) -> str:
        """A sentence saying whether tau was clipped to 1, for reports and the command line."""
        count = int(np.count_nonzero(self.clipped))
        if count == 0:
            return "tau* >= 1 everywhere: the exact optimum is used"
        return (
            f"tau* < 1 at {count} of {self.clipped.size} points: Theorem 1 needs tau >= 1, "
            "so tau = 1 is used there (the best admissible time, the bracket being convex)"
        )


def early_stopped_error(
    N: object,
    M: object,
    C1: float = 1.0,
    C2: float = 1.0,
    approx: float = 0.0,
    prior: float = 0.0,
) -> EarlyStopped:
    """``errors.diffusion_random_features`` evaluated at tau = max(tau*(N, M), 1), vectorised.

    eps(N) = sqrt((C1 (tau^4/(M N) + tau^3/M^2 + 1/tau) + C2/M + approx + prior) / 2).
    The constants are validated by ``errors.diffusion_random_features`` itself.
    """
    n, m = np.broadcast_arrays(_sizes("N", N), _sizes("M", M))
    exact = np.asarray(tau_star(n, m), dtype=float)
    used = np.maximum(exact, 1.0)
    constants = {"C1": C1, "C2": C2, "approx": approx, "prior": prior}
    epsilon = _compiled_epsilon(tuple(constants.items()))(n, m, used)
    return EarlyStopped(
        N=n,
        M=m,
        tau_exact=exact,
        tau=used,
        clipped=exact < 1.0,
        epsilon=np.asarray(epsilon, dtype=float),
        constants=constants,
    )


@lru_cache(maxsize=16)
def _compiled_epsilon(constants: tuple[tuple[str, float], ...]):
    """The random-feature eps as a numpy function of (N, M, tau), the other constants fixed."""
    import sympy as sp

    from bounds import errors
    from bounds import symbols as S

    model = errors.diffusion_random_features(M=1, tau=1.0, **dict(constants))
    fixed = {s: v for s, v in model.constants if s not in (S.M, S.tau)}
    return sp.lambdify((S.N, S.M, S.tau), model.expr.subs(fixed), "numpy")

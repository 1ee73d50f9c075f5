"""Optimal early stopping of the random-feature diffusion model (Li et al. 2023, Theorem 1).

The training-time part of the KL bound is ``tau^4/(M N) + tau^3/M^2 + 1/tau``. Its derivative,
times ``tau^2 M^2 N``, is ``4 M tau^5 + 3 N tau^4 - M^2 N``: a polynomial that is negative at 0 and
strictly increasing for tau > 0, so it has exactly one positive root tau*, the global minimiser
over tau > 0 (the bracket is convex there). Theorem 1 only holds for tau >= 1; the bracket being
convex, its minimum over tau >= 1 is at max(tau*, 1), which is what ``early_stopped_error`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bounds import validate

_NEWTON_STEPS = 60
_LOG3, _LOG4 = np.log(3.0), np.log(4.0)
_LOG_MAX = np.log(np.finfo(float).max)


def _sizes(name: str, value: object) -> np.ndarray:
    """``value`` as a float array of finite numbers >= 1 (a size or a width), else raise."""
    return validate.array(name, value, low=1.0)


def _times(value: object) -> np.ndarray:
    """Training times: finite numbers > 0 (the bracket's 1/tau needs tau > 0)."""
    return validate.array("tau", value, low=0.0, low_open=True)


def _logs(tau: object, N: object, M: object) -> list[np.ndarray]:
    """log tau, log N, log M, validated and broadcast together."""
    logs = (np.log(_times(tau)), np.log(_sizes("N", N)), np.log(_sizes("M", M)))
    return np.broadcast_arrays(*logs)


def _exp_checked(log_value: np.ndarray, what: str) -> np.ndarray:
    """exp of a log-space result, refusing values beyond the float range instead of inf."""
    if np.any(log_value > _LOG_MAX):
        raise ValueError(f"{what} exceeds the float range (about 1.8e308) at these tau, N and M")
    return np.exp(log_value)


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
    """(M N / 4)^(1/5): tau* when the tau^4/(M N) term dominates tau^3/M^2 (M >> N^(2/3)).

    Computed as exp((log M + log N - log 4)/5), so M N beyond the float range is fine.
    """
    log_n, log_m = np.broadcast_arrays(np.log(_sizes("N", N)), np.log(_sizes("M", M)))
    return _result(np.exp((log_m + log_n - _LOG4) / 5))


def stationarity_residual(tau: object, N: object, M: object) -> float | np.ndarray:
    """(4 M tau^5 + 3 N tau^4 - M^2 N) / (M^2 N): zero exactly at tau*, relative to its scale."""
    t, n, m = _logs(tau, N, M)
    log_terms = np.logaddexp(_LOG4 + 5 * t - m - n, _LOG3 + 4 * t - 2 * m)
    return _result(_exp_checked(log_terms, "the stationarity residual") - 1)


def kl_bracket(tau: object, N: object, M: object) -> float | np.ndarray:
    """The training-time part of Li et al.'s KL bound: tau^4/(M N) + tau^3/M^2 + 1/tau.

    Summed in log space (each term is exp of a sum of logs), so sizes up to the float range
    give finite values; a bracket itself beyond the float range is refused. tau must be > 0.
    """
    t, n, m = _logs(tau, N, M)
    log_terms = np.logaddexp(np.logaddexp(4 * t - m - n, 3 * t - 2 * m), -t)
    return _result(_exp_checked(log_terms, "the KL bracket"))


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
    The bracket is summed in log space (``kl_bracket``), so any sizes up to the float range give
    a finite eps; C1, C2 must be > 0, approx and prior >= 0.
    """
    n, m = np.broadcast_arrays(_sizes("N", N), _sizes("M", M))
    constants = {
        "C1": validate.positive("C1", C1),
        "C2": validate.positive("C2", C2),
        "approx": validate.real("approx", approx, 0.0),
        "prior": validate.real("prior", prior, 0.0),
    }
    exact = np.asarray(tau_star(n, m), dtype=float)
    used = np.maximum(exact, 1.0)
    kl = constants["C1"] * np.asarray(kl_bracket(used, n, m)) + constants["C2"] / m
    epsilon = np.sqrt((kl + constants["approx"] + constants["prior"]) / 2)
    return EarlyStopped(
        N=n,
        M=m,
        tau_exact=exact,
        tau=used,
        clipped=exact < 1.0,
        epsilon=np.asarray(epsilon, dtype=float),
        constants=constants,
    )

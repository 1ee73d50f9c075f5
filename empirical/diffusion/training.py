"""Denoising score matching for the random-feature score, and its gradient flow in closed form.

Each data point x_i gets ``draws`` pairs (t, z) with t ~ Uniform[t0, T] and z ~ N(0, I); with
x_t = e^{-t} x_i + sigma_t z the regression target is y = -z / sigma_t and the weight is
lambda(t) = sigma_t^2, so over the P = N * draws rows

    L(A) = (1 / 2P) sum_p lambda_p |(1/M) A phi_p - y_p|^2 = (1 / 2P) sum_p |sigma_p s_A + z_p|^2,

whose target sigma_p y_p = -z_p is bounded in law whatever t0 is. L is quadratic in A:
grad L(A) = (1/M^2) A G - (1/M) B with G = (1/P) sum lambda_p phi_p phi_p^T and
B = (1/P) sum lambda_p y_p phi_p^T.

Time convention: tau is the time of the flow dA/dtau = -M grad L(A) = B - A H, H = G / M. In it
the score itself moves by the kernel flow ds(x)/dtau = -(1/P) sum_p lambda_p k(x, x_p) (s - y_p)
with the O(1) random-feature kernel k(x, x') = (1/M) phi(x)^T phi(x'). Li et al.'s plain flow
on the loss without the 1/2, dA/dt = -2 grad L, has time t = M tau / 2 (their clock runs M/2
times faster than tau), with unknown constants in their trade-off. From A(0) = 0,

    A(tau) = B V diag((1 - e^{-mu tau}) / mu) V^T,   H = V diag(mu) V^T,

and tau = inf gives B H^+, the minimum-norm least-squares solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas

from bounds import validate
from empirical.diffusion.features import RandomFeatures
from empirical.diffusion.process import mean_factor, noise_variance

CHUNK_BYTES = 2**23  # the (rows x M) block of features of one chunk, in bytes
MIN_CHUNK_ROWS = 256  # fewer rows make the rank-k update of G inefficient (BLAS syrk)
POSTERIOR_CHUNK_BYTES = 2**19  # the (rows x N) posterior weights of one chunk (cache-sized)
TARGETS = ("noise", "empirical")


@dataclass(frozen=True, eq=False)
class NormalEquations:
    """The sufficient statistics of L: G (M x M), B (d x M), the mean of |z|^2 and the row count.

    L(A) = (1/2) [tr(A G A^T) / M^2 - 2 tr(A B^T) / M + target_energy].
    """

    G: np.ndarray
    B: np.ndarray
    target_energy: float
    rows: int

    @property
    def width(self) -> int:
        return self.G.shape[0]

    @property
    def kernel(self) -> np.ndarray:
        """H = G / M, the matrix of the flow dA/dtau = B - A H."""
        return self.G / self.width

    def loss(self, A: np.ndarray) -> float:
        """L(A) as in the module docstring."""
        M = self.width
        quad = np.sum((A @ self.G) * A) / M**2
        return 0.5 * float(quad - 2.0 * np.sum(A * self.B) / M + self.target_energy)


def assemble(
    features: RandomFeatures,
    X: np.ndarray,
    draws: int,
    t0: float,
    T: float,
    rng: np.random.Generator,
    target: str = "noise",
    chunk_bytes: int = CHUNK_BYTES,
) -> NormalEquations:
    """Draw ``draws`` (t, z) pairs per row of ``X`` and accumulate G and B in chunks.

    ``target="noise"`` regresses sigma s on -z (the classical denoising target). ``"empirical"``
    regresses it on its conditional expectation given x_t under the training set,
    E[-z | x_t] = sum_i w_i (e^{-t} x_i - x_t) / sigma_t with w_i proportional to
    N(x_t; e^{-t} x_i, sigma_t^2): the same loss up to a constant independent of A (the average
    over the training set of the expectation over z), estimated with less variance.
    ``target_energy`` is then the mean of |E[-z | x_t]|^2.

    Each chunk of rows holds its (rows x M) block sqrt(lambda) phi, added to G by one rank-k
    update (BLAS syrk, the upper triangle); a chunk has as many rows as fit that block in
    ``chunk_bytes`` (at least ``MIN_CHUNK_ROWS``), and the empirical target's (rows x N)
    posterior weights go in sub-chunks of ``POSTERIOR_CHUNK_BYTES``, so the memory beyond G is
    bounded whatever M and N.
    """
    X = np.asarray(X, dtype=float)
    draws = validate.whole("draws", draws, minimum=1)
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    chunk_bytes = validate.whole("chunk_bytes", chunk_bytes, minimum=1)
    M, d = features.width, features.dim
    x0 = np.repeat(X, draws, axis=0)
    rows = len(x0)
    t = rng.uniform(t0, T, size=rows)
    z = rng.standard_normal((rows, d))
    G = np.zeros((M, M), order="F")  # syrk updates its upper triangle in place
    B = np.zeros((d, M))
    energy = 0.0
    chunk = _chunk_rows(chunk_bytes, M)
    for start in range(0, rows, chunk):
        part = slice(start, start + chunk)
        sigma = np.sqrt(noise_variance(t[part]))
        xt = mean_factor(t[part])[:, None] * x0[part] + sigma[:, None] * z[part]
        if target == "noise":
            y = -z[part]
        else:
            y = posterior_noise(xt, t[part], X, min(chunk_bytes, POSTERIOR_CHUNK_BYTES))
        weighted = features.weighted(xt, t[part], sigma)  # sqrt(lambda) phi
        G = blas.dsyrk(1.0, weighted.T, beta=1.0, c=G, trans=0, lower=0, overwrite_c=1)
        B += y.T @ weighted  # lambda y_p = sigma times the target
        energy += float(np.sum(y * y))
    _mirror_upper(G)
    G /= rows
    return NormalEquations(G, B / rows, energy / rows, rows)


def _mirror_upper(G: np.ndarray, block: int = 256) -> None:
    """Copy the upper triangle of the square ``G`` onto its lower one, in place, a block of
    columns at a time (no M x M temporary)."""
    for j in range(0, len(G), block):
        end = min(j + block, len(G))
        G[j:end, :j] = G[:j, j:end].T
        diagonal = G[j:end, j:end]
        lower = np.tril_indices(end - j, -1)
        diagonal[lower] = diagonal.T[lower]


def _chunk_rows(chunk_bytes: int, row_floats: int, minimum: int = MIN_CHUNK_ROWS) -> int:
    """Rows per chunk: as many rows of ``row_floats`` float64 values as fit in ``chunk_bytes``,
    at least ``minimum``."""
    return max(minimum, chunk_bytes // (8 * max(row_floats, 1)))


def posterior_noise(
    xt: np.ndarray, t: np.ndarray, X: np.ndarray, chunk_bytes: int = POSTERIOR_CHUNK_BYTES
) -> np.ndarray:
    """E[-z | x_t] when x_t = e^{-t} x_0 + sigma_t z with x_0 uniform on the rows of X:
    sum_i w_i (e^{-t} x_i - x_t) / sigma_t, w = softmax_i(-|x_t - e^{-t} x_i|^2 / (2 sigma_t^2)).

    With r = 1 / (sigma_t sqrt 2) the exponent is -sum_k (r e^{-t} x_ik - r x_tk)^2, each term
    formed by one matrix product per coordinate (so its rounding is that of the difference);
    the sums sum_i w_i and sum_i w_i x_i are one more product. Rows go in chunks whose (rows x N)
    weights fit in ``chunk_bytes``.
    """
    xt = np.asarray(xt, dtype=float)
    t = np.asarray(t, dtype=float)
    a = mean_factor(t)
    var = noise_variance(t)
    r = 1.0 / np.sqrt(2.0 * var)
    n, d = X.shape
    basis = np.stack([X.T, np.ones((d, n))], axis=1)  # (d, 2, N): x_ik and 1
    moments = np.concatenate([np.ones((n, 1)), X], axis=1)  # (N, 1 + d)
    out = np.empty_like(xt)
    chunk = _chunk_rows(chunk_bytes, n, minimum=1)
    for start in range(0, len(xt), chunk):
        part = slice(start, start + chunk)
        ra, rx = (r * a)[part], r[part, None] * xt[part]
        expo = np.matmul(np.stack([ra, -rx[:, 0]], axis=1), basis[0])
        np.square(expo, out=expo)
        for k in range(1, d):
            term = np.matmul(np.stack([ra, -rx[:, k]], axis=1), basis[k])
            expo += np.square(term, out=term)
        np.subtract(expo.min(axis=1, keepdims=True), expo, out=expo)
        np.exp(expo, out=expo)
        sums = expo @ moments  # (rows, 1 + d): sum_i w_i and sum_i w_i x_i, unnormalised
        mean = sums[:, 1:] / sums[:, :1]
        out[part] = (a[part, None] * mean - xt[part]) / np.sqrt(var[part])[:, None]
    return out


def _flow_factor(mu: np.ndarray, tau: float) -> np.ndarray:
    """(1 - e^{-mu tau}) / mu: tau at mu = 0; at tau = inf, 1/mu (0 on the numerical null space)."""
    if math.isinf(tau):
        cutoff = np.finfo(float).eps * len(mu) * max(float(mu.max(initial=0.0)), 0.0)
        return np.where(mu > cutoff, 1.0 / np.where(mu > cutoff, mu, 1.0), 0.0)
    safe = np.where(mu > 0, mu, 1.0)
    return np.where(mu > 0, -np.expm1(-safe * tau) / safe, tau)


def kernel_spectrum(eqs: NormalEquations) -> tuple[np.ndarray, np.ndarray]:
    """(mu, V) with H = V diag(mu) V^T: the eigen-decomposition of G, its eigenvalues over M
    (no M x M copy of G / M is formed)."""
    mu, V = np.linalg.eigh(eqs.G)
    return mu / eqs.width, V


def gradient_flow(eqs: NormalEquations, tau: float) -> np.ndarray:
    """A(tau) of dA/dtau = B - A H from A(0) = 0, by eigen-decomposition of H (closed form)."""
    return flow_from_spectrum(eqs, kernel_spectrum(eqs), tau)


def flow_from_spectrum(
    eqs: NormalEquations, spectrum: tuple[np.ndarray, np.ndarray], tau: float
) -> np.ndarray:
    """A(tau) = B V diag((1 - e^{-mu tau}) / mu) V^T given ``spectrum`` = (mu, V) of H."""
    tau = check_tau(tau)
    mu, V = spectrum
    return ((eqs.B @ V) * _flow_factor(mu, tau)) @ V.T


def gradient_descent(eqs: NormalEquations, tau: float, steps: int) -> np.ndarray:
    """Reference: explicit Euler A_{k+1} = A_k + (tau/steps)(B - A_k H) from A_0 = 0."""
    tau = validate.positive("tau", tau)
    steps = validate.whole("steps", steps, minimum=1)
    H = eqs.kernel
    eta = tau / steps
    A = np.zeros_like(eqs.B)
    for _ in range(steps):
        A = A + eta * (eqs.B - A @ H)
    return A


def check_tau(tau: object) -> float:
    """Return a training time tau >= 0 as a float; ``math.inf`` is allowed (least squares)."""
    if isinstance(tau, float) and tau == math.inf:
        return math.inf
    return validate.real("tau", tau, 0.0, math.inf)


def weighted_score_error(
    score,
    reference,
    x0: np.ndarray,
    t0: float,
    T: float,
    rng: np.random.Generator,
    levels: int = 64,
) -> float:
    """Estimate (1/(T - t0)) int_{t0}^T sigma_t^2 E_{x ~ p_t} |s(x, t) - s_ref(x, t)|^2 dt.

    The time average is the midpoint rule on ``levels`` equal cells of [t0, T]; the rows of ``x0``
    (an iid sample of p_0) are dealt round-robin to the levels and each is pushed forward once,
    x_t = e^{-t} x0 + sigma_t z. ``reference`` is the true score of the forward marginals.
    """
    x0 = np.asarray(x0, dtype=float)
    times = t0 + (T - t0) * (np.arange(levels) + 0.5) / levels
    total = 0.0
    for k, t in enumerate(times):
        part = x0[k::levels]
        sigma2 = float(noise_variance(t))
        xt = mean_factor(t) * part + np.sqrt(sigma2) * rng.standard_normal(part.shape)
        diff = score(xt, t) - reference(xt, t)
        total += sigma2 * float(np.sum(diff * diff)) / len(part)
    return total / levels

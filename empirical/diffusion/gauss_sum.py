"""Sums of Gaussians on an equally spaced grid, each truncated to a band of grid points.

``banded_gaussian_sum`` returns q(u_i) = sum_j mass_j N(u_i; m_j, v) at u_i = u_0 + i du,
i = 0 .. count - 1, each Gaussian summed over the ``band`` = ceil(2 BAND_SDS sd / du) + 1 nodes
from f_j = ceil((m_j - BAND_SDS sd - u_0) / du): the nodes within BAND_SDS sds of its mean (the
Gaussian mass beyond is below 1e-15). It is the transition step of the reverse-SDE sampler's
grid density and that density's evaluation on a grid.

The exponent is split exactly: with the band's middle node c = f_j + k_c and e_j = u_c - m_j
(|e_j| of order du), u_{f_j + k} - m_j = du (k - k_c) + e_j, so

    -(u - m_j)^2 / 2v = -e_j^2 / 2v + g_j k_c - g_j k - du^2 (k - k_c)^2 / 2v,  g_j = du e_j / v,

and with k = a n_b + b an entry is A_j R_ja P_jb C_k: A_j = mass_j e^{-e_j^2 / 2v + g_j k_c} /
sqrt(2 pi v), R_ja = e^{-g_j n_b a}, P_jb = e^{-g_j b}, and C_k = e^{-du^2 (k - k_c)^2 / 2v}
shared by every Gaussian. The powers R and P come from one exponential each by repeated
products, n_a, n_b ~ sqrt(band) of them, so an entry costs two products instead of an
exponential and its relative error stays below (n_a + n_b + 4) eps.
"""

from __future__ import annotations

import numpy as np

BAND_SDS = 8.0
_CHUNK_ENTRIES = 2**20  # Gaussians per chunk times band: bounds the temporaries (8 MiB each)


def banded_gaussian_sum(
    lo: float,
    step: float,
    count: int,
    means: np.ndarray,
    variance: float,
    mass: np.ndarray,
    within_reach: bool = False,
) -> np.ndarray:
    """q(u_i) = sum_j mass_j N(u_i; means_j, variance) at u_i = lo + i step over each mean's
    band of nodes (module docstring). A band wholly off the grid adds nothing and is dropped.
    ``within_reach``: drop the band's last nodes that lie beyond m_j + BAND_SDS sd (at most
    two), so that exactly the nodes with |u_i - m_j| <= BAND_SDS sd are summed."""
    sd = np.sqrt(variance)
    band = int(np.ceil(2.0 * BAND_SDS * sd / step)) + 1
    first = np.clip(np.ceil((means - BAND_SDS * sd - lo) / step), -band, count).astype(np.int64)
    keep = (first > -band) & (first < count) & (mass != 0)
    first, means, mass = first[keep], means[keep], mass[keep]
    n_b = max(1, int(np.sqrt(band)))
    n_a = -(-band // n_b)
    width = n_a * n_b
    middle = (band - 1) // 2
    offsets = np.arange(width) - middle
    C = np.where(offsets < band - middle, np.exp(-0.5 * (step * offsets) ** 2 / variance), 0.0)
    out = np.zeros(count + band + width)
    chunk = max(1, _CHUNK_ENTRIES // width)
    for start in range(0, len(first), chunk):
        f = first[start : start + chunk]
        e = (lo + step * (f + middle)) - means[start : start + chunk]
        g = (step / variance) * e
        A = mass[start : start + chunk] * np.exp(g * middle - 0.5 * e * e / variance)
        R = _powers(np.exp(-n_b * g), n_a, A)  # (n_a, Gaussians)
        P = _powers(np.exp(-g), n_b, np.ones_like(g))  # (n_b, Gaussians)
        kernel = np.empty((n_a, n_b, len(f)))  # entry (a, b, j): node f_j + a n_b + b
        np.multiply(R[:, None, :], P[None, :, :], out=kernel)
        kernel *= C.reshape(n_a, n_b, 1)
        if within_reach:
            last = np.floor((means[start : start + chunk] + BAND_SDS * sd - lo) / step)
            for k in range(max(0, band - 2), band):  # a band holds >= band - 2 such nodes
                kernel[k // n_b, k % n_b, f + k > last] = 0.0
        index = np.add.outer(np.arange(width), f + band)
        out += np.bincount(index.ravel(), weights=kernel.reshape(-1), minlength=len(out))
    return out[band : band + count] / np.sqrt(2.0 * np.pi * variance)


def _powers(base: np.ndarray, count: int, start: np.ndarray) -> np.ndarray:
    """start * base^a for a = 0 .. count - 1, shape (count, len(base)), by repeated products."""
    out = np.empty((count, len(base)))
    out[0] = start
    for a in range(1, count):
        np.multiply(out[a - 1], base, out=out[a])
    return out

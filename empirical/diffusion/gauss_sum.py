"""Sums of Gaussians on an equally spaced grid, each truncated to a band of grid points.

``banded_gaussian_sum`` returns q(u_i) = sum_j mass_j N(u_i; m_j, v) at u_i = u_0 + i du,
i = 0 .. count - 1, each Gaussian summed over the ``band`` = ceil(2 BAND_SDS sd / du) + 1 nodes
from f_j = ceil((m_j - BAND_SDS sd - u_0) / du): the nodes within BAND_SDS sds of its mean (the
Gaussian mass beyond is below 1e-15). It is the transition step of the reverse-SDE sampler's
grid density and that density's evaluation on a grid.

The exponent is split exactly: with the band's middle node c = f_j + k_c and e_j = u_c - m_j
(|e_j| of order du), u_{f_j + k} - m_j = du (k - k_c) + e_j, so

    -(u - m_j)^2 / 2v = -e_j^2 / 2v + g_j k_c - g_j k - du^2 (k - k_c)^2 / 2v,  g_j = du e_j / v,

so an entry is A_j P_j^k C_k: A_j = mass_j e^{-e_j^2 / 2v + g_j k_c} / sqrt(2 pi v),
P_j = e^{-g_j}, and C_k = e^{-du^2 (k - k_c)^2 / 2v} shared by every Gaussian. The powers come
from two exponentials per Gaussian by products, rows [h, 2h) being rows [0, h) times P_j^h
(P_j^h by repeated squaring), so an entry costs one product instead of an exponential and
entry k carries at most 2k + 4 roundings (relative error below (2 band + 4) eps).

The entries are added up by columns: Gaussian j goes to column f_j of a (rows k) x (columns f)
array E of entries A_j P_j^k (columns no Gaussian starts at hold zeros), and node i receives
sum_k C_k E[k, i - k], a sum along diagonals: read with its rows one element shorter, the
contiguous E has row k shifted by k, so the whole sum is one matrix-vector product with C (the
``band`` empty columns at E's end catch the reads that run past a row). A column holds one
Gaussian: the others that start at the same node (where the means crowd together) and
``within_reach`` evaluations are scattered to their nodes by a weighted bincount instead.
"""

from __future__ import annotations

import numpy as np

BAND_SDS = 8.0
_CHUNK_ENTRIES = 2**20  # Gaussians per chunk times band: bounds the temporaries (8 MiB each)
_DIRECT_FRACTION = 16  # Gaussians sharing a start beyond 1/16 of all are scattered by bincount


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
    band of nodes (module docstring); ``BandedGaussianSum`` with the same grid and variance."""
    return BandedGaussianSum(lo, step, count, variance)(means, mass, within_reach)


class BandedGaussianSum:
    """The banded sum on the grid u_i = lo + i step, i < count, for Gaussians of one variance:
    the band, its middle k_c and C_k are computed once
    and serve every call."""

    def __init__(self, lo: float, step: float, count: int, variance: float) -> None:
        self.lo, self.step, self.count, self.variance = float(lo), float(step), count, variance
        self.sd = float(np.sqrt(variance))
        self.band = int(np.ceil(2.0 * BAND_SDS * self.sd / step)) + 1
        self.middle = (self.band - 1) // 2
        offsets = np.arange(self.band) - self.middle
        self.C = np.exp(-0.5 * (step * offsets) ** 2 / variance)

    def __call__(self, means: np.ndarray, mass: np.ndarray, within_reach: bool = False):
        """q at the nodes. A band wholly off the grid adds nothing and is dropped.
        ``within_reach``: drop the band's last nodes that lie beyond m_j + BAND_SDS sd (at most
        two), so that exactly the nodes with |u_i - m_j| <= BAND_SDS sd are summed."""
        band, count = self.band, self.count
        first = np.ceil((means - BAND_SDS * self.sd - self.lo) / self.step)
        first = np.clip(first, -band, count).astype(np.int64)
        keep = (first > -band) & (first < count) & (mass != 0)
        if not keep.all():
            first, means, mass = first[keep], means[keep], mass[keep]
        out = np.zeros(count + 2 * band)  # node i at i + band, room for every band
        if within_reach:
            self._scatter(out, first, means, mass, within_reach)
        else:
            rise = np.diff(first)
            if len(rise) == 0 or rise.min() > 0:  # increasing: every start is distinct
                crowded = None
            elif rise.min() == 0:  # non-decreasing (a transition step): repeats are crowded
                crowded = np.concatenate([[False], rise == 0])
            else:  # one Gaussian per starting node goes to the columns (whichever was kept)
                owner = np.full(count + band, -1, dtype=np.int64)
                index = np.arange(len(first))
                owner[first + band] = index
                crowded = owner[first + band] != index
            if crowded is None:
                self._by_columns(out, first, means, mass)
            else:
                alone = ~crowded
                self._by_columns(out, first[alone], means[alone], mass[alone])
                crowd = first[crowded], means[crowded], mass[crowded]
                if len(crowd[0]) * _DIRECT_FRACTION > len(first):
                    self._scatter(out, *crowd, False)
                elif len(crowd[0]):
                    self._direct(out, *crowd)
        return out[band : band + count] / np.sqrt(2.0 * np.pi * self.variance)

    def offsets(self, first: np.ndarray, means: np.ndarray) -> np.ndarray:
        """e_j = u_c - m_j, c = f_j + k_c the band's middle node."""
        return (self.lo + self.step * (first + self.middle)) - means

    def entries(self, e: np.ndarray, mass: np.ndarray) -> np.ndarray:
        """A_j P_j^k (without C), shape (band, Gaussians)."""
        g = (self.step / self.variance) * e
        A = mass * np.exp(g * self.middle - 0.5 * e * e / self.variance)
        return _powers(np.exp(-g), self.band, A)

    def _by_columns(self, out, first, means, mass) -> None:
        """Add Gaussians that start at distinct nodes by the diagonal sum over columns."""
        if len(first) == 0:
            return
        band = self.band
        lowest = int(first.min())
        columns = int(first.max()) - lowest + 1 + band  # the last ``band`` stay empty
        slot_e, slot_mass = np.zeros(columns), np.zeros(columns)  # an empty column: no mass
        slot_e[first - lowest] = self.offsets(first, means)
        slot_mass[first - lowest] = mass
        E = self.entries(slot_e, slot_mass)
        skewed = E.reshape(-1)[: band * (columns - 1)].reshape(band, columns - 1)
        sums = self.C @ skewed  # node lowest + q, q < columns - 1
        start = lowest + band
        out[start : start + len(sums)] += sums[: len(out) - start]

    def _direct(self, out, first, means, mass) -> None:
        """Add a few Gaussians over their bands, one exponential per entry."""
        nodes = first[:, None] + np.arange(self.band)
        diff = (self.lo + self.step * nodes) - means[:, None]
        terms = mass[:, None] * np.exp(-0.5 * diff * diff / self.variance)
        out += np.bincount((nodes + self.band).ravel(), terms.ravel(), len(out))

    def _scatter(self, out, first, means, mass, within_reach) -> None:
        """Add each Gaussian's band entries to their nodes by a weighted bincount, in chunks."""
        band = self.band
        chunk = max(1, _CHUNK_ENTRIES // band)
        for start in range(0, len(first), chunk):
            f = first[start : start + chunk]
            m = means[start : start + chunk]
            kernel = self.entries(self.offsets(f, m), mass[start : start + chunk])
            kernel *= self.C[:, None]  # entry (k, j): node f_j + k
            if within_reach:
                last = np.floor((m + BAND_SDS * self.sd - self.lo) / self.step)
                for k in range(max(0, band - 2), band):  # a band holds >= band - 2 such nodes
                    kernel[k, f + k > last] = 0.0
            index = np.add.outer(np.arange(band), f + band)
            out += np.bincount(index.ravel(), weights=kernel.reshape(-1), minlength=len(out))


def _powers(base: np.ndarray, count: int, start: np.ndarray) -> np.ndarray:
    """start * base^a for a = 0 .. count - 1, shape (count, len(base)), by products: rows
    [h, 2h) are rows [0, h) times base^h, base^h by repeated squaring; row a carries at most a
    roundings plus a times the relative error of ``base``."""
    out = np.empty((count, len(base)))
    out[0] = start
    filled, power = 1, base
    while filled < count:
        take = min(filled, count - filled)
        np.multiply(out[:take], power, out=out[filled : filled + take])
        filled += take
        if filled < count:
            power = power * power
    return out

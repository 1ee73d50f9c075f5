"""The martingale (quadrature) bound on E TV(p_i, p_0) for a Gaussian KDE loop, and predictions.

Every training point X_t is drawn from a source p_k given everything drawn before it, so the
signed measures nu_t = delta_{X_t} - p_k are martingale differences: E[nu_t | past] = 0. Grouping
the points into *blocks* (points from one source that the same generations use), generation i is

    p_i = K_{h_i} * (q_i + (1/N_i) sum_{B in D_i} nu_B),   q_i = sum_j w_ij p_j,

which unrolls into p_i - p_0 = b_i + sum_B (g_iB * nu_B) with a deterministic bias
b_i = A_i - p_0 (``bounds.kde_population``: A_i = E p_i) and deterministic kernels

    g_iB = K_{h_i} * (1[B in D_i] delta_0 / N_i + sum_{j>=1} w_ij g_jB).

Cross terms vanish (a later block has conditional mean zero given an earlier one), so pointwise

    E (p_i - p_0)(x)^2 <= b_i(x)^2 + sum_B |B| [(g_iB^2 * A_k)(x) - (g_iB * A_k)(x)^2] =: M_i(x),

k the block's source (equality but for Jensen's E[(g*p_k)^2] >= (g*A_k)^2), and
E TV(p_i, p_0) <= (1/2) int sqrt(M_i). A fixed real set or kept synthetic sets are single blocks
used by many generations: their noise adds coherently through g_iB, and the bound covers them.
It needs deterministic bandwidths; for Scott's data-dependent rule it is a prediction only.

On one periodic grid (spacing min(s, h)/8, half-width 20 sd of the widest Gaussian involved)
convolutions with Gaussians are products of Fourier transforms, integrals are trapezoid sums:
both are spectrally accurate for these Gaussian mixtures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import fft
from scipy.special import ndtr

from bounds import validate
from bounds.kde import MAX_GENERATIONS, GaussianTruth
from bounds.kde_population import (
    bandwidth_sequence,
    check_inputs,
    population_variances,
    realised_weights,
)
from bounds.scenarios import Augment, Scenario

REAL_MODES = ("fresh", "fixed")
MAX_GRID_POINTS = 2**21
_HALF_WIDTH_SDS = 20.0
_POINTS_PER_SD = 8.0


@dataclass(frozen=True)
class Block:
    """``size`` points drawn from p_``source``, used by the generations in ``users``."""

    source: int
    size: int
    users: frozenset[int]


def _prefix_blocks(source: int, uses: dict[int, int]) -> list[Block]:
    """A set of which generation i takes the first ``uses[i]`` points, cut where prefixes end."""
    blocks, start = [], 0
    for end in sorted(set(uses.values())):
        blocks.append(Block(source, end - start, frozenset(g for g, c in uses.items() if c >= end)))
        start = end
    return blocks


def sample_blocks(scenario: Scenario, generations: int, real: str = "fresh") -> list[Block]:
    """The blocks of ``empirical.loop.run_loop``'s sampling: real points fresh per generation or
    prefixes of one pool (``real="fixed"``); synthetic points fresh, or prefixes of the set kept
    after each model is fitted when ``scenario.keeps_synthetic``."""
    validate.instance("scenario", scenario, Scenario)
    generations = validate.whole("generations", generations, 1, MAX_GENERATIONS)
    real = validate.choice("real", real, REAL_MODES)
    counts = [scenario.counts(g) for g in range(1, generations + 1)]
    blocks: list[Block] = []
    for source in range(generations):
        uses = {g: c[source] for g, c in enumerate(counts, start=1) if g > source and c[source]}
        reused = scenario.keeps_synthetic if source else real == "fixed"
        if reused:
            blocks += _prefix_blocks(source, uses)
        else:
            blocks += [Block(source, c, frozenset({g})) for g, c in uses.items()]
    return blocks


@dataclass(frozen=True)
class _Grid:
    """x_k = x0 + k dx, k < size, periodic; ``omega`` the rfft angular frequencies."""

    x0: float
    dx: float
    size: int

    @property
    def omega(self) -> np.ndarray:
        return 2 * np.pi * fft.rfftfreq(self.size, self.dx)

    def space(self, spectrum: np.ndarray, refine: int = 1) -> np.ndarray:
        """Samples of the function whose Fourier transform int f e^(-i w x) is ``spectrum``, at
        spacing dx / ``refine`` (band-limited interpolation)."""
        phased = spectrum * np.exp(1j * self.omega * self.x0)
        return fft.irfft(phased, refine * self.size) * refine / self.dx

    def kernel(self, spectrum: np.ndarray) -> np.ndarray:
        """Samples of an even function centred at 0, wrapped (index 0 is x = 0)."""
        return fft.irfft(spectrum, self.size) / self.dx


def _grid(truth: GaussianTruth, bandwidths: np.ndarray) -> _Grid:
    widest = math.sqrt(max(truth.sds) ** 2 + float(np.sum(bandwidths**2)))
    dx = min(min(truth.sds), float(bandwidths.min())) / _POINTS_PER_SD
    lo = min(truth.means) - _HALF_WIDTH_SDS * widest
    span = max(truth.means) - min(truth.means) + 2 * _HALF_WIDTH_SDS * widest
    cells = span / dx
    if not cells <= MAX_GRID_POINTS:
        raise ValueError(
            f"bandwidths in [{float(bandwidths.min())!r}, {float(bandwidths.max())!r}] with truth"
            f" sds in [{min(truth.sds)!r}, {max(truth.sds)!r}] need a grid of {cells:.3g} points"
            f" (span {span:.3g}, spacing {dx:.3g}); at most {MAX_GRID_POINTS} are allowed"
        )
    return _Grid(lo, dx, fft.next_fast_len(math.ceil(cells)))


@dataclass(frozen=True)
class KDEMartingaleBound:
    """Per generation i = 1..G: ``total`` bounds E TV(p_i, p_0) (quadrature of sqrt(M_i));
    ``population_tv`` = TV(A_i, p_0) <= E TV(p_i, p_0) (Jensen); ``predicted`` = (1/2) int
    E|b_i + sigma_i Z|, Z ~ N(0, 1), sigma_i^2 = M_i - b_i^2 (the normal approximation of the
    pointwise error: a prediction of E TV, not a bound); ``noise_total`` = (1/2) int sigma_i.
    ``mean_square[i-1]`` is M_i on the grid ``x``, a bound on E (p_i - p_0)(x)^2."""

    total: np.ndarray
    population_tv: np.ndarray
    predicted: np.ndarray
    noise_total: np.ndarray
    bandwidths: np.ndarray
    real: str
    x: np.ndarray
    mean_square: np.ndarray


def _expected_abs(b: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """E|b + sigma Z| = sigma sqrt(2/pi) exp(-b^2 / (2 sigma^2)) + b (1 - 2 Phi(-b / sigma))."""
    out = np.abs(b)
    live = sigma > 0
    z = b[live] / sigma[live]
    out[live] = sigma[live] * (
        math.sqrt(2 / math.pi) * np.exp(-(z**2) / 2) + z * (1 - 2 * ndtr(-z))
    )
    return out


def _population_tv(grid: _Grid, spectra: list[np.ndarray]) -> np.ndarray:
    """(1/2) int |A_i - p_0| by the trapezoid rule at spacing dx / 16: |b| has kinks where the
    densities cross, so the rule is O(dx^2) there, not spectral; refining keeps it below 1e-6."""
    refine = 16
    return np.array(
        [
            np.abs(grid.space(a - spectra[0], refine)).sum() * grid.dx / (2 * refine)
            for a in spectra[1:]
        ]
    )


def kde_martingale_bound(
    scenario: Scenario,
    truth: GaussianTruth,
    bandwidth: float | str | Sequence[float],
    generations: int,
    *,
    real: str = "fresh",
) -> KDEMartingaleBound:
    """E TV(p_i, p_0) <= (1/2) int sqrt(M_i), i = 1..G, for the loop of ``sample_blocks``.

    ``bandwidth``: a number (fixed h), G numbers (h_i, deterministic) or ``"scott"`` (the
    deterministic ``scott_bandwidths``: a prediction for Scott's rule, not a bound on it).
    """
    generations = check_inputs(scenario, truth, generations)
    real = validate.choice("real", real, REAL_MODES)
    bandwidths = bandwidth_sequence(scenario, truth, bandwidth, generations)
    blocks = sample_blocks(scenario, generations, real)
    grid = _grid(truth, bandwidths)
    omega2 = grid.omega**2
    pi, mu, sd = (np.asarray(v) for v in (truth.weights, truth.means, truth.sds))
    heat = [np.exp(-(h_g**2) * omega2 / 2) for h_g in bandwidths]
    weights = [realised_weights(scenario, g) for g in range(1, generations + 1)]
    sizes = [scenario.size(g) for g in range(1, generations + 1)]
    spectra = [np.exp(-1j * np.outer(grid.omega, mu) - np.outer(omega2, sd**2) / 2) @ pi]
    for g in range(1, generations + 1):
        spectra.append(heat[g - 1] * (weights[g - 1] @ np.asarray(spectra)))
    phased = [a * np.exp(1j * grid.omega * grid.x0) for a in spectra]
    means = [grid.space(a) for a in spectra]
    noise = np.zeros((generations, grid.size))
    for block in blocks:
        kernels = np.zeros((generations + 1, grid.omega.size))
        for g in range(block.source + 1, generations + 1):
            inner = weights[g - 1][1:] @ kernels[1:g]
            if g in block.users:
                inner = inner + 1.0 / sizes[g - 1]
            if not np.any(inner):
                continue
            kernels[g] = heat[g - 1] * inner
            square = fft.rfft(grid.kernel(kernels[g]) ** 2) * grid.dx
            second = fft.irfft(square * phased[block.source], grid.size) / grid.dx
            first = fft.irfft(kernels[g] * phased[block.source], grid.size) / grid.dx
            noise[g - 1] += block.size * (second - first**2)
    noise = np.maximum(noise, 0.0)
    bias = np.asarray(means[1:]) - means[0]
    half = grid.dx / 2
    mean_square = bias**2 + noise
    return KDEMartingaleBound(
        total=half * np.sqrt(mean_square).sum(axis=1),
        population_tv=_population_tv(grid, spectra),
        predicted=half * _expected_abs(bias, np.sqrt(noise)).sum(axis=1),
        noise_total=half * np.sqrt(noise).sum(axis=1),
        bandwidths=bandwidths,
        real=real,
        x=grid.x0 + grid.dx * np.arange(grid.size),
        mean_square=mean_square,
    )


@dataclass(frozen=True)
class AugmentAcrossM:
    """``augment(n, m)`` at one generation i, per synthetic amount m: the population variance
    Var A_i, TV(A_i, p_0) (a lower bound on E delta_i), the predicted E delta_i and the bound."""

    m: np.ndarray
    population_variance: np.ndarray
    population_tv: np.ndarray
    predicted: np.ndarray
    bound: np.ndarray


def augment_across_m(
    n: int,
    ms: Sequence[int],
    truth: GaussianTruth,
    bandwidth: float | str,
    generation: int,
    *,
    real: str = "fresh",
) -> AugmentAcrossM:
    """What the population recursion predicts for ``augment(n, m)`` at ``generation``, per m.

    Fixed h: Var A_i = s^2 + h^2 (1 - (1 - lam)^i) / lam, lam = n / (n + m), rising with m to
    s^2 + i h^2. Scott (``"scott"``): h_i = sigma_i N_i^(-1/5) shrinks as m grows, so A_i returns
    to A_1 both at m = 0 and as m -> infinity. ``bound`` is a bound only for a fixed h.
    """
    listed = isinstance(ms, Sequence) and not isinstance(ms, str)
    if not (listed or (isinstance(ms, np.ndarray) and ms.ndim == 1)) or len(ms) == 0:
        raise ValueError(
            f"ms must be a non-empty sequence of whole numbers >= 0, got {validate.shown(ms)}"
        )
    n = validate.size("n", n)
    ms = [validate.size(f"ms[{k}]", m, minimum=0) for k, m in enumerate(ms)]
    generation = validate.whole("generation", generation, 1, MAX_GENERATIONS)
    real = validate.choice("real", real, REAL_MODES)
    rows = []
    for m in ms:
        scenario = Augment(n, m)
        result = kde_martingale_bound(scenario, truth, bandwidth, generation, real=real)
        variance = population_variances(scenario, truth, result.bandwidths, generation)
        rows.append(
            (m, variance[-1], result.population_tv[-1], result.predicted[-1], result.total[-1])
        )
    columns = np.asarray(rows, dtype=float).T
    return AugmentAcrossM(columns[0].astype(int), *columns[1:])

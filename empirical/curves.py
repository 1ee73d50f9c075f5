"""Noisy curves in the plane with exact densities: scikit-learn's two moons and circles.

Public API: ``Moons(noise=0.1, split="random")``, ``Circles(noise=0.05, factor=0.8,
split="random")``, with the methods of the truths in ``empirical.truths``.

Both are equal-weight mixtures of noisy circular arcs: a point is c + r (cos t, sin t) + noise z,
t ~ Uniform[a, b], z ~ N(0, I). Moons: the upper half of the unit circle (t in [0, pi]) and the
lower half of the unit circle around (1, 0.5) (t in [pi, 2 pi]), as ``make_moons``; Circles: the
unit circle and the circle of radius ``factor`` (t in [0, 2 pi]), as ``make_circles``.
(scikit-learn spaces t evenly rather than at random; the law is the same up to that grid.)

Density of one arc at x = c + rho (cos phi, sin phi), with s = noise and kappa = rho r / s^2:

  (1/(b - a)) int_a^b N(x; c + r u(t), s^2 I) dt
    = exp(-(rho - r)^2 / (2 s^2)) I0e(kappa) M / ((b - a) s^2),

where I0e(kappa) = exp(-kappa) I0(kappa) and M = F(b - phi) - F(a - phi) is the mass of the
von Mises law VM(0, kappa) on the arc (F its cumulative distribution function, extended by
F(t + 2 pi) = F(t) + 1), because |x - c - r u(t)|^2 = rho^2 + r^2 - 2 rho r cos(t - phi) and
int exp(kappa cos(t - phi)) dt = 2 pi I0(kappa) M. A full circle has M = 1: a closed form.
M is computed, for kappa <= 50, from scipy's von Mises CDF (absolute error in M about 2e-13,
measured against adaptive quadrature; kappa floored at 1e-12 there, as it needs kappa > 0); for
kappa > 50 (where that CDF switches to a normal approximation with errors up to 3e-6) by
48-node Gauss-Legendre quadrature of exp(kappa (cos u - 1)) over the part of the arc within
kappa (1 - cos u) <= 50 of the nearest peak (the rest is below e^-50 relative to the peak;
measured absolute error in M below 2e-12 for kappa up to 1e5). The density underflows to 0
(``logpdf`` -inf) only where it is below about 1e-300 (more than ~37 noise widths from the
curve).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from bounds import validate
from empirical.points import (
    as_points,
    check_box,
    check_rng,
    check_size,
    check_split,
    draw_labels,
    logsumexp_rows,
    normal_box_z,
)

__all__ = ["Circles", "Moons"]

_KAPPA_FLOOR = 1e-12
_KAPPA_SPLIT = 50.0
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def _arc_mass(lo: np.ndarray, hi: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Mass of VM(0, kappa) on [lo, hi] (hi - lo <= pi), elementwise; see the module docstring."""
    out = np.empty_like(lo)
    small = kappa <= _KAPPA_SPLIT
    vm = np.maximum(kappa[small], _KAPPA_FLOOR)
    out[small] = stats.vonmises.cdf(hi[small], vm) - stats.vonmises.cdf(lo[small], vm)
    a, b, k = lo[~small], hi[~small], kappa[~small]
    peak = 2 * math.pi * np.round((a + b) / (4 * math.pi))
    width = np.arccos(1 - _KAPPA_SPLIT / k)
    start, stop = np.maximum(a, peak - width), np.minimum(b, peak + width)
    half = np.maximum(stop - start, 0.0) / 2
    u = ((start + stop) / 2)[:, None] + half[:, None] * _NODES
    integral = half * np.einsum("ij,j->i", np.exp(k[:, None] * (np.cos(u) - 1)), _WEIGHTS)
    out[~small] = integral / (2 * math.pi * special.i0e(k))
    return np.clip(out, 0.0, 1.0)


class _NoisyArcs:
    """Equal-weight mixture of the arcs (cx, cy, r, a, b) with isotropic noise ``noise``."""

    dim = 2
    noise: float
    split: str
    arcs: np.ndarray  # (k, 5): cx, cy, r, a, b

    def _setup(self, arcs: list[tuple[float, float, float, float, float]]) -> None:
        object.__setattr__(self, "noise", validate.positive("noise", self.noise))
        object.__setattr__(self, "split", check_split(self.split))
        object.__setattr__(self, "arcs", np.asarray(arcs, dtype=float))
        object.__setattr__(self, "weights", np.full(len(arcs), 1.0 / len(arcs)))

    def _arc_logpdf(self, pts: np.ndarray, arc: np.ndarray) -> np.ndarray:
        cx, cy, r, a, b = arc
        s2 = self.noise**2
        dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
        rho = np.hypot(dx, dy)
        phi = np.arctan2(dy, dx)
        kappa = rho * r / s2
        if b - a >= 2 * math.pi:
            log_mass = np.zeros_like(rho)
        else:
            with np.errstate(divide="ignore"):
                log_mass = np.log(_arc_mass(a - phi, b - phi, kappa))
        radial = -((rho - r) ** 2) / (2 * s2) + np.log(special.i0e(kappa))
        return radial + log_mass - math.log((b - a) * s2)

    def logpdf(self, x: object) -> np.ndarray:
        """log (1/k) sum_arcs (arc density), by log-sum-exp; see the module docstring."""
        pts = as_points(x, 2)
        logs = np.stack([self._arc_logpdf(pts, arc) for arc in self.arcs])
        return logsumexp_rows(logs, axis=0) - math.log(len(self.arcs))

    def pdf(self, x: object) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Arc by the ``split`` rule, t ~ Uniform[a, b], then c + r (cos t, sin t) + noise z."""
        rng = check_rng(rng)
        size = check_size(size)
        arc = self.arcs[draw_labels(size, self.weights, self.split, rng)]
        t = arc[:, 3] + (arc[:, 4] - arc[:, 3]) * rng.uniform(size=size)
        curve = arc[:, :2] + arc[:, 2:3] * np.stack([np.cos(t), np.sin(t)], axis=1)
        return curve + self.noise * rng.standard_normal((size, 2))

    def _curve_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest box holding every arc (from the extreme points each arc passes)."""
        lows, highs = [], []
        for cx, cy, r, a, b in self.arcs:
            quarter = math.pi / 2
            turns = np.arange(math.ceil(a / quarter - 1e-12), math.floor(b / quarter + 1e-12) + 1)
            t = np.concatenate([[a, b], turns * quarter])
            xy = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)
            lows.append(xy.min(axis=0))
            highs.append(xy.max(axis=0))
        return np.min(lows, axis=0), np.max(highs, axis=0)

    def bounding_box(self, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        """The curves' box widened by z noise, 4 (1 - Phi(z)) = tail (union bound, 2 axes)."""
        lo, hi = self._curve_box()
        half = normal_box_z(tail, 2) * self.noise
        return lo - half, hi + half

    def outside_mass(self, lo: object, hi: object) -> float:
        """sum_k Phi((lo_k - min curve_k) / s) + Phi((max curve_k - hi_k) / s): each coordinate's
        tail, bounded by putting the whole curve at its extreme."""
        lo_arr, hi_arr = check_box(lo, hi, 2)
        c_lo, c_hi = self._curve_box()
        below = special.ndtr((lo_arr - c_lo) / self.noise)
        above = special.ndtr((c_hi - hi_arr) / self.noise)
        return float(min(1.0, np.sum(below + above)))

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact mean and covariance from E cos t, E sin t, E cos^2 t, ... on each arc."""
        mean, second = np.zeros(2), np.zeros((2, 2))
        for w, (cx, cy, r, a, b) in zip(self.weights, self.arcs, strict=True):
            span = b - a
            mu = np.array([math.sin(b) - math.sin(a), math.cos(a) - math.cos(b)]) / span
            s2 = (math.sin(2 * b) - math.sin(2 * a)) / (4 * span)
            sc = (math.cos(2 * a) - math.cos(2 * b)) / (4 * span)
            uu = np.array([[0.5 + s2, sc], [sc, 0.5 - s2]])
            c = np.array([cx, cy])
            mean += w * (c + r * mu)
            second += w * (np.outer(c, c) + r * (np.outer(c, mu) + np.outer(mu, c)) + r * r * uu)
        cov = second - np.outer(mean, mean) + self.noise**2 * np.eye(2)
        return mean, cov

    @property
    def length_scale(self) -> float:
        """The noise sd (across the curve the density is a Gaussian of that width)."""
        return self.noise


@dataclass(frozen=True, eq=False)
class Moons(_NoisyArcs):
    """Two interleaving half circles (``make_moons``) with Gaussian noise of sd ``noise``."""

    noise: float = 0.1
    split: str = "random"

    def __post_init__(self) -> None:
        self._setup([(0.0, 0.0, 1.0, 0.0, math.pi), (1.0, 0.5, 1.0, math.pi, 2 * math.pi)])

    def parameters(self) -> dict[str, object]:
        return {"noise": self.noise, "split": self.split}


@dataclass(frozen=True, eq=False)
class Circles(_NoisyArcs):
    """The unit circle and a circle of radius ``factor`` (``make_circles``), noise sd ``noise``."""

    noise: float = 0.05
    factor: float = 0.8
    split: str = "random"

    def __post_init__(self) -> None:
        factor = validate.real("factor", self.factor, 0.0, 1.0)
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        object.__setattr__(self, "factor", factor)
        self._setup([(0.0, 0.0, 1.0, 0.0, 2 * math.pi), (0.0, 0.0, factor, 0.0, 2 * math.pi)])

    def parameters(self) -> dict[str, object]:
        return {"noise": self.noise, "factor": self.factor, "split": self.split}

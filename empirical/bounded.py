"""Bounded-support truths: inside the paper's assumption of bounded data (THEORY section 8).

Public API: ``Bump(center, radius)``, the C-infinity, compactly supported product density
prod_k b((x_k - c_k) / r) / r with b(u) = exp(-1 / (1 - u^2)) / Z on (-1, 1), with the methods
of the truths in ``empirical.truths`` (which re-exports it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import integrate

from bounds import validate
from empirical.points import as_points, check_box, check_rng, check_size

__all__ = ["Bump"]


def _bump_kernel(u: float) -> float:
    return math.exp(-1.0 / (1.0 - u * u)) if abs(u) < 1 else 0.0


@cache
def _bump_constant() -> float:
    """Z = int_{-1}^{1} exp(-1 / (1 - u^2)) du (about 0.443994), by adaptive quadrature."""
    value, _ = integrate.quad(_bump_kernel, -1.0, 1.0, epsabs=1e-15, epsrel=1e-13)
    return value


@cache
def _bump_second_moment() -> float:
    """E[U^2] for U with density b on (-1, 1) (about 0.1236), by adaptive quadrature."""
    value, _ = integrate.quad(lambda u: u * u * _bump_kernel(u), -1.0, 1.0, epsabs=1e-15)
    return value / _bump_constant()


def _bump_cdf(u: float) -> float:
    """P(U <= u) for U with density b on (-1, 1)."""
    if u <= -1:
        return 0.0
    if u >= 1:
        return 1.0
    value, _ = integrate.quad(_bump_kernel, -1.0, u, epsabs=1e-15, epsrel=1e-13)
    return value / _bump_constant()


@dataclass(frozen=True, eq=False)
class Bump:
    """Product of scaled 1-D bumps, supported on the box center +- radius (C-infinity, compact).

    pdf(x) = prod_k exp(-1 / (1 - u_k^2)) / (Z r), u_k = (x_k - c_k) / r, |u_k| < 1.
    """

    center: object = 0.0
    radius: float = 1.0

    def __post_init__(self) -> None:
        center = validate.vector("center", self.center)
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "radius", validate.positive("radius", self.radius))

    @property
    def dim(self) -> int:
        return self.center.size

    def logpdf(self, x: object) -> np.ndarray:
        """sum_k [-1/(1 - u_k^2) - log(Z r)], and -inf outside the support."""
        u = (as_points(x, self.dim) - self.center) / self.radius
        inside = np.all(np.abs(u) < 1, axis=1)
        out = np.full(u.shape[0], -np.inf)
        ui = u[inside]
        out[inside] = np.sum(-1.0 / (1.0 - ui * ui), axis=1) - self.dim * math.log(
            _bump_constant() * self.radius
        )
        return out

    def pdf(self, x: object) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Each coordinate by rejection from Uniform(-1, 1), accepted with prob b(u) / b(0)."""
        rng = check_rng(rng)
        total = check_size(size) * self.dim
        accepted: list[np.ndarray] = []
        count = 0
        while count < total:
            u = rng.uniform(-1.0, 1.0, size=max(16, int(1.7 * (total - count))))
            keep = u[rng.uniform(size=u.size) < np.exp(1.0 - 1.0 / (1.0 - u * u))]
            accepted.append(keep)
            count += keep.size
        u = np.concatenate([np.empty(0), *accepted])[:total].reshape(-1, self.dim)
        return self.center + self.radius * u

    def bounding_box(self, tail: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """The support itself (outside mass 0 for every ``tail``)."""
        validate.real("tail", tail, 0.0, 1.0)
        return self.center - self.radius, self.center + self.radius

    def outside_mass(self, lo: object, hi: object) -> float:
        """Union bound over coordinates, each marginal mass by quadrature (error < 1e-12)."""
        lo_arr, hi_arr = check_box(lo, hi, self.dim)
        total = 0.0
        for k in range(self.dim):
            a = (lo_arr[k] - self.center[k]) / self.radius
            b = (hi_arr[k] - self.center[k]) / self.radius
            total += _bump_cdf(a) + 1.0 - _bump_cdf(b)
        return float(min(1.0, max(0.0, total)))

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(center, r^2 E[U^2] I), E[U^2] = int u^2 b(u) du / Z by quadrature."""
        return self.center.copy(), self.radius**2 * _bump_second_moment() * np.eye(self.dim)

    @property
    def length_scale(self) -> float:
        """0.2 r: sqrt(max b / max |b''|) = 0.218 r, rounded down."""
        return 0.2 * self.radius

    def parameters(self) -> dict[str, object]:
        return {"center": self.center.tolist(), "radius": self.radius}

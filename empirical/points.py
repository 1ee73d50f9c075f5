"""Argument checks shared by the densities of ``empirical``: point arrays, sizes, generators,
boxes and split rules.

Public API: ``as_points(x, dim)``, ``check_size(size)``, ``check_rng(rng)``, ``check_box(lo, hi,
dim)``, ``normal_box_z(tail, dim)``, ``check_split(split)``, ``draw_labels(size, weights,
split, rng)``, ``transform_rows(x, matrix)``, ``logsumexp_rows(logs, axis)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from bounds import validate

__all__ = [
    "SPLITS",
    "as_points",
    "check_box",
    "check_rng",
    "check_size",
    "check_split",
    "normal_box_z",
    "transform_rows",
    "draw_labels",
    "logsumexp_rows",
]

SPLITS = ("random", "even")
MIN_TAIL = 1e-300  # the smallest box tail: 2 d (1 - Phi(z)) = 1e-300 gives z = 37


def as_points(x: object, dim: int, name: str = "x") -> np.ndarray:
    """Return ``x`` as a finite float array of shape (k, dim); 1-D input is read as k points if
    dim == 1, else as one point."""
    dim = validate.size("dim", dim)
    arr = validate.array(name, x, min_size=0)
    if arr.ndim == 0 or (arr.ndim == 1 and dim == 1):
        arr = arr.reshape(-1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape (k, dim) with dim {dim}, got shape {arr.shape}")
    return arr


def transform_rows(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """x @ matrix for many rows and a small matrix, by ``einsum`` rather than BLAS: a
    multithreaded BLAS call on a (k, d) x (d, d) product costs far more than it computes when
    the cores are shared."""
    return np.einsum("ni,ij->nj", x, matrix)


def logsumexp_rows(logs: np.ndarray, axis: int, overwrite: bool = False) -> np.ndarray:
    """log sum exp along ``axis``, shifted by the maximum (finite if any term is); -inf where
    every term is -inf. With ``overwrite`` the shifted terms are formed in ``logs`` itself."""
    top = np.max(logs, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(top), top, 0.0)
    terms = np.subtract(logs, shift, out=logs if overwrite else None)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(terms, out=terms), axis=axis, keepdims=True)) + shift
    return np.squeeze(out, axis=axis)


def check_size(size: object) -> int:
    """A sample size in [0, ``validate.MAX_SIZE``] (the limit keeps an allocation possible)."""
    return validate.size("size", size, minimum=0)


def check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {validate.shown(rng)}")
    return rng


def _box_end(name: str, value: object, dim: int) -> np.ndarray:
    arr = validate.array(name, value)
    if arr.ndim == 0:
        return np.full(dim, float(arr))
    if arr.shape != (dim,):
        raise ValueError(f"{name} must be a number or a vector of shape ({dim},), got {arr.shape}")
    return arr


def check_box(lo: object, hi: object, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) as finite vectors of length ``dim`` (a number is the same on every axis),
    lo < hi on every axis."""
    dim = validate.size("dim", dim)
    lo_arr, hi_arr = _box_end("lo", lo, dim), _box_end("hi", hi, dim)
    if not np.all(lo_arr < hi_arr):
        raise ValueError(f"the box must have lo < hi on every axis, got lo={lo!r}, hi={hi!r}")
    return lo_arr, hi_arr


def normal_box_z(tail: object, dim: int) -> float:
    """z with 2 d (1 - Phi(z)) = tail: the half-width in standard deviations of a box whose
    outside mass is at most ``tail`` by the union bound over the d marginals. ``tail`` below
    ``MIN_TAIL`` is refused: z would pass the float range (inf at 5e-324)."""
    dim = validate.size("dim", dim)
    tail = validate.real("tail", tail, MIN_TAIL, 1.0)
    z = float(-special.ndtri(tail / (2 * dim)))
    if not math.isfinite(z):
        raise ValueError(f"tail must be >= {MIN_TAIL:g} per axis for dim {dim}, got {tail!r}")
    return z


def check_split(split: object) -> str:
    return validate.choice("split", split, SPLITS)


def draw_labels(size: int, weights: np.ndarray, split: str, rng: np.random.Generator) -> np.ndarray:
    """Component labels of ``size`` draws from a mixture with ``weights``, in random order.

    ``"random"``: i.i.d. labels, P(k) = w_k. ``"even"``: stratified counts floor(size w_k), the
    remainder one each to the largest fractional parts (ties to the lower index), then shuffled;
    with equal weights this is scikit-learn's ``make_blobs`` rule (size // k each, the first
    size % k components one more). An even sample is not i.i.d. from the mixture.
    """
    if split == "random":
        return rng.choice(weights.size, size=size, p=weights)
    exact = size * weights
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: size - int(counts.sum())]] += 1
    return rng.permutation(np.repeat(np.arange(weights.size), counts))

"""Case on ``empirical.diffusion``: closed-form training against gradient descent.

``diffusion_training``: the readout A(tau) of the gradient flow dA/dtau = B - A H at tau = 1e4 by
``gradient_flow`` (one eigen-decomposition of the M x M kernel), against explicit gradient
descent A <- A + eta (B - A H) with the stable step eta = 1 / mu_max, run until its loss is at
most the flow's (checked every 16 steps), on the same normal equations (N = 3000, 8 draws,
M = 256; assembling them is shared and not timed). Agreement: the readouts differ by at most
2 * 16 / k relative (k the steps descent took): stopping on a check every 16 steps moves it by up
to 16 / k of its run, and Euler's first-order error is below that at eta = 1 / mu_max.
"""

from __future__ import annotations

import numpy as np

from benchmarks.runner import Case, Peer
from empirical.diffusion import NormalEquations, RandomFeatures, assemble, gradient_flow
from empirical.truths import Gaussian

CHECK_EVERY = 16


def descend_to_loss(eqs: NormalEquations, loss: float, max_steps: int) -> tuple[np.ndarray, int]:
    """Gradient descent from A = 0 at step 1 / mu_max until L(A) <= ``loss``."""
    H = eqs.kernel
    eta = 1.0 / float(np.linalg.eigvalsh(H)[-1])
    A, steps = np.zeros_like(eqs.B), 0
    while steps < max_steps:
        for _ in range(CHECK_EVERY):
            A = A + eta * (eqs.B - A @ H)
        steps += CHECK_EVERY
        if eqs.loss(A) <= loss:
            break
    return A, steps


def diffusion_training(smoke: bool) -> Case:
    n, width, tau = (200, 32, 1e3) if smoke else (3000, 256, 1e4)
    rng = np.random.default_rng(0)
    X = Gaussian([0.0], [[1.0]]).sample(n, rng)
    features = RandomFeatures.draw(width, 1, rng, bias_scale=2.0)
    eqs = assemble(features, X, 8, 1e-3, 5.0, rng)
    target = eqs.loss(gradient_flow(eqs, tau))
    max_steps = int(4 * tau * np.linalg.eigvalsh(eqs.kernel)[-1]) + CHECK_EVERY

    def agree(A: np.ndarray, theirs: tuple[np.ndarray, int]) -> tuple[bool, str]:
        descent, steps = theirs
        gap = abs(eqs.loss(A) - eqs.loss(descent)) / eqs.loss(A)
        readout = np.abs(descent - A).max() / np.abs(A).max()
        tol = 2 * CHECK_EVERY / steps
        detail = (
            f"readout relative gap {readout:.1e} <= {tol:.1e} after {steps} steps; "
            f"loss relative gap {gap:.1e}"
        )
        return readout <= tol, detail

    return Case(
        "diffusion_training",
        f"diffusion training, N = {n}, M = {width}, tau = {tau:g}: closed form vs descent",
        lambda: gradient_flow(eqs, tau),
        [
            Peer(
                "gradient descent to the same loss",
                0.05,
                lambda: descend_to_loss(eqs, target, max_steps),
                agree,
            )
        ],
        lambda A: {"loss": eqs.loss(A), "rows": eqs.rows},
    )

"""Diffusion with a one-hidden-layer random-feature score (Li et al. 2023), trained in closed form.

Modules: ``process`` (OU forward process, prior, time grid, exact Gaussian score), ``features``
(random ReLU features and the score they span), ``training`` (denoising score matching and its
gradient flow), ``sampling`` (ODE and SDE samplers), ``density`` (the samplers' exact output
densities), ``model`` (``DiffusionModel``, the loop-ready model).
"""

from empirical.diffusion.density import Pushforward1D, PushforwardNewton, SDEGridDensity1D
from empirical.diffusion.features import RandomFeatures, RandomFeatureScore, time_embedding
from empirical.diffusion.model import DiffusionModel, fit_path
from empirical.diffusion.process import GaussianScore, MixtureScore, time_grid
from empirical.diffusion.sampling import (
    ode_flow,
    ode_flow_by_pieces,
    ode_flow_with_jacobian,
    sde_sample,
    sde_sample_by_pieces,
)
from empirical.diffusion.training import (
    NormalEquations,
    assemble,
    gradient_descent,
    gradient_flow,
    weighted_score_error,
)

__all__ = [
    "DiffusionModel",
    "fit_path",
    "GaussianScore",
    "MixtureScore",
    "NormalEquations",
    "Pushforward1D",
    "PushforwardNewton",
    "RandomFeatureScore",
    "RandomFeatures",
    "SDEGridDensity1D",
    "assemble",
    "gradient_descent",
    "gradient_flow",
    "ode_flow",
    "ode_flow_by_pieces",
    "ode_flow_with_jacobian",
    "sde_sample",
    "sde_sample_by_pieces",
    "time_embedding",
    "time_grid",
    "weighted_score_error",
]

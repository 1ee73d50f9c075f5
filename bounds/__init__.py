"""Total-variation bounds for self-consuming generative models (Fu et al., ICML 2024).

``bound(scenario, error_model)`` gives Theorem R's bound B_i on TV(p_i, p_0) as a formula that
evaluates fast over numpy arrays and to any precision with mpmath.
"""

from bounds.errors import (
    ErrorModel,
    diffusion_early_stopped,
    diffusion_random_features,
    from_expression,
    power_law,
)
from bounds.propagation import Bound, bound
from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace, Scenario

__all__ = [
    "Accumulate",
    "Augment",
    "Bound",
    "Custom",
    "ErrorModel",
    "Proportion",
    "Replace",
    "Scenario",
    "bound",
    "diffusion_early_stopped",
    "diffusion_random_features",
    "from_expression",
    "power_law",
]
__version__ = "0.1.0"

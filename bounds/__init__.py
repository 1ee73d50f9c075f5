"""Total-variation bounds for self-consuming generative models (Fu et al., ICML 2024)."""

from bounds.scenarios import Accumulate, Augment, Custom, Proportion, Replace, Scenario

__all__ = ["Accumulate", "Augment", "Custom", "Proportion", "Replace", "Scenario"]
__version__ = "0.1.0"

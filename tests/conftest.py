"""Test settings: hypothesis is deterministic by default, so a run is reproducible.

``pytest --hypothesis-profile=explore`` searches fresh random examples, many more of them.
"""

from hypothesis import settings

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=500, deadline=None)
settings.load_profile("default")

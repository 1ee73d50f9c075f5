"""The named choices of a run specification, in a module light enough for the command line to
read without importing the models."""

REAL_MODES = ("fixed", "fresh")
"""Real data: one pool drawn once (fixed), or fresh draws every generation."""

SUBSAMPLE_RULES = ("counts", "pool")
"""How a scenario that keeps synthetic data takes its training set: the scenario's whole counts
per source, or uniform without replacement from the whole pool, fresh each generation."""

METRICS = ("nll", "kl", "moments")
"""Record fields beside TV: held-out NLL of 500 real points, KL(p_i || p_0) on the TV grid,
drift of the mean and covariance (``empirical.metrics``)."""

"""Benchmarks: every case against its peers in one run (``python -m benchmarks``).

Modules: ``timing`` (the timer), ``runner`` (cases, peers, verdicts, the table, the
environment), ``bound_cases``, ``kde_cases``, ``diffusion_cases`` (the cases), ``peers`` (peer
estimators as loop models), ``curves`` (cost against size, ``--curves``).
"""

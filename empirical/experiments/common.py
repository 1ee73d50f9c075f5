"""What several experiments share: Li et al.'s TV rate and the counting of verdicts into the
outcome of a claim."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from empirical.experiments import Table
from empirical.verify import VERDICTS

__all__ = ["ALPHA", "count_verdicts", "counts_text", "level1_table", "outcome"]

ALPHA = 0.2  # Li et al.'s TV rate N^(-1/5)


def count_verdicts(rows: Iterable[Mapping]) -> dict[str, int]:
    """How many rows are "holds", "violated" and "inconclusive" (every verdict, zeros kept)."""
    found = Counter(row["verdict"] for row in rows)
    unknown = set(found) - set(VERDICTS)
    if unknown:
        raise ValueError(f"verdicts must be among {VERDICTS}, got {sorted(unknown)}")
    return {v: found[v] for v in VERDICTS}


def counts_text(counts: Mapping[str, int]) -> str:
    """ "1198 hold, 0 violated, 2 inconclusive (of 1200)"."""
    total = sum(counts.values())
    return (
        f"{counts['holds']} hold, {counts['violated']} violated, "
        f"{counts['inconclusive']} inconclusive (of {total})"
    )


def outcome(counts: Mapping[str, int]) -> str:
    """A claim "every row holds": "not supported" if any row is violated, "supported" if every
    row holds (and there is one), else "not resolved"."""
    if counts["violated"]:
        return "not supported"
    if counts["holds"] and not counts["inconclusive"]:
        return "supported"
    return "not resolved"


def level1_table(name: str, level1: Sequence[Mapping], group_of: Mapping[str, str]) -> Table:
    """Level 1 (``check_propagation`` rows) summarised per group of runs (``group_of``: run key
    to its group's label): verdict counts and the smallest margin beyond generation 1."""
    rows = []
    for group in dict.fromkeys(group_of.values()):
        mine = [r for r in level1 if group_of[r["run"]] == group]
        counts = count_verdicts(mine)
        later = [r for r in mine if r["generation"] > 1] or mine
        worst = min(later, key=lambda r: r["margin"])
        rows.append(
            [
                group,
                len({r["run"] for r in mine}),
                len(mine),
                counts["holds"],
                counts["violated"],
                counts["inconclusive"],
                worst["margin"],
                worst["generation"],
                worst["tolerance"],
            ]
        )
    return Table(
        name,
        ["runs of", "runs", "rows", "hold", "violated", "inconclusive", "min margin", "at i", "±"],
        rows,
        caption="Level 1 (Theorem R in every run): verdicts of the (run, generation) rows and the"
        " smallest margin ε_i + Σ_j w_ij δ_j − δ_i beyond generation 1 (where δ_1 = ε_1"
        " exactly), with its tolerance.",
    )

"""Cases, peers and the run: every case against each of its peers, in the same run.

A ``Case`` has our call and its ``Peer`` calls; each peer has a target (the largest acceptable
median of the pairwise ratios ours / theirs) and an agreement check on the two results, so a fast
wrong answer fails. A peer whose package is not installed is skipped with the reason. A peer
timed on part of the work (a few generations of a loop whose generations all cost the same) has
its time multiplied by ``scale`` to the whole work; the table says so.

Verdicts per peer: "met" / "missed" (speed; agreement held), "disagree" (the results differ by
more than the stated tolerance), "error" (a call raised), "skipped" (peer not installed).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import importlib.util
import os
import platform
import statistics
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.timing import interleaved, timed

Agreement = Callable[[Any, Any], tuple[bool, str]]

PEER_PACKAGES = {"sklearn": "scikit-learn", "KDEpy": "KDEpy"}
VERSIONED = ("numpy", "scipy", "sympy", "mpmath", "scikit-learn", "KDEpy")


def missing(module: str) -> str | None:
    """None when ``module`` imports, else the reason a peer using it is skipped."""
    if importlib.util.find_spec(module) is not None:
        return None
    package = PEER_PACKAGES.get(module, module)
    return f"{package} not installed (pip install '.[bench]')"


@dataclass
class Peer:
    """One peer of a case: its call, target ratio, agreement check and time scale."""

    name: str
    target: float
    run: Callable[[], Any] | None
    agree: Agreement
    scale: float = 1.0
    skipped: str | None = None
    note: str = ""


@dataclass
class Case:
    """Our call, its peers, and ``extra``: further numbers computed once from our result."""

    name: str
    title: str
    ours: Callable[[], Any]
    peers: list[Peer]
    extra: Callable[[Any], dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)


def _summary(ratios: list[float]) -> dict[str, float]:
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


def run_peer(case: Case, peer: Peer, ours_result: Any, repeats: int) -> dict[str, Any]:
    """Time ``peer`` against ``case.ours`` (interleaved), check agreement, give the verdict."""
    row: dict[str, Any] = {"peer": peer.name, "target": peer.target, "scale": peer.scale}
    if peer.note:
        row["note"] = peer.note
    if peer.skipped is not None:
        return {**row, "verdict": "skipped", "reason": peer.skipped}
    try:
        mine, theirs, result = interleaved(case.ours, peer.run, repeats)
        agrees, detail = peer.agree(ours_result, result)
    except Exception as exc:  # a failing peer is reported, the run goes on
        return {**row, "verdict": "error", "reason": _error_text(exc)}
    ratios = [a / (b * peer.scale) for a, b in zip(mine, theirs, strict=True)]
    summary = _summary(ratios)
    if not agrees:
        verdict = "disagree"
    else:
        verdict = "met" if summary["median"] <= peer.target else "missed"
    return {
        **row,
        "verdict": verdict,
        "agreement": detail,
        "ratios": ratios,
        **summary,
        "ours_seconds": mine,
        "peer_seconds": theirs,
    }


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} (at {os.path.basename(last.filename)}:{last.lineno})"


def run_case(name: str, build: Callable[[bool], Case], smoke: bool, repeats: int) -> dict:
    """Build the case at its smoke or full size, warm our call up once, run every peer."""
    try:
        case = build(smoke)
        warm_seconds, ours_result = timed(case.ours)
        extra = case.extra(ours_result) if case.extra else {}
    except Exception as exc:
        return {"name": name, "verdict": "error", "reason": _error_text(exc), "peers": []}
    peers = [run_peer(case, peer, ours_result, repeats) for peer in case.peers]
    verdicts = {p["verdict"] for p in peers}
    worst = next((v for v in ("error", "disagree", "missed", "met") if v in verdicts), "skipped")
    return {
        "name": name,
        "title": case.title,
        "verdict": worst,
        "warm_up_seconds": warm_seconds,
        "extra": extra,
        "notes": case.notes,
        "peers": peers,
    }


def failed(results: dict) -> list[str]:
    """Names of the cases that errored or disagree with a peer (speed never fails a run)."""
    out = []
    for case in results["cases"]:
        bad = case["verdict"] == "error" or any(
            p["verdict"] in ("error", "disagree") for p in case["peers"]
        )
        if bad:
            out.append(case["name"])
    return out


def _blas() -> dict[str, str]:
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older numpy: no dict mode
        return {}
    return {k: str(deps[k]) for k in ("name", "version", "openblas configuration") if k in deps}


def environment() -> dict[str, Any]:
    """Package versions, the machine (cores, platform, BLAS, load) and the date, UTC."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "blas": _blas(),
            "load_average_at_start": list(load) if load else None,
        },
        "argv": sys.argv[1:],
    }


def run_all(
    cases: dict[str, Callable[[bool], Case]], smoke: bool, repeats: int, only: list[str] | None
) -> dict[str, Any]:
    """Every case (or those in ``only``), with the environment."""
    if only:
        unknown = sorted(set(only) - set(cases))
        if unknown:
            raise ValueError(f"--only must name cases among {sorted(cases)}, got {unknown}")
    chosen = [n for n in cases if not only or n in only]
    results = {**environment(), "mode": "smoke" if smoke else "full", "repeats": repeats}
    results["cases"] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results["cases"].append(run_case(name, cases[name], smoke, repeats))
    return results


def table(results: dict) -> str:
    """The results as a Markdown table: one row per (case, peer)."""
    lines = [
        "| case | peer | ratio ours/theirs, median | min-max | target | verdict | agreement |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        if case["verdict"] == "error" and not case["peers"]:
            lines.append(f"| {case['name']} | - | - | - | - | error | {case['reason']} |")
            continue
        for p in case["peers"]:
            peer = p["peer"] + (f" (time x{p['scale']:.3g})" if p["scale"] != 1 else "")
            if "median" in p:
                cells = [f"{p['median']:.3g}", f"{p['min']:.3g}-{p['max']:.3g}"]
                agreement = p["agreement"]
            else:
                cells, agreement = ["-", "-"], p["reason"]
            row = [case["name"], peer, *cells, f"<= {p['target']:g}", p["verdict"], agreement]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)

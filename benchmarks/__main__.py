"""``python -m benchmarks``: run every case against its peers, print the table, write the results.

Options: ``--smoke`` (tiny sizes, one repeat; exit status 1 when a case errors or disagrees with
a peer, never for speed), ``--only NAME`` (repeatable), ``--repeats K`` (pairs per peer,
default 3), ``--output PATH`` (default ``benchmarks/results.json`` for a full run of every
case; a smoke or ``--only`` run writes only when given one), ``--curves`` (the cost curves of
``benchmarks.curves`` instead of the table, written to ``docs/performance/`` and
``benchmarks/curves.json``, or to the directory ``--output``), ``--blas-threads K`` (default 1:
on a shared machine one thread per side gives steadier pairs; 0 leaves the pools as configured).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from benchmarks import bound_cases, diffusion_cases, kde_cases
from benchmarks.runner import failed, run_all, table

CASES = {
    "augment": bound_cases.augment,
    "thresholds": bound_cases.thresholds,
    "kde_loop_1d": kde_cases.kde_loop_1d,
    "kde_2d": kde_cases.kde_2d,
    "diffusion_training": diffusion_cases.diffusion_training,
    "blobs": kde_cases.blobs,
}
RESULTS = Path(__file__).parent / "results.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--only", action="append", choices=sorted(CASES), help="run this case")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved pairs per peer")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    parser.add_argument("--curves", action="store_true", help="write the cost curves instead")
    parser.add_argument(
        "--blas-threads", type=int, default=1, help="BLAS/OpenMP threads (0: as configured)"
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.blas_threads < 0:
        parser.error(f"--blas-threads must be >= 0, got {args.blas_threads}")
    if args.curves and args.smoke and args.output is None:
        parser.error(
            "--curves --smoke needs --output DIR (the documented figures stay as they are)"
        )
    return args


def thread_limit(threads: int) -> tuple[AbstractContextManager, str]:
    """A context limiting BLAS and OpenMP pools to ``threads`` (0: no limit), and its label."""
    if threads == 0:
        return nullcontext(), "as configured"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext(), "as configured (threadpoolctl not installed)"
    return threadpool_limits(limits=threads), str(threads)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    limit, threads = thread_limit(args.blas_threads)
    with limit:
        if args.curves:
            from benchmarks import curves

            curves.main(smoke=args.smoke, directory=args.output)
            return 0
        repeats = args.repeats or (1 if args.smoke else 3)
        results = run_all(CASES, args.smoke, repeats, args.only)
    results["blas_threads"] = threads
    print(f"{results['mode']} run, {repeats} pair(s) per peer, BLAS threads {threads}, ", end="")
    print(results["date"])
    print(table(results))
    for case in results["cases"]:
        for key, value in case.get("extra", {}).items():
            print(f"  {case['name']}: {key} = {value}")
        for note in case.get("notes", []):
            print(f"  {case['name']}: {note}")
    output = args.output or (None if args.smoke or args.only else RESULTS)
    if output is not None:
        output.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {output}")
    bad = failed(results)
    if bad:
        print(f"FAILED (error or disagreement): {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Running run specs from the command line: size limits and output checks before anything is
computed, the executor (here, a process pool, or Dask), progress on stderr, one-line failures.

Every run goes through ``empirical.sweep.sweep``: records are appended to one locked file as runs
finish, so running the same command again runs only what is not recorded yet.
"""

from __future__ import annotations

import logging
import pickle
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from bounds import validate
from bounds.io import FileBusyError
from empirical.cli.values import (
    MAX_GENERATIONS,
    MAX_JOBS,
    MAX_POINTS,
    MAX_RUNS,
    UsageError,
    shorten,
)
from empirical.records import RecordsFileError
from empirical.spec import RunSpec
from empirical.sweep import recorded_keys, sweep

__all__ = [
    "MAX_GENERATIONS",
    "MAX_JOBS",
    "MAX_POINTS",
    "MAX_RUNS",
    "RunError",
    "check_output",
    "check_picklable",
    "check_sizes",
    "execute",
    "open_executor",
    "progress_enabled",
]

CONNECT_TIMEOUT = "10s"


class RunError(RuntimeError):
    """A run or a worker failed: one line, exit code 1 (what finished is recorded)."""


def check_sizes(specs: Sequence[RunSpec]) -> None:
    """Refuse grids beyond the stated limits (runs, generations, points per generation)."""
    if len(specs) > MAX_RUNS:
        raise UsageError(f"the grid has {len(specs)} runs; the limit is {MAX_RUNS}")
    seen: set[str] = set()
    for spec in specs:
        scenario = spec.scenario
        identity = f"{scenario.to_dict()}{spec.generations}"
        if identity in seen:
            continue
        seen.add(identity)
        if spec.generations > MAX_GENERATIONS:
            raise UsageError(f"--generations must be <= {MAX_GENERATIONS}, got {spec.generations}")
        largest = max(scenario.size(i) for i in range(1, spec.generations + 1))
        if largest > MAX_POINTS:
            shown = f"{largest:,}" if largest < 10**30 else f"about 10^{len(str(largest)) - 1}"
            raise UsageError(
                f"scenario {shorten(str(scenario), 60)} trains on {shown} points in one "
                f"generation; the limit is {MAX_POINTS:.0e} points"
            )


def check_output(path: Path) -> None:
    """Refuse, before computing, an output that is a folder, in a missing folder or unwritable,
    or a file that is not a records file (it is never rewritten)."""
    try:
        path = validate.path("--output", path)
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    shown = str(path)
    if path.is_dir():
        raise UsageError(f"--output {shown!r} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"--output {shown!r}: folder {str(path.parent)!r} does not exist")
    try:  # the sweep's lock lives beside the file, so the folder must be writable
        with open(path.with_name(f".{path.name}.lock"), "a"):
            pass
        if path.exists():
            with open(path, "a"):
                pass
    except OSError as error:
        raise UsageError(f"--output {shown!r} cannot be written ({error.strerror})") from None
    try:
        recorded_keys(path)
    except RecordsFileError as error:
        raise UsageError(f"--output: {error}") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"--output {shown!r} is not a text file of records, so it is left untouched; "
            "choose another output file"
        ) from None


def check_picklable(specs: Sequence[RunSpec]) -> None:
    """Every spec must travel to another process (a pool or a Dask worker)."""
    for number, spec in enumerate(specs, start=1):
        try:
            pickle.dumps(spec)
        except Exception as error:  # PicklingError, AttributeError, TypeError: all mean "cannot"
            raise UsageError(
                f"run {number} of the grid (seed {spec.seed}) cannot be sent to worker processes"
                f" ({type(error).__name__}: "
                f"{error}); run it in this process (--jobs 1)"
            ) from None


@contextmanager
def open_executor(
    jobs: int, runs: int, scheduler: str | None = None, local_dask: bool = False
) -> Iterator[Executor | None]:
    """The executor of a command: Dask at ``scheduler`` (or a local Dask cluster of ``jobs``
    worker processes), a pool of ``jobs`` processes, or None (this process)."""
    if scheduler is None and not local_dask:
        if jobs > 1 and runs > 1:
            pool = ProcessPoolExecutor(min(jobs, runs))
            try:
                yield pool
            finally:
                pool.shutdown(cancel_futures=True)  # on Ctrl-C, start nothing more
        else:
            yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--scheduler and --dask need dask.distributed:"
            " pip install 'self-consuming-bounds[dask]'"
        ) from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as error:
            message = " ".join(str(error).split())
            raise UsageError(f"--scheduler {scheduler!r}: cannot connect ({message})") from None
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    executor = client.get_executor()
    try:
        yield executor
    finally:
        executor.shutdown(wait=False)  # cancels what has not finished
        client.close()
        if cluster is not None:
            cluster.close()


class _Progress:
    """A tqdm bar of runs on stderr (done, failed, ETA); silent when disabled."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, unit="run", file=sys.stderr, disable=not enabled, dynamic_ncols=True
        )
        self.failed = 0
        self.bar.set_postfix(failed=0, refresh=False)

    def done(self, spec: RunSpec, records: list[dict]) -> None:
        self.bar.update(1)

    def fail(self) -> None:
        self.failed += 1
        self.bar.set_postfix(failed=self.failed)

    def close(self) -> None:
        self.bar.close()


def progress_enabled(quiet: bool) -> bool:
    """Progress only for a person watching: stderr is a terminal and --quiet is not given."""
    return not quiet and sys.stderr.isatty()


def execute(
    specs: Sequence[RunSpec],
    path: Path,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    local_dask: bool = False,
    progress: bool = False,
) -> int:
    """Run the specs ``path`` does not hold yet; return how many ran."""
    check_sizes(specs)
    check_output(path)
    if scheduler is not None or local_dask or (jobs > 1 and len(specs) > 1):
        check_picklable(specs)
    todo = len({spec.key() for spec in specs} - recorded_keys(path))
    with open_executor(jobs, todo, scheduler, local_dask) as executor:
        bar = _Progress(todo, progress)
        try:
            return sweep(specs, path, executor, bar.done)
        except FileBusyError as error:
            raise UsageError(str(error)) from None
        except RecordsFileError as error:
            raise UsageError(f"--output: {error}") from None
        except BrokenProcessPool:
            bar.fail()
            raise RunError(
                f"a worker process died (out of memory?); the runs that finished are in "
                f"{path}: run the command again to resume"
            ) from None
        except (pickle.PicklingError, AttributeError) as error:
            if "pickle" not in str(error).lower():
                raise
            bar.fail()
            raise UsageError(f"a run cannot be sent to worker processes: {error}") from None
        except BaseException:
            bar.fail()
            raise
        finally:
            bar.close()

"""Run a validation sweep's refits in this process or on a Dask cluster.

A sweep is a list of tasks, each a module-level function of the case's refitter and its own arguments that
returns small results (table rows). On Dask, each task carries the case and the sampler settings; each
worker process builds its refitter the first time it needs it, loading the compiled model from
the compile cache (no compile per task), and the results come back in task order. Every task carries its
own seed, so a sweep gives the same results on any number of workers as in one process.

`cluster()` gives a client for `reportedly check`: local worker processes by default, or an existing
cluster's scheduler (`--scheduler tcp://host:8786`, whose workers must have this package and the same
compile cache settings: PYTENSOR_FLAGS=base_compiledir=... and NUMBA_CACHE_DIR on a shared disk, or their own).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

from reportedly.errors import ReportedlyError
from reportedly.validation.refit import Progress, Refitter, make_refitter

log = logging.getLogger(__name__)
# The refitters a worker process has built, by case and sampler settings.
_REFITTERS: dict[str, Refitter] = {}


def default_workers() -> int:
    """Local worker processes: one per two cores (each fit already runs its chains at once, a thread each; on two
    cores a second worker did not measurably shorten a check: README, Validation on a cluster)."""
    return max(1, (os.cpu_count() or 1) // 2)


@contextlib.contextmanager
def cluster(workers: int, scheduler: str | None = None) -> Iterator[object | None]:
    """A Dask client: of the cluster at `scheduler`, or of `workers` local worker processes; with neither
    (workers 0), None, and sweeps run in this process."""
    if scheduler is None and workers == 0:
        yield None
        return
    from distributed import Client, LocalCluster

    for name in ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]:
        logging.getLogger(name).setLevel(logging.ERROR)   # the scheduler and workers' chatter, shutdown included

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ReportedlyError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                                  "'dask scheduler' and workers with 'dask worker ADDRESS', or leave out --scheduler "
                                  "to use local worker processes") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",   # any free port
                      silence_logs=logging.ERROR) as local, Client(local) as client:
        yield client


def run_tasks(refitter: Refitter, task: Callable, arguments: list[tuple], stage: str, progress: Progress) -> list:
    """`task(refitter, *args)` for each of `arguments`, in order."""
    total = len(arguments)
    if refitter.client is None:
        results = []
        for done, args in enumerate(arguments, start=1):
            results.append(task(refitter, *args))
            progress(stage, done, total)
        return results
    from distributed import as_completed

    client = refitter.client
    recipe = (refitter.case, refitter.sampler)
    futures = [client.submit(_on_worker, recipe, task, args, pure=False) for args in arguments]
    for done, _ in enumerate(as_completed(futures), start=1):
        progress(stage, done, total)
    return client.gather(futures)


def _on_worker(recipe: tuple, task: Callable, args: tuple):
    case, sampler = recipe
    key = f"{case.root}|{case.name}|{case.as_of}|{case.fingerprint()}|{sampler.model_dump_json()}"
    if key not in _REFITTERS:
        _REFITTERS[key] = make_refitter(case, sampler)
    return task(_REFITTERS[key], *args)

"""Simulations per minute of simulation-based calibration against the number of Dask workers (local cluster)."""

from __future__ import annotations

import time
from pathlib import Path

from reportedly.inputs.case import load_case
from reportedly.validation.calibration import run_sbc
from reportedly.validation.refit import make_refitter
from reportedly.validation.sweep import cluster


def sweep_rates(root: Path, workers=(0, 1, 2), sims: int = 24) -> list[dict]:
    """`sims` calibration refits of the shipped case at check's settings (4 chains x 500 draws after 500 tuning
    steps), in this process (0) or on a local cluster of each number of workers; the compiled model is cached."""
    case = load_case(root)
    sampler = case.spec.sampler.model_copy(update={"draws": 500, "tune": 500, "chains": 4})
    rows, first = [], None
    for n in workers:
        with cluster(n) as client:
            refitter = make_refitter(case, sampler, client)
            started = time.perf_counter()
            table = run_sbc(refitter, sims, seed=1)
            seconds = time.perf_counter() - started
        first = table if first is None else first
        rows.append({"workers": n, "sims": sims, "seconds": seconds, "sims_per_minute": 60 * sims / seconds,
                     "same_results_as_in_process": bool(table.equals(first))})
    return rows

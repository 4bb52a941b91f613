"""Seed sweep: does the shipped case pass the diagnostics gate whatever the seed?

    ./run.sh bench --only-seeds [--seeds 100]    merges "seeds" into bench/results.json

One compiled model, sampled with seeds 0..N-1 and the model file's sampler settings; for each seed the
gate's verdict, the worst R-hat and the worst bulk ESS over every quantity the gate judges, and which.
"""

from __future__ import annotations

import time
from pathlib import Path

from reportedly.case import load_case
from reportedly.compiled import compile_design
from reportedly.design import build_design
from reportedly.estimate import KEPT, reported_quantities
from reportedly.fit import diagnose, sample_compiled
from reportedly.posterior import Estimates


def sweep(root: Path, seeds: int) -> dict:
    case = load_case(root)
    design = build_design(case)
    compiled = compile_design(case.spec, design)
    rows = []
    for seed in range(seeds):
        started = time.perf_counter()
        tree = sample_compiled(compiled, case.spec.sampler, seed)
        sampling = time.perf_counter() - started
        est = Estimates(tree["posterior"].to_dataset()[KEPT], {"latest_report": case.latest_report.isoformat()}, case.spec)
        d = diagnose(reported_quantities(est), tree["sample_stats"].to_dataset())
        worst_rhat = max(d.max_rhat, key=d.max_rhat.get)
        worst_ess = min(d.min_ess_bulk, key=d.min_ess_bulk.get)
        rows.append({"seed": seed, "passed": d.passed, "divergences": d.divergences, "sampling_seconds": sampling,
                     "worst_rhat": d.max_rhat[worst_rhat], "worst_rhat_of": worst_rhat,
                     "worst_ess_bulk": d.min_ess_bulk[worst_ess], "worst_ess_of": worst_ess})
    return {"settings": case.spec.sampler.model_dump(), "rows": rows}

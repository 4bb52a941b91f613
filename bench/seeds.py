"""Seed sweep: does the shipped case pass the diagnostics gate whatever the seed?

    ./run.sh bench --only-seeds [--seeds 100]    merges "seeds" into bench/results.json
    ./run.sh bench --only-samplers               more tuning, or nutpie's low-rank mass matrix, over 10 seeds

One compiled model, sampled with seeds 0..N-1 and the model file's sampler settings, each stopping as `estimate`
stops (once the gate passes with room); for each seed the draws it took, the gate's verdict, the worst R-hat and
the worst bulk ESS over every quantity the gate judges, and which.
"""

from __future__ import annotations

import time
from pathlib import Path

from reportedly.fitting.compile_cache import compile_design
from reportedly.fitting.gate import Diagnostics, next_try
from reportedly.fitting.sampling import CHECK_EVERY, sample_compiled
from reportedly.inputs.case import load_case
from reportedly.model.design import build_design
from reportedly.workflows.estimate import gate_of


def sweep(root: Path, seeds: int, **settings) -> dict:
    """Seeds 0..seeds-1 under the model file's sampler settings, or these `settings` in their place. A seed that
    fails the gate is also judged as `estimate` would judge it: sampled again as `next_try` says."""
    case = load_case(root)
    case = case.with_sampler(**settings) if settings else case
    design = build_design(case)
    compiled = compile_design(case.spec, design)
    sampler = case.spec.sampler

    gate = gate_of(case, design)

    def judge(seed: int, sampler) -> tuple[Diagnostics, float, int]:
        started = time.perf_counter()
        tree = sample_compiled(compiled, sampler, seed, stop_when=lambda tree: gate(tree).settled)
        sampling = time.perf_counter() - started
        return gate(tree), sampling, tree["posterior"].sizes["draw"]

    rows = []
    for seed in range(seeds):
        d, sampling, draws = judge(seed, sampler)
        worst_rhat = max(d.max_rhat, key=d.max_rhat.get)
        worst_ess = min(d.min_ess_bulk, key=d.min_ess_bulk.get)
        row = {"seed": seed, "passed": d.passed, "divergences": d.divergences, "sampling_seconds": sampling,
               "draws": draws, "worst_rhat": d.max_rhat[worst_rhat], "worst_rhat_of": worst_rhat,
               "worst_ess_bulk": d.min_ess_bulk[worst_ess], "worst_ess_of": worst_ess}
        tried = sampler
        while retry := next_try(d, tried, sampler):
            tried, row["sampled_again_with"] = retry
            d, _, _ = judge(seed, tried)
            row["passed_again"] = d.passed
        rows.append(row)
    return {"settings": {**sampler.model_dump(), "check_every": CHECK_EVERY}, "rows": rows}


# Sampler settings tried against the shipped ones (see `sweep`): could a warm fit sample in less time?
ALTERNATIVES = {"500 tuning steps": {"tune": 500}, "low-rank mass matrix": {"adaptation": "low_rank"},
                "target acceptance 0.9": {"target_accept": 0.9}}


def alternatives(root: Path, seeds: int = 10) -> dict:
    """The seed sweep under each of ALTERNATIVES and under the shipped settings, `seeds` seeds each."""
    return {"shipped": sweep(root, seeds)} | {
        name: sweep(root, seeds, **settings) for name, settings in ALTERNATIVES.items()
    }

"""Synthetic cases of any size for the scale benchmark: claims simulated from the model's own prior.

    python bench/scale.py 20 200 2000     the time of one log density and gradient for each number of claims
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np

from reportedly.fitting.compile_cache import compile_design
from reportedly.fitting.gate import diagnose
from reportedly.fitting.nutpie_adapter import logp_at
from reportedly.fitting.sampling import sample
from reportedly.inputs.schema import RATINGS
from reportedly.inputs.spec import load_spec
from reportedly.model.builder import build_model
from reportedly.model.design import OPEN, Design
from reportedly.model.simulate import draw_truth, simulate_design
from reportedly.model.timing import claim_shares

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"s_a": "A", "s_b1": "B", "s_b2": "B", "s_c": "C", "s_d": "D", "s_f": "F"}
RULES = ["rounding", "lower", "upper"]


def synthetic_design(spec, n_claims: int, rng: np.random.Generator, running: np.ndarray | None = None) -> Design:
    """Random windows of one to 24 months, sources and wordings, for every flow and link quantity: each window starts
    in a month where `running` (quantity, month) is true, or after every flow's onset without it."""
    axis = spec.time.axis
    n_months = len(axis.months)
    quantities = spec.quantities
    if running is None:
        running = np.zeros((len(quantities), n_months), dtype=bool)
        running[:, axis.position(dt.date(2024, 12, 1))[0]:n_months - 1] = True
    reported = np.flatnonzero(running.any(axis=1))
    quantity_index = rng.choice(reported, n_claims)
    k0 = np.array([rng.choice(np.flatnonzero(running[q])) for q in quantity_index])
    k1 = np.minimum(k0 + rng.integers(1, 25, n_claims), n_months)
    f0, f1 = rng.uniform(0, 1, n_claims), np.zeros(n_claims)
    concentration = [spec.flows[spec.base_flow(quantities[q])].day_concentration for q in quantity_index]
    start_share, end_share = claim_shares(k0, f0, k1, f1, concentration)
    sources = list(SOURCES)
    return Design(
        claim_ids=[f"c{i}" for i in range(n_claims)], quantities=quantities, ratios=list(spec.ratios), sources=sources,
        source_rating=np.array([RATINGS.index(SOURCES[s]) for s in sources]),
        quantity_index=quantity_index, ratio_index=np.zeros(n_claims, dtype=int),
        is_conversion=np.zeros(n_claims, dtype=bool),
        k0=k0, f0=f0, k1=k1, f1=f1, start_share=start_share, end_share=end_share,
        source_index=rng.integers(0, len(sources), n_claims),
        log_lower=np.zeros(n_claims), log_upper=np.ones(n_claims), log_value=np.zeros(n_claims),
        rule=list(rng.choice(RULES, n_claims)), significant_figures=rng.integers(1, 3, n_claims),
        weight=np.ones(n_claims), is_onset=np.zeros(n_claims), onset_row=np.zeros(n_claims, dtype=int),
        onset_lower=np.full(n_claims, -OPEN), onset_upper=np.full(n_claims, OPEN),
    )


def synthetic_case(spec, n_claims: int, seed: int) -> Design:
    """Claims simulated from a truth drawn from the model's prior, each about a window that begins while its flow
    runs (a month carrying at least a hundredth of the flow's largest), as sources report on a flow. A window placed
    anywhere after the onsets mostly asks about flows the truth has already stopped: claims of about one unit, where
    the sampler crosses the edge of each flow's end in steps a hundredth of the usual (about 0.0015)."""
    rng = np.random.default_rng(seed)
    truth = draw_truth(build_model(spec, synthetic_design(spec, n_claims, rng)), seed)
    flow = truth["flow"]
    design = synthetic_design(spec, n_claims, rng, running=flow >= 0.01 * flow.max(axis=1, keepdims=True))
    return simulate_design(design, truth, seed)


def spec_over(n_months: int, adaptation: str = "diag"):
    """The shipped model file on an axis of `n_months` months ending in December 2025."""
    spec, _ = load_spec(ROOT / "models" / "dprk_russia.toml")
    spec = spec.model_copy(update={"sampler": spec.sampler.model_copy(update={"adaptation": adaptation})})
    end = dt.date(2025, 12, 1)
    first = end.year * 12 + end.month - n_months  # months since year 0 of the axis' first month, 0-based
    start = dt.date(first // 12, first % 12 + 1, 1)
    return spec.model_copy(update={"time": spec.time.model_copy(update={"start": start, "end": end})})


def fit_synthetic(n_claims: int, n_months: int, seed: int = 1, adaptation: str = "diag") -> dict:
    spec = spec_over(n_months, adaptation)
    simulated = synthetic_case(spec, n_claims, seed)

    def judged(tree):
        return diagnose(tree["posterior"].to_dataset()[["realised", "sigma"]], tree["sample_stats"].to_dataset())

    tree, timings = sample(spec, simulated, seed, stop_when=lambda tree: judged(tree).settled)
    d = judged(tree)
    return {"months_on_axis": len(spec.time.axis.months),
            "draws": tree["posterior"].sizes["draw"], "most_draws": spec.sampler.draws, "tune": spec.sampler.tune,
            "build_seconds": timings.build_seconds, "compile_seconds": timings.compile_seconds,
            "sampling_seconds": timings.sampling_seconds, "divergences": d.divergences,
            "steps_per_draw": float(tree["sample_stats"]["n_steps"].mean()),
            "min_ess_bulk": min(d.min_ess_bulk.values()),
            "passed": d.passed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def gradient_microseconds(n_claims: int, n_months: int = 120, calls: int = 300) -> float:
    """Microseconds of one log density and gradient of the compiled model of a synthetic case (compiled or loaded
    first), at a fixed point near the initial one."""
    spec = spec_over(n_months)
    compiled = compile_design(spec, synthetic_case(spec, n_claims, seed=1))
    point = np.random.default_rng(0).normal(0, 0.5, compiled.n_dim)
    logp_at(compiled, point)
    start = time.perf_counter()
    for _ in range(calls):
        logp_at(compiled, point)
    return 1e6 * (time.perf_counter() - start) / calls


if __name__ == "__main__":
    for n in map(int, sys.argv[1:]):
        print(f"{n:,} claims x 120 months: {gradient_microseconds(n):.0f} µs a log density and gradient", flush=True)

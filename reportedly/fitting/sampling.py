"""Run the sampler on a case's compiled model and judge the result. The only module that samples."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from reportedly.fitting.compile_cache import cancel, compile_design, logp_at, start_run, wait_for
from reportedly.model.design import Design
from reportedly.fitting.diagnostics import ess_bulk, rhat
from reportedly.errors import ReportedlyError
from reportedly.inputs.spec import ModelSpec, SamplerSpec

log = logging.getLogger(__name__)

# What the gate demands of every reported quantity.
MAX_RHAT = 1.01
MIN_ESS_BULK = 400
# A fit that fails the gate on mixing alone is sampled once more, with this many times the draws.
LONGER_RUN = 2
# Draws a chain between looks at whether a fit has enough, and how far past the gate's bulk ESS it must be then:
# an ESS estimate varies from seed to seed by about a tenth (bench/results.md, seed sweep), so 1.25 times the gate's
# is over two such deviations above it.
CHECK_EVERY = 250
ESS_MARGIN = 1.25


@dataclass(frozen=True)
class Timings:
    build_seconds: float      # the claims' design
    compile_seconds: float    # the model built and compiled, or loaded from the compile cache
    sampling_seconds: float


def sample_compiled(compiled, sampler: SamplerSpec, seed: int, progress: bool = False,
                    stop_when: Callable[[xr.DataTree], bool] | None = None) -> xr.DataTree:
    """Sample a compiled model: the posterior and the sampler's statistics, as a DataTree.

    With `stop_when`, the draws are looked at every CHECK_EVERY draws a chain and sampling stops as soon as
    `stop_when` says so (at most `sampler.draws` a chain). Each chain's draws depend on the seed alone, and the stop on the
    draws alone, so a seed gives the same draws wherever it stops.
    """
    run = start_run(compiled, sampler, seed, progress)
    try:
        for draws in range(CHECK_EVERY, sampler.draws, CHECK_EVERY) if stop_when else ():
            tree = _tree(*wait_for(run, draws), compiled.coords)
            if stop_when(tree):
                return tree
        return _tree(*wait_for(run, None if stop_when is None else sampler.draws), compiled.coords)
    finally:
        cancel(run)


def _tree(posterior: dict, stats: dict, coords: dict) -> xr.DataTree:
    def dataset(variables: dict) -> xr.Dataset:
        used = {dim for dims, _ in variables.values() for dim in dims}
        return xr.Dataset(variables, coords={k: v for k, v in coords.items() if k in used})

    return xr.DataTree.from_dict({"posterior": dataset(posterior), "sample_stats": dataset(stats)})


def posterior_of(tree: xr.DataTree, design: Design) -> xr.Dataset:
    """The posterior of `design`'s claims and sources, without the spare ones the compiled model has room for."""
    posterior = tree["posterior"].to_dataset()
    return posterior.sel(source=design.sources) if "source" in posterior.dims else posterior


def sample(spec: ModelSpec, design: Design, seed: int, progress: bool = False, build_seconds: float = 0.0,
           stop_when: Callable[[xr.DataTree], bool] | None = None) -> tuple[xr.DataTree, Timings]:
    """Build and compile the model (or load it from the compile cache), and sample it with nutpie (until
    `stop_when`, see `sample_compiled`).

    Returns the posterior and how long each step took.
    """
    t0 = time.perf_counter()
    compiled = compile_design(spec, design)
    check_starting_points(compiled, spec, design, seed)
    t1 = time.perf_counter()
    tree = sample_compiled(compiled, spec.sampler, seed, progress, stop_when)
    t2 = time.perf_counter()
    log.info("compiled in %.1f s, sampled in %.1f s", t1 - t0, t2 - t1)
    return tree, Timings(build_seconds, t1 - t0, t2 - t1)


def check_starting_points(compiled, spec: ModelSpec, design: Design, seed: int) -> None:
    """Refuse to sample from a point where the log density or its gradient is not finite, naming the claims
    responsible: the sampler would otherwise fail deep inside, or crash, naming nothing."""
    for chain in range(spec.sampler.chains):
        point = compiled.initial_point_func(seed + chain)
        logp, grad = logp_at(compiled, point)
        if np.isfinite(logp) and np.all(np.isfinite(grad)):
            continue
        culprits = claims_not_finite(spec, design, compiled, point)
        which = (f"claim(s) {', '.join(culprits)}: their printed figures are beyond what the model can represent"
                 if culprits else "no single claim: check the priors in the model file")
        raise ReportedlyError(f"the model's log density is not finite at its starting point, because of {which}; "
                              "correct them (reportedly claims --check) and fit again. Nothing was sampled.")


def claims_not_finite(spec: ModelSpec, design: Design, compiled, point: np.ndarray) -> list[str]:
    """The claims whose log-likelihood is not finite at `point`; failing those, the claims whose gradient is not."""
    import pytensor
    import pytensor.tensor as pt

    from reportedly.model.builder import build_model

    padded = design.padded(len(compiled.coords["claim"]), len(compiled.coords["source"]))
    model = build_model(spec, padded)
    names, slices, shapes = compiled.shape_info
    values = {name: point[where].reshape(shape) for name, where, shape in zip(names, slices, shapes)
              if name in {v.name for v in model.value_vars}}
    pointwise = model.logp(vars=[model["claims"]], sum=False)[0]
    gradient = pt.jacobian(pointwise, model.value_vars, vectorize=True)
    evaluate = pytensor.function(model.value_vars, [pointwise, *gradient], on_unused_input="ignore", mode="FAST_COMPILE")
    logp, *jacobians = evaluate(*(values[v.name] for v in model.value_vars))
    bad = ~np.isfinite(logp)
    for jacobian in jacobians if not bad.any() else ():
        bad |= ~np.isfinite(jacobian.reshape(len(logp), -1)).all(axis=1)
    return [claim for claim, flagged in zip(design.claim_ids, bad) if flagged]  # spare claims come last


@dataclass(frozen=True)
class Diagnostics:
    divergences: int
    max_rhat: dict[str, float]
    min_ess_bulk: dict[str, float]

    @property
    def failures(self) -> list[str]:
        out = []
        if self.divergences:
            out.append(f"{self.divergences} divergent transitions")
        out += [f"R-hat {v:.3f} > {MAX_RHAT} for {k}" for k, v in self.max_rhat.items() if not v <= MAX_RHAT]
        out += [f"bulk ESS {v:.0f} < {MIN_ESS_BULK} for {k}" for k, v in self.min_ess_bulk.items() if not v >= MIN_ESS_BULK]
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def settled(self) -> bool:
        """Nothing to gain from more draws: the gate passes with room (bulk ESS ESS_MARGIN times the gate's
        everywhere), or the chains diverged, which more draws would not mend."""
        return bool(self.divergences) or (self.passed and min(self.min_ess_bulk.values()) >= ESS_MARGIN * MIN_ESS_BULK)

    @property
    def wants_longer_run(self) -> bool:
        """Failed on R-hat or bulk ESS alone: chains that mix slowly need a longer run. A divergence means the
        geometry is wrong, which more draws would not mend."""
        return not self.passed and not self.divergences


def next_try(diagnostics: Diagnostics, tried: SamplerSpec, first: SamplerSpec) -> tuple[SamplerSpec, str] | None:
    """How a fit that failed the gate with `tried` (starting from the model file's `first`) is sampled again, and
    what changed; None when it is not. Divergences: once with a target acceptance halfway to 1, whose smaller steps
    follow the posterior where it bends sharply (months whose share reaches zero). Slow mixing alone: once
    with LONGER_RUN times the draws, as more draws cannot mend a divergence. The seed stays, so the same fit makes
    the same decisions and gives the same draws on every run."""
    if diagnostics.divergences and tried.target_accept == first.target_accept < 1:
        target = (1 + first.target_accept) / 2
        return tried.model_copy(update={"target_accept": target}), f"a target acceptance of {target:g} (smaller steps)"
    if diagnostics.wants_longer_run and tried.draws == first.draws:
        draws = LONGER_RUN * first.draws
        return tried.model_copy(update={"draws": draws}), f"{draws:,} draws a chain"
    return None


def diagnose(reported: xr.Dataset, sample_stats: xr.Dataset) -> Diagnostics:
    """Divergences, and worst R-hat and bulk ESS of each reported quantity (chain, draw, ...)."""
    def worst(statistic, name: str, pick) -> float:
        draws = reported[name].transpose("chain", "draw", ...).values
        draws = draws.reshape(*draws.shape[:2], -1)
        return float(pick([statistic(draws[:, :, i]) for i in range(draws.shape[2])]))

    return Diagnostics(
        divergences=int(sample_stats["diverging"].sum()),
        max_rhat={k: worst(rhat, k, np.nanmax) for k in reported.data_vars},
        min_ess_bulk={k: worst(ess_bulk, k, np.nanmin) for k in reported.data_vars},
    )

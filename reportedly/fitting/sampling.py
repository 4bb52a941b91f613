"""Run the sampler on a case's compiled model. The only module that samples."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from reportedly.errors import ReportedlyError
from reportedly.fitting import nutpie_adapter as adapter
from reportedly.fitting.compile_cache import compile_design
from reportedly.inputs.spec import ModelSpec, SamplerSpec
from reportedly.model.design import Design

log = logging.getLogger(__name__)

# Draws a chain between looks at whether a fit has drawn enough (see `gate.Diagnostics.settled`): over seeds 0-99 of
# the shipped case, a median of 625 draws a chain and 3.5 s of sampling against 750 and 3.9 s looking every 250
# (bench/by_hand.md).
CHECK_EVERY = 125


@dataclass(frozen=True)
class Timings:
    """How long each step of a fit took, in seconds."""

    build_seconds: float      # the claims' design
    compile_seconds: float    # the model built and compiled, or loaded from the compile cache
    sampling_seconds: float


def sample_compiled(compiled, sampler: SamplerSpec, seed: int, progress: bool = False,
                    stop_when: Callable[[xr.DataTree], bool] | None = None) -> xr.DataTree:
    """Sample a compiled model: the posterior and the sampler's statistics, as a DataTree.

    With `stop_when`, the draws are looked at every CHECK_EVERY draws a chain and sampling stops as soon as
    `stop_when` says so (at most `sampler.draws` a chain). Each chain's draws depend on the seed alone, and the stop
    on the draws alone, so a seed gives the same draws wherever it stops.
    """
    run = adapter.run(compiled, sampler, seed, progress)
    try:
        for draws in range(CHECK_EVERY, sampler.draws, CHECK_EVERY) if stop_when else ():
            tree = _tree(*run.draws(draws), compiled.coords)
            if stop_when(tree):
                return tree
        return _tree(*run.draws(None if stop_when is None else sampler.draws), compiled.coords)
    finally:
        run.cancel()


def _tree(posterior: dict, stats: dict, coords: dict) -> xr.DataTree:
    def dataset(variables: dict) -> xr.Dataset:
        used = {dim for dims, _ in variables.values() for dim in dims}
        return xr.Dataset(variables, coords={k: v for k, v in coords.items() if k in used})

    return xr.DataTree.from_dict({"posterior": dataset(posterior), "sample_stats": dataset(stats)})


def posterior_of(tree: xr.DataTree, design: Design) -> xr.Dataset:
    """The posterior of `design`'s claims and sources, without the spare ones the compiled model has room for."""
    posterior = tree["posterior"].to_dataset()
    return posterior.sel(source=design.sources) if "source" in posterior.dims else posterior


def sample(
    spec: ModelSpec,
    design: Design,
    seed: int,
    progress: bool = False,
    build_seconds: float = 0.0,
    stop_when: Callable[[xr.DataTree], bool] | None = None,
) -> tuple[xr.DataTree, Timings]:
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
        logp, grad = adapter.logp_at(compiled, point)
        if np.isfinite(logp) and np.all(np.isfinite(grad)):
            continue
        culprits = claims_not_finite(spec, design, compiled, point)
        which = (
            f"claim(s) {', '.join(culprits)}: their printed figures are beyond what the model can represent"
            if culprits
            else "no single claim: check the priors in the model file"
        )
        raise ReportedlyError(
            f"the model's log density is not finite at its starting point, because of {which}; "
            "correct them (reportedly claims --check) and fit again. Nothing was sampled."
        )


def claims_not_finite(spec: ModelSpec, design: Design, compiled, point: np.ndarray) -> list[str]:
    """The claims whose log-likelihood is not finite at `point`; failing those, the claims whose gradient is not."""
    import pytensor
    import pytensor.tensor as pt

    from reportedly.model.builder import build_model

    padded = design.padded(len(compiled.coords["claim"]), len(compiled.coords["source"]))
    model = build_model(spec, padded)
    names, slices, shapes = compiled.shape_info
    values = {
        name: point[where].reshape(shape)
        for name, where, shape in zip(names, slices, shapes)
        if name in {v.name for v in model.value_vars}
    }
    pointwise = model.logp(vars=[model["claims"]], sum=False)[0]
    gradient = pt.jacobian(pointwise, model.value_vars, vectorize=True)
    evaluate = pytensor.function(
        model.value_vars, [pointwise, *gradient], on_unused_input="ignore", mode="FAST_COMPILE"
    )
    logp, *jacobians = evaluate(*(values[v.name] for v in model.value_vars))
    bad = ~np.isfinite(logp)
    for jacobian in jacobians if not bad.any() else ():
        bad |= ~np.isfinite(jacobian.reshape(len(logp), -1)).all(axis=1)
    return [claim for claim, flagged in zip(design.claim_ids, bad) if flagged]  # spare claims come last

"""Refits for validation: a case's compiled model fitted again on other claims.

Every refit reuses the case's compiled model (the claims are its data), so a refit costs sampling only. Each
validation is a sweep of tasks with their own seeds, run in this process or on Dask workers (`sweep`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pymc as pm
import xarray as xr

from reportedly.fitting.compile_cache import compile_design, with_design
from reportedly.fitting.sampling import posterior_of, sample_compiled
from reportedly.inputs.case import Case
from reportedly.inputs.spec import SamplerSpec
from reportedly.model.builder import build_model
from reportedly.model.design import Design, build_design
from reportedly.results.estimates import Estimates, kept

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """Say nothing of a sweep's progress."""
    return None


@dataclass(frozen=True)
class Refitter:
    """A case's compiled model (from the compile cache), refitted on other claims."""

    case: Case
    design: Design
    model: pm.Model     # the PyMC model of `design`, for pointwise densities
    compiled: object
    sampler: SamplerSpec
    client: object | None = None   # a Dask client whose workers run the sweeps' refits (see `sweep`)

    def fit(self, seed: int, design: Design | None = None, case: Case | None = None) -> tuple[Estimates, int]:
        """Refit on `design` (by default the case's own) of `case` (by default the whole case, or the case as it
        stood on a day); the estimates and the number of divergences."""
        design = design or self.design
        tree = sample_compiled(with_design(self.compiled, design), self.sampler, seed)
        return self.estimates(kept(posterior_of(tree, design)), case), int(tree["sample_stats"]["diverging"].sum())

    def estimates(self, posterior: xr.Dataset, case: Case | None = None) -> Estimates:
        """Draws of this case's latent quantities (a refit's, or a truth's) as estimates to ask questions of."""
        case = case or self.case
        return Estimates(posterior, {"latest_report": case.latest_report.isoformat(),
                                     "source_ratings": json.dumps(self.case.origin_ratings())}, self.case.spec)


def make_refitter(case: Case, sampler: SamplerSpec, client=None) -> Refitter:
    """The case's refitter: its design, PyMC model and compiled model (loaded from the compile cache)."""
    design = build_design(case)
    return Refitter(case, design, build_model(case.spec, design), compile_design(case.spec, design), sampler, client)

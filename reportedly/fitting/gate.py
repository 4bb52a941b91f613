"""The diagnostics gate: what a fit must pass before its estimates are written, and how a failed fit is tried again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from reportedly.fitting.diagnostics import ess_bulk, rhat
from reportedly.inputs.spec import SamplerSpec

# What the gate demands of every reported quantity.
MAX_RHAT = 1.01
MIN_ESS_BULK = 400
# A fit that fails the gate on mixing alone is sampled once more, with this many times the draws.
LONGER_RUN = 2
# How far past the gate's bulk ESS a fit must be for sampling to stop early: an ESS estimate varies from seed to seed
# by about a tenth (bench/results.md, seed sweep), so 1.25 times the gate's is over two such deviations above it.
ESS_MARGIN = 1.25


@dataclass(frozen=True)
class Diagnostics:
    """Divergent transitions, and the worst R-hat and bulk ESS of each quantity the gate judges."""

    divergences: int
    max_rhat: dict[str, float]
    min_ess_bulk: dict[str, float]

    @property
    def failures(self) -> list[str]:
        """What the fit fails the gate on, each as a reader would say it."""
        out = []
        if self.divergences:
            out.append(f"{self.divergences} divergent transitions")
        out += [f"R-hat {v:.3f} > {MAX_RHAT} for {k}" for k, v in self.max_rhat.items() if not v <= MAX_RHAT]
        out += [
            f"bulk ESS {v:.0f} < {MIN_ESS_BULK} for {k}" for k, v in self.min_ess_bulk.items() if not v >= MIN_ESS_BULK
        ]
        return out

    @property
    def passed(self) -> bool:
        """Whether the fit passes the gate."""
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

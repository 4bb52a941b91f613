"""What `reportedly check` runs with, and its defaults: one place for both the command's arguments and the report."""

from __future__ import annotations

from dataclasses import dataclass

# Simulation-based calibration ranks each truth among RANK_DRAWS evenly thinned posterior draws (ranks 0 to RANK_DRAWS)
# and judges, and draws, their uniformity in RANK_BINS bins over RANK_RANGE.
RANK_DRAWS = 100
RANK_BINS = 10
RANK_RANGE = (0, RANK_DRAWS + 1)


@dataclass(frozen=True)
class CheckSettings:
    """What `reportedly check` runs with: simulations, the refits' sampler settings, and where."""

    sims: int = 200
    draws: int = 250
    tune: int = 300
    chains: int = 4
    seed: int = 1
    stress_sims: int | None = None   # per shape; by default a tenth of `sims`
    workers: int = 0                 # local Dask worker processes for the sweeps (0: in this process)
    scheduler: str | None = None     # or an existing Dask cluster's scheduler

    @property
    def sims_per_shape(self) -> int:
        """Simulations per shape of calibration under misspecification."""
        return self.stress_sims if self.stress_sims is not None else max(1, self.sims // 10)

    def command(self, case: str) -> str:
        """The command that runs this check again."""
        return (f"reportedly check {case} --sims {self.sims} --draws {self.draws} --tune {self.tune} "
                f"--chains {self.chains} --seed {self.seed} --stress-sims {self.sims_per_shape}")

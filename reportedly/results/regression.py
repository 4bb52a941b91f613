"""Compare a fresh fit with golden estimates (the committed summary.csv, or another fit) within Monte Carlo error,
never bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportedly.levels import QUANTILES, column
from reportedly.results.estimates import Estimates

# Allowed distance in combined Monte Carlo standard errors; at 4, a correct fit trips one of ~45
# comparisons about 0.3% of the time.
TOLERANCE_Z = 4.0


@dataclass(frozen=True)
class Deviation:
    """A headline quantile where two fits differ by more than Monte Carlo error allows."""

    headline: str
    quantile: float
    golden: float
    fresh: float
    tolerance: float

    def __str__(self) -> str:
        return (f"{self.headline} q{self.quantile:g}: golden {self.golden:.6g}, fresh {self.fresh:.6g}, "
                f"differ by {abs(self.fresh - self.golden):.3g} > {self.tolerance:.3g} (= {TOLERANCE_Z:g} MCSE)")


def quantiles_with_mcse(est: Estimates) -> dict[tuple[str, float], tuple[float, float]]:
    """(headline, quantile) -> (value, Monte Carlo standard error) for every summary quantile."""
    import arviz as az

    draws = est.headline_draws()
    out = {}
    for q in QUANTILES:
        mcse = az.mcse(draws, method="quantile", prob=q)
        for name in draws.data_vars:
            out[(name, q)] = (float(np.quantile(draws[name].values, q)), float(mcse[name]))
    return out


def compare(golden: Estimates, fresh: Estimates, z: float = TOLERANCE_Z) -> list[Deviation]:
    """Every headline quantile where the two fits differ by more than `z` combined MCSEs."""
    a, b = quantiles_with_mcse(golden), quantiles_with_mcse(fresh)
    return _deviations({key: value for key, (value, _) in a.items()}, {key: se for key, (_, se) in a.items()}, b, z)


def compare_with_summary(golden: pd.DataFrame, fresh: Estimates, z: float = TOLERANCE_Z) -> list[Deviation]:
    """Every headline quantile of summary.csv (`golden`) from which the fresh fit differs by more than `z` combined
    MCSEs, the golden fit's taken to equal the fresh one's (the same sampler settings and seed made both)."""
    rows = golden.set_index("name")
    b = quantiles_with_mcse(fresh)
    values = {(name, q): float(rows.loc[name, column(q)]) for name, q in b}
    return _deviations(values, {key: se for key, (_, se) in b.items()}, b, z)


def _deviations(golden: dict, golden_se: dict, fresh: dict, z: float) -> list[Deviation]:
    deviations = []
    for key, (value, se) in fresh.items():
        tolerance = z * float(np.hypot(golden_se[key], se))
        if abs(golden[key] - value) > tolerance:
            deviations.append(Deviation(key[0], key[1], golden[key], value, tolerance))
    return deviations

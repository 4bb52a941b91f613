"""Compare a fresh fit with golden (committed) estimates within Monte Carlo error, never bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportedly.levels import QUANTILES
from reportedly.results.estimates import Estimates

# Allowed distance in combined Monte Carlo standard errors; at 4, a correct fit trips one of ~45
# comparisons about 0.3% of the time.
TOLERANCE_Z = 4.0


@dataclass(frozen=True)
class Deviation:
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
    deviations = []
    for key in a:
        (value_a, se_a), (value_b, se_b) = a[key], b[key]
        tolerance = z * float(np.hypot(se_a, se_b))
        if abs(value_a - value_b) > tolerance:
            deviations.append(Deviation(key[0], key[1], value_a, value_b, tolerance))
    return deviations

"""Simulation-based calibration: truths drawn from the model's prior, claims simulated from them, refits, and the
truths' places in the posteriors; and what the priors alone imply (the prior predictive)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from scipy import stats

from reportedly.levels import LEVELS, bounds, percent
from reportedly.model.builder import build_model
from reportedly.model.simulate import TRUTH_VARIABLES, simulate_design
from reportedly.results.tables import headline_table
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.settings import RANK_BINS, RANK_DRAWS, RANK_RANGE
from reportedly.validation.sweep import run_tasks

# Coverage checks pass inside a family-wise 95% binomial band (Bonferroni over all checks).
FAMILY_CONFIDENCE = 0.95


def prior_draws(refitter: Refitter, draws: int, seed: int) -> xr.Dataset:
    """Joint draws of the latent quantities from the prior, as a (chain, draw, ...) dataset."""
    model = build_model(refitter.case.spec, refitter.design, prior=True)
    prior = pm.sample_prior_predictive(draws=draws, model=model, var_names=list(TRUTH_VARIABLES), random_seed=seed)
    return prior["prior"].to_dataset()


def prior_headlines(refitter: Refitter, draws: int = 2000, seed: int = 0) -> pd.DataFrame:
    """What the priors alone imply for each headline figure."""
    return headline_table(refitter.estimates(prior_draws(refitter, draws, seed)))


def run_sbc(refitter: Refitter, sims: int, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Draw a truth from the prior, simulate the claims, refit, rank the truth; `sims` times.

    One row per simulation and headline: the truth, its rank among RANK_DRAWS thinned posterior draws,
    whether it lies in the central 50% and 90% intervals, and the refit's divergences.
    """
    prior = prior_draws(refitter, sims, seed)
    tasks = [(i, truth_of(prior, i), truth_headlines(refitter, prior, i), seed) for i in range(sims)]
    return pd.DataFrame([row for rows in run_tasks(refitter, _sbc_task, tasks, "simulation-based calibration", progress)
                         for row in rows])


def truth_of(prior: xr.Dataset, i: int) -> dict[str, np.ndarray]:
    """Draw `i` of the prior's latent quantities, as one truth."""
    return {name: prior[name].values[0, i] for name in TRUTH_VARIABLES}


def truth_headlines(refitter: Refitter, truth: xr.Dataset, i: int) -> dict[str, float]:
    """The headline figures of truth `i` of `truth`."""
    draws = refitter.estimates(truth.isel(draw=[i])).headline_draws()
    return {name: float(draws[name].values.ravel()[0]) for name in draws.data_vars}


def _sbc_task(refitter: Refitter, i: int, truth: dict, true_headlines: dict, seed: int) -> list[dict]:
    simulated = simulate_design(refitter.design, truth, seed=seed + 1 + i)
    est, divergences = refitter.fit(seed + 100_000 + i, simulated)
    ties = np.random.default_rng([seed, i])
    rows = []
    for name, draws in est.headline_draws().data_vars.items():
        draws, value = draws.values.ravel(), true_headlines[name]
        thinned = np.sort(draws)[:: max(1, len(draws) // RANK_DRAWS)][:RANK_DRAWS]
        inside = {f"inside_{percent(level)}": bool(low <= value <= high)
                  for level in LEVELS for low, high in [np.quantile(draws, bounds(level))]}
        rows.append({"sim": i, "headline": name, "truth": value, "rank": rank_among(thinned, value, ties), **inside,
                     "divergences": divergences})
    return rows


def rank_among(draws: np.ndarray, value: float, rng: np.random.Generator) -> int:
    """How many of `draws` lie below `value`, with ties broken at random: a truth of exactly nothing among draws of
    nothing (a flow that had stopped) takes any of the tied places alike, as a continuous truth would."""
    return int(np.sum(draws < value)) + int(rng.integers(0, np.sum(draws == value) + 1))


def sbc_coverage(results: pd.DataFrame, family_confidence: float = FAMILY_CONFIDENCE) -> pd.DataFrame:
    """Per headline: coverage of the 50% and 90% intervals with binomial standard errors and bands
    (Bonferroni over all checks at `family_confidence`), and a chi-square test of rank uniformity."""
    checks = results["headline"].nunique() * len(LEVELS)
    alpha = (1 - family_confidence) / checks
    rows = []
    for name, group in results.groupby("headline", sort=False):
        n = len(group)
        row = {"headline": name, "sims": n}
        for level in LEVELS:
            column = f"inside_{percent(level)}"
            covered = float(group[column].mean())
            low, high = stats.binom.interval(1 - alpha, n, level)
            row |= {f"coverage_{percent(level)}": covered,
                    f"se_{percent(level)}": float(np.sqrt(level * (1 - level) / n)),
                    f"band_{percent(level)}_low": low / n, f"band_{percent(level)}_high": high / n,
                    f"ok_{percent(level)}": bool(low / n <= covered <= high / n)}
        counts = np.histogram(group["rank"], bins=RANK_BINS, range=RANK_RANGE)[0]
        row["rank_chi2_p"] = float(stats.chisquare(counts).pvalue)
        rows.append(row)
    return pd.DataFrame(rows)

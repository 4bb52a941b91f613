"""Validation: simulation-based calibration, leave-one-assessment-out, sensitivity, prior predictive.

Every refit reuses the case's compiled model (the claims are its data), so a refit costs sampling only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from scipy import stats

from .case import Case
from .design import RATINGS, Design, build_design
from .estimate import KEPT
from .compiled import compile_design, with_design
from .fit import posterior_of, sample_compiled
from .model import build_model
from .posterior import Estimates
from .simulate import TRUTH_VARIABLES, simulate_design
from .spec import SamplerSpec
from .summary import claim_fit_table, headline_table

Progress = Callable[[str, int, int], None]
COVERAGE_LEVELS = (0.5, 0.9)
# Coverage checks pass inside a family-wise 95% binomial band (Bonferroni over all checks).
FAMILY_CONFIDENCE = 0.95
RANK_DRAWS = 100   # posterior draws kept (evenly thinned) to rank the truth among
RANK_BINS = 10


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Refitter:
    """A case's compiled model (from the compile cache), refitted on other claims."""

    case: Case
    design: Design
    model: pm.Model     # the PyMC model of `design`, for prior draws and pointwise densities
    compiled: object
    sampler: SamplerSpec

    def fit(self, seed: int, design: Design | None = None, case: Case | None = None) -> tuple[Estimates, int]:
        """Refit on `design` (by default the case's own) of `case` (by default the whole case, or the case as it
        stood on a day); the estimates and the number of divergences."""
        design = design or self.design
        tree = sample_compiled(with_design(self.compiled, design), self.sampler, seed)
        return self.estimates(posterior_of(tree, design)[KEPT], case), int(tree["sample_stats"]["diverging"].sum())

    def estimates(self, posterior: xr.Dataset, case: Case | None = None) -> Estimates:
        case = case or self.case
        return Estimates(posterior, {"latest_report": case.latest_report.isoformat(),
                                     "source_ratings": json.dumps(self.case.origin_ratings())}, self.case.spec)


def make_refitter(case: Case, sampler: SamplerSpec) -> Refitter:
    design = build_design(case)
    return Refitter(case, design, build_model(case.spec, design), compile_design(case.spec, design), sampler)


# --- Prior predictive --------------------------------------------------------------------------

def prior_draws(refitter: Refitter, draws: int, seed: int) -> xr.Dataset:
    """Joint draws of the latent quantities from the prior, as a (chain, draw, ...) dataset."""
    prior = pm.sample_prior_predictive(draws=draws, model=refitter.model, var_names=list(TRUTH_VARIABLES),
                                       random_seed=seed)
    return prior["prior"].to_dataset()


def prior_headlines(refitter: Refitter, draws: int = 2000, seed: int = 0) -> pd.DataFrame:
    """What the priors alone imply for each headline figure."""
    return headline_table(refitter.estimates(prior_draws(refitter, draws, seed)))


# --- Simulation-based calibration --------------------------------------------------------------

def run_sbc(refitter: Refitter, sims: int, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Draw a truth from the prior, simulate the claims, refit, rank the truth; `sims` times.

    One row per simulation and headline: the truth, its rank among RANK_DRAWS thinned posterior draws,
    whether it lies in the central 50% and 90% intervals, and the refit's divergences.
    """
    prior = prior_draws(refitter, sims, seed)
    rows = []
    for i in range(sims):
        truth_ds = prior.isel(draw=[i])
        truth = {name: truth_ds[name].values[0, 0] for name in TRUTH_VARIABLES}
        simulated = simulate_design(refitter.design, truth, seed=seed + 1 + i)
        est, divergences = refitter.fit(seed + 100_000 + i, simulated)
        true_values = refitter.estimates(truth_ds).headline_draws()
        posterior = est.headline_draws()
        for name in posterior.data_vars:
            draws = posterior[name].values.ravel()
            value = float(true_values[name].values.ravel()[0])
            thinned = np.sort(draws)[:: max(1, len(draws) // RANK_DRAWS)][:RANK_DRAWS]
            q = np.quantile(draws, [0.05, 0.25, 0.75, 0.95])
            rows.append({"sim": i, "headline": name, "truth": value, "rank": int(np.sum(thinned < value)),
                         "inside_50": bool(q[1] <= value <= q[2]), "inside_90": bool(q[0] <= value <= q[3]),
                         "divergences": divergences})
        progress("simulation-based calibration", i + 1, sims)
    return pd.DataFrame(rows)


def sbc_coverage(results: pd.DataFrame, family_confidence: float = FAMILY_CONFIDENCE) -> pd.DataFrame:
    """Per headline: coverage of the 50% and 90% intervals with binomial standard errors and bands
    (Bonferroni over all checks at `family_confidence`), and a chi-square test of rank uniformity."""
    checks = results["headline"].nunique() * len(COVERAGE_LEVELS)
    alpha = (1 - family_confidence) / checks
    rows = []
    for name, group in results.groupby("headline", sort=False):
        n = len(group)
        row = {"headline": name, "sims": n}
        for level in COVERAGE_LEVELS:
            column = f"inside_{round(level * 100)}"
            covered = float(group[column].mean())
            low, high = stats.binom.interval(1 - alpha, n, level)
            row |= {f"coverage_{round(level * 100)}": covered,
                    f"se_{round(level * 100)}": float(np.sqrt(level * (1 - level) / n)),
                    f"band_{round(level * 100)}_low": low / n, f"band_{round(level * 100)}_high": high / n,
                    f"ok_{round(level * 100)}": bool(low / n <= covered <= high / n)}
        counts = np.histogram(group["rank"], bins=RANK_BINS, range=(0, RANK_DRAWS + 1))[0]
        row["rank_chi2_p"] = float(stats.chisquare(counts).pvalue)
        rows.append(row)
    return pd.DataFrame(rows)


# --- Leave one assessment out ------------------------------------------------------------------

def leave_one_out(refitter: Refitter, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Refit without each used claim (one assessment each) and predict its printed figure.

    One row per claim: the predictive intervals of what its source would print, whether the asserted
    interval meets the 50% and 90% predictive intervals, and the tail probability (small = surprising).
    """
    claims = refitter.case.evidence.claims
    ids = refitter.design.claim_ids
    rows = []
    for i, claim_id in enumerate(ids):
        est, divergences = refitter.fit(seed + i, refitter.design.without([claim_id]))
        table = claim_fit_table(est, claims, seed=seed + i)
        rows.append(table[table["id"] == claim_id].assign(divergences=divergences))
        progress("leave one assessment out", i + 1, len(ids))
    return pd.concat(rows, ignore_index=True).sort_values("p_tail", ignore_index=True)


# --- What was known when -----------------------------------------------------------------------

@dataclass(frozen=True)
class RollingOrigin:
    predictions: pd.DataFrame   # each claim predicted from the fit on what was known before its report date
    headlines: pd.DataFrame     # the headlines as fitted on each report date


def printed_value(claim, case: Case) -> float:
    """The figure a claim prints, as the model reads it: a range's geometric centre; a conversion as a ratio."""
    value = claim.value if claim.value is not None else float(np.sqrt(claim.low * claim.high))
    if claim.basis:
        value /= next(c.value for c in case.evidence.claims if c.id == claim.basis)
    return value


def rolling_origin(refitter: Refitter, seed: int, progress: Progress = no_progress) -> RollingOrigin:
    """At each report date of the case, fit on the claims reported by then; predict from that fit the figures
    reported on the next date (what their sources would print), and keep the headlines as they stood."""
    case = refitter.case
    days = sorted({c.report_date for c in case.evidence.used})
    predictions, headlines = [], []
    for i, day in enumerate(days):
        known = case.known_by(day)
        est, divergences = refitter.fit(seed + i, build_design(known), known)
        headlines.append(headline_table(est).assign(as_of=day, claims=len(known.evidence.used), divergences=divergences))
        if i + 1 < len(days):
            reported = [c for c in case.evidence.used if c.report_date == days[i + 1]]
            table = claim_fit_table(est, reported, seed=seed + i)
            if table.empty:
                continue
            value = {c.id: printed_value(c, case) for c in reported}
            predictions.append(table.assign(
                known_by=day, reported=days[i + 1],
                log_error=np.log(table["pred_median"] / table["id"].map(value)), divergences=divergences))
        progress("rolling origin", i + 1, len(days))
    return RollingOrigin(pd.concat(predictions, ignore_index=True) if predictions else pd.DataFrame(),
                         pd.concat(headlines, ignore_index=True))


# --- Sensitivity -------------------------------------------------------------------------------

def sensitivity_variants(refitter: Refitter) -> dict[str, Design]:
    """Other readings of the evidence, each as the claims' design it gives."""
    case, design = refitter.case, refitter.design
    harsher = np.array([min(r + 1, RATINGS.index("E")) if RATINGS[r] != "F" else r for r in design.source_rating])
    one_sided = {**case.spec.qualifiers, "more_than": "lower", "at_least": "lower", "as_many_as": "upper", "up_to": "upper"}
    one_sided_design = build_design(dataclasses.replace(case, spec=case.spec.model_copy(update={"qualifiers": one_sided})))
    variants = {
        "as fitted": design,
        "all sources rated C": dataclasses.replace(design, source_rating=np.full_like(design.source_rating, RATINGS.index("C"))),
        "ratings one letter harsher": dataclasses.replace(design, source_rating=harsher),
        "'more than' / 'as many as' one-sided": one_sided_design,
    }
    origins = [design.sources[s] for s in design.source_index]
    for origin in dict.fromkeys(origins):
        variants[f"without {origin}"] = design.without([c for c, o in zip(design.claim_ids, origins) if o == origin])
    return variants


def sensitivity(refitter: Refitter, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Headline medians and 90% intervals under each variant; one row per variant and headline."""
    variants = sensitivity_variants(refitter)
    frames = []
    for i, (name, variant) in enumerate(variants.items()):
        est, divergences = refitter.fit(seed, variant)
        frames.append(headline_table(est)[["name", "label", "median", "q05", "q95"]]
                      .assign(variant=name, divergences=divergences))
        progress("sensitivity", i + 1, len(variants))
    return pd.concat(frames, ignore_index=True)


# --- Power-scaling sensitivity -----------------------------------------------------------------

def power_scaling(refitter: Refitter, seed: int) -> pd.DataFrame:
    """ArviZ's power-scaling diagnostic of the headline figures to the prior and the likelihood."""
    import arviz as az

    tree = sample_compiled(refitter.compiled, refitter.sampler, seed)
    tree = xr.DataTree.from_dict({"posterior": posterior_of(tree, refitter.design)})
    log_likelihood = pm.stats.compute_log_likelihood(tree, model=refitter.model, extend_inferencedata=False, progressbar=False)
    log_prior = pm.stats.compute_log_prior(tree, model=refitter.model, extend_inferencedata=False, progressbar=False)
    headlines = refitter.estimates(tree["posterior"].to_dataset()[KEPT]).headline_draws()
    data = xr.DataTree.from_dict({"posterior": headlines, "log_likelihood": log_likelihood, "log_prior": log_prior})
    table = az.psense_summary(data)
    return table.reset_index().rename(columns={"index": "headline"})

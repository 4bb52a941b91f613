"""Validation: simulation-based calibration (from the prior and under misspecified truths), leave one
assessment out, what was known when, sensitivity, prior predictive.

Every refit reuses the case's compiled model (the claims are its data), so a refit costs sampling only. Each
sweep is a list of tasks with their own seeds, run in this process or on Dask workers (`sweep`).
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

from reportedly.inputs.case import Case
from reportedly.model.design import RATINGS, Design, build_design
from reportedly.workflows.estimate import kept
from reportedly.fitting.compile_cache import compile_design, with_design
from reportedly.fitting.sampling import posterior_of, sample_compiled
from reportedly.model.builder import build_model
from reportedly.results.estimates import Estimates
from reportedly.model.simulate import TRUTH_VARIABLES, simulate_design
from reportedly.inputs.spec import SamplerSpec
from reportedly.validation.stress import SHAPES, stressed_truth
from reportedly.results.tables import claim_fit_table, headline_table

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
    client: object | None = None   # a Dask client whose workers run the sweeps' refits (see `sweep`)

    def map(self, task: Callable, arguments: list[tuple], stage: str, progress: Progress) -> list:
        """`task(refitter, *args)` for each of `arguments`, in order: in this process, or on the Dask cluster."""
        from reportedly.validation.sweep import run_tasks

        return run_tasks(self, task, arguments, stage, progress)

    def fit(self, seed: int, design: Design | None = None, case: Case | None = None) -> tuple[Estimates, int]:
        """Refit on `design` (by default the case's own) of `case` (by default the whole case, or the case as it
        stood on a day); the estimates and the number of divergences."""
        design = design or self.design
        tree = sample_compiled(with_design(self.compiled, design), self.sampler, seed)
        return self.estimates(kept(posterior_of(tree, design)), case), int(tree["sample_stats"]["diverging"].sum())

    def estimates(self, posterior: xr.Dataset, case: Case | None = None) -> Estimates:
        case = case or self.case
        return Estimates(posterior, {"latest_report": case.latest_report.isoformat(),
                                     "source_ratings": json.dumps(self.case.origin_ratings())}, self.case.spec)


def make_refitter(case: Case, sampler: SamplerSpec, client=None) -> Refitter:
    design = build_design(case)
    return Refitter(case, design, build_model(case.spec, design), compile_design(case.spec, design), sampler, client)


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
    tasks = [(i, _truth(prior, i), _true_headlines(refitter, prior, i), seed) for i in range(sims)]
    return pd.DataFrame([row for rows in refitter.map(_sbc_task, tasks, "simulation-based calibration", progress)
                         for row in rows])


def _truth(prior: xr.Dataset, i: int) -> dict[str, np.ndarray]:
    return {name: prior[name].values[0, i] for name in TRUTH_VARIABLES}


def _true_headlines(refitter: Refitter, truth: xr.Dataset, i: int) -> dict[str, float]:
    draws = refitter.estimates(truth.isel(draw=[i])).headline_draws()
    return {name: float(draws[name].values.ravel()[0]) for name in draws.data_vars}


def _sbc_task(refitter: Refitter, i: int, truth: dict, true_headlines: dict, seed: int) -> list[dict]:
    simulated = simulate_design(refitter.design, truth, seed=seed + 1 + i)
    est, divergences = refitter.fit(seed + 100_000 + i, simulated)
    rows = []
    for name, draws in est.headline_draws().data_vars.items():
        draws, value = draws.values.ravel(), true_headlines[name]
        thinned = np.sort(draws)[:: max(1, len(draws) // RANK_DRAWS)][:RANK_DRAWS]
        q = np.quantile(draws, [0.05, 0.25, 0.75, 0.95])
        rows.append({"sim": i, "headline": name, "truth": value, "rank": int(np.sum(thinned < value)),
                     "inside_50": bool(q[1] <= value <= q[2]), "inside_90": bool(q[0] <= value <= q[3]),
                     "divergences": divergences})
    return rows


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


# --- Calibration under misspecification ----------------------------------------------------------

HALF_UNIT = 0.5


def run_stress(refitter: Refitter, sims_per_shape: int, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Like `run_sbc`, with truths the prior does not draw (`stress.SHAPES`): one row per simulation and scored
    item (a headline, a month of a quantity, or a month inside a claimed window of several months), whether
    the 90% interval covers the truth and its width relative to the median."""
    spec = refitter.case.spec
    sims = sims_per_shape * len(SHAPES)
    prior = prior_draws(refitter, sims, seed)
    tasks = []
    for i in range(sims):
        shape = SHAPES[i % len(SHAPES)]
        truth = stressed_truth(_truth(prior, i), spec, shape, np.random.default_rng(seed + 7 + i))
        stressed = prior.isel(draw=[i]).assign(flow=(prior["flow"].dims, truth["flow"][None, None]))
        tasks.append((i, shape, truth, _true_headlines(refitter, stressed, 0), seed))
    rows = refitter.map(_stress_task, tasks, "calibration under misspecification", progress)
    return pd.DataFrame([row for sim in rows for row in sim])


def _stress_task(refitter: Refitter, i: int, shape: str, truth: dict, true_headlines: dict, seed: int) -> list[dict]:
    design = refitter.design
    inside = {(int(q), m) for q, k0, f0, k1, f1, conversion in zip(design.quantity_index, design.k0, design.f0,
                                                                   design.k1, design.f1, design.is_conversion)
              if not conversion for m in range(k0 + (f0 > 0), k1) if k1 - k0 - (f0 > 0) > 1}
    simulated = simulate_design(design, truth, seed=seed + 1 + i)
    est, divergences = refitter.fit(seed + 200_000 + i, simulated)
    common = {"sim": i, "shape": shape, "divergences": divergences}
    rows = [common | {"kind": "headline", "item": name, "truth": true_headlines[name],
                      **_covered(*np.quantile(draws.values.ravel(), [0.05, 0.5, 0.95]), true_headlines[name])}
            for name, draws in est.headline_draws().data_vars.items()]
    flow = est.posterior["flow"].values.reshape(-1, *truth["flow"].shape)
    q05, q50, q95 = np.quantile(flow, [0.05, 0.5, 0.95], axis=0)
    for (q, m), value in np.ndenumerate(truth["flow"]):
        if value < HALF_UNIT and q95[q, m] < HALF_UNIT:
            continue   # nothing in truth and in 95% of draws (before the onset, after the end): nothing to score
        scored = {"item": f"{design.quantities[q]} {m}", "truth": value, **_covered(q05[q, m], q50[q, m], q95[q, m], value)}
        rows.append(common | {"kind": "month", **scored})
        if (q, m) in inside:
            rows.append(common | {"kind": "month inside a claimed window", **scored})
    return rows


def _covered(q05: float, q50: float, q95: float, value: float) -> dict:
    """Whether a 90% interval covers `value` to within half a unit (counts are whole: an interval whose lower end
    is 0.3 includes none), and its width relative to the median, (q95 - q05) / q50 (an interval that reaches zero
    has a width too)."""
    return {"q05": float(q05), "q95": float(q95), "covered": bool(q05 - HALF_UNIT <= value <= q95 + HALF_UNIT),
            "width": float((q95 - q05) / q50) if q50 > 0 else float("inf")}


def stress_coverage(results: pd.DataFrame) -> pd.DataFrame:
    """Per shape and kind of item: 90% coverage, its standard error over simulations (the items of one
    simulation share its truth, so they are not independent), the median width of the 90% intervals
    relative to the median), and how many refits diverged."""
    rows = []
    for (shape, kind), group in results.groupby(["shape", "kind"], sort=False):
        sims = group["sim"].nunique()
        per_sim = group.groupby("sim")["covered"].mean()
        rows.append({"shape": shape, "kind": kind, "sims": sims, "items": len(group),
                     "coverage_90": float(group["covered"].mean()),
                     "se": float(per_sim.std(ddof=1) / np.sqrt(sims)) if sims > 1 else float("nan"),
                     "median_width": float(group["width"].median()),
                     "divergent_refits": int((group.groupby("sim")["divergences"].first() > 0).sum())})
    return pd.DataFrame(rows)


# --- Leave one assessment out ------------------------------------------------------------------

def leave_one_out(refitter: Refitter, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Refit without each used claim (one assessment each) and predict its printed figure.

    One row per claim: the predictive intervals of what its source would print, whether the asserted
    interval meets the 50% and 90% predictive intervals, and the tail probability (small = surprising).
    """
    tasks = [(i, claim_id, seed) for i, claim_id in enumerate(refitter.design.claim_ids)]
    rows = refitter.map(_loo_task, tasks, "leave one assessment out", progress)
    return pd.concat(rows, ignore_index=True).sort_values("p_tail", ignore_index=True)


def _loo_task(refitter: Refitter, i: int, claim_id: str, seed: int) -> pd.DataFrame:
    est, divergences = refitter.fit(seed + i, refitter.design.without([claim_id]))
    table = claim_fit_table(est, refitter.case.evidence.claims, seed=seed + i)
    return table[table["id"] == claim_id].assign(divergences=divergences)


# --- What was known when -----------------------------------------------------------------------

@dataclass(frozen=True)
class RollingOrigin:
    predictions: pd.DataFrame   # each claim predicted from the fit on what was known before its report date
    headlines: pd.DataFrame     # the headlines as fitted on each report date


def rolling_origin(refitter: Refitter, seed: int, progress: Progress = no_progress) -> RollingOrigin:
    """At each report date of the case, fit on the claims reported by then; predict from that fit the figures
    reported on the next date (what their sources would print), and keep the headlines as they stood."""
    days = sorted({c.report_date for c in refitter.case.evidence.used})
    tasks = [(i, day, days[i + 1] if i + 1 < len(days) else None, seed) for i, day in enumerate(days)]
    results = refitter.map(_rolling_task, tasks, "rolling origin", progress)
    predictions = [p for _, p in results if not p.empty]
    return RollingOrigin(pd.concat(predictions, ignore_index=True) if predictions else pd.DataFrame(),
                         pd.concat([h for h, _ in results], ignore_index=True))


def _rolling_task(refitter: Refitter, i: int, day, next_day, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The headlines as fitted on the claims reported by `day`, and that fit's predictions of the next day's claims."""
    case = refitter.case
    known = case.known_by(day)
    est, divergences = refitter.fit(seed + i, build_design(known), known)
    headlines = headline_table(est).assign(as_of=day, claims=len(known.evidence.used), divergences=divergences)
    reported = [c for c in case.evidence.used if c.report_date == next_day]
    table = claim_fit_table(est, reported, seed=seed + i)
    if table.empty:
        return headlines, table
    log_printed = dict(zip(refitter.design.claim_ids, refitter.design.log_value))  # as the model reads them
    return headlines, table.assign(known_by=day, reported=next_day,
                                   log_error=np.log(table["pred_median"]) - table["id"].map(log_printed),
                                   divergences=divergences)


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
    tasks = [(name, variant, seed) for name, variant in sensitivity_variants(refitter).items()]
    return pd.concat(refitter.map(_sensitivity_task, tasks, "sensitivity", progress), ignore_index=True)


def _sensitivity_task(refitter: Refitter, name: str, variant: Design, seed: int) -> pd.DataFrame:
    est, divergences = refitter.fit(seed, variant)
    return headline_table(est)[["name", "label", "median", "q05", "q95"]].assign(variant=name, divergences=divergences)


# --- Power-scaling sensitivity -----------------------------------------------------------------

def power_scaling(refitter: Refitter, seed: int) -> pd.DataFrame:
    """ArviZ's power-scaling diagnostic of the headline figures to the prior and the likelihood."""
    import arviz as az

    tree = sample_compiled(refitter.compiled, refitter.sampler, seed)
    tree = xr.DataTree.from_dict({"posterior": posterior_of(tree, refitter.design)})
    log_likelihood = pm.stats.compute_log_likelihood(tree, model=refitter.model, extend_inferencedata=False, progressbar=False)
    log_prior = pm.stats.compute_log_prior(tree, model=refitter.model, extend_inferencedata=False, progressbar=False)
    headlines = refitter.estimates(kept(tree["posterior"].to_dataset())).headline_draws()
    data = xr.DataTree.from_dict({"posterior": headlines, "log_likelihood": log_likelihood, "log_prior": log_prior})
    table = az.psense_summary(data)
    return table.reset_index().rename(columns={"index": "headline"})

"""Sensitivity: the headlines under other readings of the evidence, and ArviZ's power-scaling diagnostic."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from reportedly.fitting.sampling import posterior_of, sample_compiled
from reportedly.inputs.schema import RATINGS
from reportedly.model.design import Design, build_design
from reportedly.model.intervals import one_sided
from reportedly.results.estimates import kept
from reportedly.results.tables import headline_table
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.sweep import run_tasks


def sensitivity_variants(refitter: Refitter) -> dict[str, Design]:
    """Other readings of the evidence, each as the claims' design it gives."""
    case, design = refitter.case, refitter.design
    harsher = np.array([min(r + 1, RATINGS.index("E")) if RATINGS[r] != "F" else r for r in design.source_rating])
    read_one_sided = case.spec.model_copy(update={"qualifiers": one_sided(case.spec.qualifiers)})
    one_sided_design = build_design(dataclasses.replace(case, spec=read_one_sided))
    variants = {
        "as fitted": design,
        "all sources rated C": dataclasses.replace(
            design, source_rating=np.full_like(design.source_rating, RATINGS.index("C"))
        ),
        "ratings one letter harsher": dataclasses.replace(design, source_rating=harsher),
        "'more than' / 'as many as' one-sided": one_sided_design,
    }
    origins = [c.origin for c in case.evidence.used]   # a row of the design each (a date's source has no error scale)
    for origin in dict.fromkeys(origins):
        variants[f"without {origin}"] = design.without([c for c, o in zip(design.claim_ids, origins) if o == origin])
    return variants


def sensitivity(refitter: Refitter, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Headline medians and 90% intervals under each variant; one row per variant and headline."""
    tasks = [(name, variant, seed) for name, variant in sensitivity_variants(refitter).items()]
    return pd.concat(run_tasks(refitter, _sensitivity_task, tasks, "sensitivity", progress), ignore_index=True)


def _sensitivity_task(refitter: Refitter, name: str, variant: Design, seed: int) -> pd.DataFrame:
    est, divergences = refitter.fit(seed, variant)
    return headline_table(est)[["name", "label", "median", "q05", "q95"]].assign(variant=name, divergences=divergences)


def power_scaling(refitter: Refitter, seed: int) -> pd.DataFrame:
    """ArviZ's power-scaling diagnostic of the headline figures to the prior and the likelihood."""
    import arviz as az

    tree = sample_compiled(refitter.compiled, refitter.sampler, seed)
    tree = xr.DataTree.from_dict({"posterior": posterior_of(tree, refitter.design)})
    log_likelihood = pm.stats.compute_log_likelihood(
        tree, model=refitter.model, extend_inferencedata=False, progressbar=False
    )
    log_prior = pm.stats.compute_log_prior(tree, model=refitter.model, extend_inferencedata=False, progressbar=False)
    headlines = refitter.estimates(kept(tree["posterior"].to_dataset())).headline_draws()
    data = xr.DataTree.from_dict({"posterior": headlines, "log_likelihood": log_likelihood, "log_prior": log_prior})
    advice = logging.getLogger("arviz_stats.psense")   # logs its advice on reading the table: validation.md gives it
    level = advice.level
    advice.setLevel(logging.ERROR)
    try:
        table = az.psense_summary(data)
    finally:
        advice.setLevel(level)
    return table.reset_index().rename(columns={"index": "headline"})

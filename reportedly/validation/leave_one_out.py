"""Leave one assessment out: refit without each used claim and predict its printed figure."""

from __future__ import annotations

import pandas as pd

from reportedly.results.tables import claim_fit_table
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.sweep import run_tasks


def leave_one_out(refitter: Refitter, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Refit without each used claim that prints a figure (one assessment each) and predict the figure.

    One row per claim: the predictive intervals of what its source would print, whether the asserted
    interval meets the 50% and 90% predictive intervals, and the tail probability (small = surprising).
    """
    design = refitter.design
    tasks = [(i, claim_id, seed) for i, claim_id in enumerate(design.claim_ids) if not design.is_onset[i]]   # figures
    rows = run_tasks(refitter, _loo_task, tasks, "leave one assessment out", progress)
    return pd.concat(rows, ignore_index=True).sort_values("p_tail", ignore_index=True)


def _loo_task(refitter: Refitter, i: int, claim_id: str, seed: int) -> pd.DataFrame:
    est, divergences = refitter.fit(seed + i, refitter.design.without([claim_id]))
    table = claim_fit_table(est, refitter.case.evidence.claims, seed=seed + i)
    return table[table["id"] == claim_id].assign(divergences=divergences)

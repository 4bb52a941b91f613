"""What was known when: at each report date, a fit on the claims reported by then predicts the next date's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportedly.model.design import build_design
from reportedly.results.tables import claim_fit_table, headline_table
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.sweep import run_tasks


@dataclass(frozen=True)
class RollingOrigin:
    """What was known when: predictions of each report date's claims, and the headlines on each date."""

    predictions: pd.DataFrame   # each claim predicted from the fit on what was known before its report date
    headlines: pd.DataFrame     # the headlines as fitted on each report date


def rolling_origin(refitter: Refitter, seed: int, progress: Progress = no_progress) -> RollingOrigin:
    """At each report date of the case, fit on the claims reported by then; predict from that fit the figures
    reported on the next date (what their sources would print), and keep the headlines as they stood."""
    days = sorted({c.report_date for c in refitter.case.evidence.used})
    tasks = [(i, day, days[i + 1] if i + 1 < len(days) else None, seed) for i, day in enumerate(days)]
    results = run_tasks(refitter, _rolling_task, tasks, "rolling origin", progress)
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

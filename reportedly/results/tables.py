"""Headline figures and source reliability as tables (DataFrames) from saved estimates."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import numpy as np
import pandas as pd

from reportedly.errors import ReportedlyError
from reportedly.inputs.schema import Claim, ClaimKind
from reportedly.levels import LEVELS, WIDEST, bounds, column, interval_columns, percent, quantile_columns
from reportedly.model.intervals import claim_interval
from reportedly.results.estimates import Estimates


def headline_table(est: Estimates) -> pd.DataFrame:
    """Median, 50% and 90% intervals of each headline figure in the model file, plus ratio capacities."""
    rows = []
    draws = est.headline_draws()
    for h in est.spec.headlines:
        window = "" if h.quantity in est.spec.ratios else f"{h.start or 'onset'} to {est.headline_end(h)}"
        rows.append({"name": h.name, "label": h.label, "window": window, **_interval_columns(draws[h.name].values)})
    for ratio in est.spec.ratios:
        rows.append(
            {
                "name": f"{ratio}_capacity",
                "label": f"{est.spec.ratios[ratio].description}: capacity stated by conversions",
                "window": "",
                **_interval_columns(est.ratio(ratio, "capacity")),
            }
        )
    return pd.DataFrame(rows)


def onset_table(est: Estimates) -> pd.DataFrame:
    """When each flow with an onset began, as days: the posterior's median and intervals, and its prior's median and
    widest interval (the model file's), to see how far the claims moved it."""
    from scipy import stats

    rows = []
    for flow, spec in est.spec.flows.items():
        prior = spec.onset
        if prior is None:
            continue
        law = stats.norm() if prior.dist == "normal" else stats.t(prior.nu)
        prior_days = {f"prior_{column(q)}": prior.mean + dt.timedelta(days=round(prior.sd_days * law.ppf(q)))
                      for q in (0.5, *bounds(WIDEST))}
        draws = est.posterior["onset"].sel(onset_quantity=flow).values
        days = {name: est.axis.day_at(months) for name, months in interval_columns(draws).items()}
        rows.append({"flow": flow, "description": spec.description,
                     **{name: day.isoformat() for name, day in {**days, **prior_days}.items()}})
    return pd.DataFrame(rows)


def source_table(est: Estimates) -> pd.DataFrame:
    """Each source's learned error scale (log scale) next to the prior median of its rating."""
    ratings = json.loads(est.attrs["source_ratings"])
    counts = json.loads(est.attrs["claims_per_source"])
    rows = []
    for name in est.posterior["source"].values:
        rating = ratings[name]
        sigma = est.posterior["sigma"].sel(source=name).values
        rows.append(
            {
                "source": str(name),
                "rating": rating,
                "claims_used": counts.get(name, 0),
                "prior_median": est.spec.errors.ratings[rating].median,
                **{f"sigma_{k}": v for k, v in _interval_columns(sigma).items()},
                "bias_median": float(np.median(est.posterior["bias"].sel(source=name).values)),
            }
        )
    return pd.DataFrame(rows)


def claim_fit_table(est: Estimates, claims: Iterable[Claim], seed: int = 0) -> pd.DataFrame:
    """For each count or conversion claim: the posterior predictive of its source's estimate.

    `p_interval` is the predictive probability of the interval the claim's wording asserts; `p_tail`, the
    two-sided tail probability of the printed figure (2 x the smaller of P(report <= upper) and
    P(report >= lower), at most 1): small means surprising whatever the interval's width;
    `inside_50` / `inside_90` whether the asserted interval meets the 50% / 90% predictive interval. Unused relays
    are included,
    so a relay that moved a figure or a window shows how far it strays.
    """
    rng_seed = np.random.SeedSequence(seed)
    by_id = {c.id: c for c in claims}
    rows = []
    for claim, child in zip(by_id.values(), rng_seed.spawn(len(by_id))):
        if claim.kind not in (ClaimKind.count, ClaimKind.conversion):
            continue
        if claim.quantity not in est.spec.ratios and claim.quantity not in est.posterior["quantity"].values:
            continue
        if claim.kind == ClaimKind.conversion:
            truth = est.ratio(claim.quantity, "capacity")
        else:
            try:
                truth = est.window_total(claim.quantity, claim.window.start, claim.window.end)
            except ReportedlyError:
                continue
        basis = by_id.get(claim.basis) if claim.basis else None
        lower, upper = claim_interval(claim, est.spec.qualifiers, basis)
        report = est.report_draws(truth, source=claim.origin, rng=np.random.default_rng(child))
        predicted = quantile_columns(report, "pred_")
        rows.append(
            {
                "id": claim.id,
                "assessment": claim.assessment,
                "used": claim.use,
                "quantity": claim.quantity,
                "origin": claim.origin,
                "printed": claim.figure,
                "lower": lower,
                "upper": upper,
                **predicted,
                "p_interval": float(np.mean((report >= lower) & (report <= upper))),
                "p_tail": float(min(1.0, 2 * min(np.mean(report <= upper), np.mean(report >= lower)))),
                **{
                    f"inside_{percent(level)}": bool(
                        lower <= predicted[f"pred_{column(bounds(level)[1])}"]
                        and upper >= predicted[f"pred_{column(bounds(level)[0])}"]
                    )
                    for level in LEVELS
                },
            }
        )
    return pd.DataFrame(rows)


# A used claim whose printed figure has a two-sided tail probability below this is hard to reconcile with the rest.
UNRECONCILED_TAIL_P = 0.05


def unreconciled(claims_fit: pd.DataFrame) -> pd.DataFrame:
    """Used claims the fit cannot reconcile with the rest of the evidence, most surprising first."""
    table = claims_fit[claims_fit["used"] & (claims_fit["p_tail"] < UNRECONCILED_TAIL_P)]
    return table.sort_values("p_tail")


def _interval_columns(draws: np.ndarray) -> dict[str, float]:
    return interval_columns(draws)

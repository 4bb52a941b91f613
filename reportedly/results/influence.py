"""Which claim drives which headline: each headline as it would be without each used claim.

From the saved fit alone, by Pareto-smoothed importance sampling (PSIS): the draws reweighted by
1 / p(claim | draw) approximate the posterior without that claim. Where the Pareto k of those weights is
above 0.7 the approximation is not to be trusted, and `explain` refits the model without the claim instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp

from reportedly.levels import WIDEST, bounds
from reportedly.model.design import Design
from reportedly.model.intervals import estimated_truth
from reportedly.model.likelihood import interval_logp
from reportedly.results.estimates import Estimates
from reportedly.results.psis import PARETO_K_GOOD, psis_log_weights, relative_efficiency
from reportedly.timeaxis import row_window_totals

# The headline's median and the ends of its widest interval, with and without each claim.
QUANTILES = (bounds(WIDEST)[0], 0.5, bounds(WIDEST)[1])
INFLUENCE_FILE = "influence.csv"


def claim_log_likelihood(posterior: xr.Dataset, design: Design) -> xr.DataArray:
    """The log-likelihood of each used claim at each draw (chain, draw, claim), as the model computes it: averaged
    over the quadrature nodes of the shares of the months its window cuts (`timing`); for a claim that dates a start,
    of the date its source gives. A figure's is that of the flow with the draw's end, which the model draws from its
    conditional posterior given the claims (`builder._end_of_draw`): the claims are independent given the end, so
    the draws reweighted by it leave one claim out of the model with the end as one more unknown."""
    flow = posterior["flow"].values[..., design.quantity_index, :]
    mu_bias = posterior["bias"].sel(source=design.sources).values[..., design.source_index]
    sigma = posterior["sigma"].sel(source=design.sources).values[..., design.source_index]
    capacity = posterior["capacity"].values[..., design.ratio_index]
    per_node = []
    for j in range(design.start_share.shape[1]):
        totals = row_window_totals(flow, design.k0, design.start_share[:, j], design.k1, design.end_share[:, j])
        truth = np.where(design.is_conversion, capacity, totals)
        per_node.append(interval_logp(design.log_lower, design.log_upper, np.log(estimated_truth(truth)) + mu_bias,
                                      sigma))
    values = logsumexp(np.stack(per_node), axis=0) - np.log(len(per_node))
    if design.is_onset.any():   # a date for a flow's start: the onset plus the dating error, inside its window
        when = posterior["onset"].values[..., design.onset_row]
        dated = interval_logp(design.onset_lower, design.onset_upper, when, design.dating_scale)
        values = np.where(design.is_onset == 1, dated, values)
    return xr.DataArray(values, dims=("chain", "draw", "claim"), coords={"claim": design.claim_ids})


def loo_weights(log_likelihood: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised PSIS weights (claim, draw) of the posterior without each claim, and their Pareto k (claim,)."""
    per_claim = log_likelihood.transpose("claim", "chain", "draw").values.astype(float)
    smoothed = [psis_log_weights(draws, relative_efficiency(draws)) for draws in per_claim]
    log_weights = np.array([w.ravel() for w, _ in smoothed])
    weights = np.exp(log_weights - log_weights.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True), np.array([k for _, k in smoothed])


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs=QUANTILES) -> np.ndarray:
    """Quantiles of `values` under importance `weights`."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    return np.interp(probs, cumulative, values[order])


def influence_table(est: Estimates) -> pd.DataFrame:
    """One row per used claim and headline: the headline's median and 90% interval with and without the claim.

    `shift` is the relative move of the median when the claim is dropped; `pareto_k` above 0.7 marks rows
    whose importance-sampling estimate is unreliable (`reliable` False: refit to know, see `refit_unreliable`).
    """
    weights, pareto_k = loo_weights(est.posterior["log_likelihood"])
    claims = list(est.posterior["log_likelihood"]["claim"].values)
    draws = est.headline_draws()
    rows = []
    for h in est.spec.headlines:
        values = draws[h.name].values.ravel()
        q05, median, q95 = np.quantile(values, QUANTILES)
        for i, claim in enumerate(claims):
            w05, w50, w95 = weighted_quantiles(values, weights[i])
            rows.append({"claim": claim, "headline": h.name, "pareto_k": float(pareto_k[i]),
                         "median": median, "q05": q05, "q95": q95,
                         "median_without": w50, "q05_without": w05, "q95_without": w95,
                         "shift": w50 / median - 1, "method": "PSIS", "reliable": bool(pareto_k[i] <= PARETO_K_GOOD)})
    return pd.DataFrame(rows)


def top_drivers(table: pd.DataFrame, per_headline: int = 3) -> pd.DataFrame:
    """For each headline, the claims whose removal moves its median most."""
    ranked = table.assign(size=table["shift"].abs()).sort_values(["headline", "size"], ascending=[True, False])
    order = list(dict.fromkeys(table["headline"]))
    top = ranked.groupby("headline", sort=False).head(per_headline).drop(columns="size")
    return top.set_index("headline").loc[order].reset_index()


def refit_unreliable(table: pd.DataFrame, refit_without) -> pd.DataFrame:
    """The table with every claim whose Pareto k is above 0.7 answered by an exact refit instead.

    `refit_without(claim)` returns the headline draws (a Dataset of (chain, draw) arrays) of a fit without it.
    """
    table = table.copy()
    for claim in dict.fromkeys(table.loc[~table["reliable"], "claim"]):
        draws = refit_without(claim)
        for index in table.index[table["claim"] == claim]:
            headline = table.at[index, "headline"]
            q05, median, q95 = np.quantile(draws[headline].values.ravel(), QUANTILES)
            table.loc[index, ["median_without", "q05_without", "q95_without", "shift", "method", "reliable"]] = [
                median, q05, q95, median / table.at[index, "median"] - 1, "refit", True]
    return table

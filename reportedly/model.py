r"""Build the PyMC model of a case. Pure: no sampling, no I/O.

The generative model, for flow quantity q, month m, ratio r, source s, claim i:

    level_q        ~ LogNormal(log median_q, sigma_q)                     typical monthly trend
    smooth_q       ~ HalfNormal(tau_q)                                    month-to-month log change
    w_qm           = cumsum_m(smooth_q * eps_qm) - mean_m(...),  eps ~ N(0, 1)     (non-centred walk)
    trend_qm       = level_q * exp(w_qm)
    share_qm       = max(0, 1 + spread_q * z_qm),  z ~ N(0, 1)           a month's share of the trend (flows with a spread)
    onset_q        ~ Normal(mu_q, sd_q)                                   months since the axis start
    end_q          = (onset_q or 0, the axis start) + LogNormal(d_q, e_q)  (flows with a duration)  when it stops
    active_qm      = share of month m between onset_q and end_q, each a logistic step over ~a week (timeaxis.running_share)
    flow_qm        = trend_qm * share_qm * active_qm
    capacity_r     ~ LogNormal(...);  fill_r ~ Beta(...);  realised_r = capacity_r * fill_r
    flow_lm        = flow_{q(l)m} * realised_{r(l)}                      link l = flow x ratio
    scale_letter   = median_letter * exp(rating_spread * eta_letter),     eta ~ N(0, 1)   (pooled by letter)
    sigma_s        = scale_{letter(s)} * exp(source_spread * z_s),        z ~ N(0, 1)
    bias_s         = bias_sd * b_s,                                       b ~ N(0, 1)
    T_i            = sum of flow_{q(i)} over claim i's window (partial months by days), at least one unit,
                     or capacity_{r(i)} for a conversion claim
    log E_i        = log T_i + bias_{s(i)} + sigma_{s(i)} * t_2          the source's own estimate
    likelihood_i   = P(lower_i <= E_i <= upper_i)                         the interval its wording asserts
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from .design import CLAIM_DATA, DESIGN_DATA, RATINGS, Design
from .intervals import LEAST_ESTIMATED
from .likelihood import interval_logp
from .spec import ModelSpec
from .timeaxis import DAYS_PER_MONTH, MonthAxis, running_share

INDICES = {"quantity_index", "ratio_index", "k0", "k1", "source_index", "source_rating"}


def build_model(spec: ModelSpec, design: Design, as_data: bool = False) -> pm.Model:
    """The PyMC model for `spec` and the used claims in `design`, with named dims and coords.

    With `as_data`, everything the claims and sources contribute (windows, quantities, sources, bounds,
    weights, ratings) is `pm.Data`: one compiled model then fits any design of the same size, so edited,
    added, left-out or simulated claims cost sampling only (see `Design.padded`).
    """
    flows, links, ratios = list(spec.flows), list(spec.links), design.ratios
    with_onset = [q for q in flows if spec.flows[q].onset is not None]
    with_spread = [q for q in flows if spec.flows[q].spread is not None]
    with_end = [q for q in flows if spec.flows[q].duration is not None]
    axis = MonthAxis(spec.time.start, spec.time.end)
    month_labels = axis.labels
    n_months = len(month_labels)
    coords = {
        "flow_quantity": flows, "quantity": design.quantities, "ratio": ratios, "onset_quantity": with_onset,
        "spread_quantity": with_spread, "end_quantity": with_end,
        "month": month_labels, "rating": list(RATINGS), "source": design.sources, "claim": design.claim_ids,
    }
    with pm.Model(coords=coords) as model:
        level_median = np.log([spec.flows[q].level.median for q in flows])
        level_sigma = np.array([spec.flows[q].level.sigma for q in flows])
        level_z = pm.Normal("level_z", dims="flow_quantity")
        log_level = level_median + level_sigma * level_z
        smoothness = pm.HalfNormal("smoothness", sigma=[spec.flows[q].smoothness.sigma for q in flows], dims="flow_quantity")
        step_z = pm.Normal("step_z", dims=("flow_quantity", "month"))
        walk = pt.cumsum(smoothness[:, None] * step_z, axis=1)
        walk = walk - walk.mean(axis=1, keepdims=True)

        onset_z = pm.Normal("onset_z", dims="onset_quantity")
        onset_mean = np.array([axis.elapsed(spec.flows[q].onset.mean) for q in with_onset])
        onset_sd = np.array([spec.flows[q].onset.sd_days / DAYS_PER_MONTH for q in with_onset])
        onset = pm.Deterministic("onset", onset_mean + onset_sd * onset_z, dims="onset_quantity")
        onset_per_flow = pt.full((len(flows),), -1e3)   # long before the axis: a flow without an onset runs throughout
        onset_per_flow = pt.set_subtensor(onset_per_flow[[flows.index(q) for q in with_onset]], onset)
        end_per_flow = pt.full((len(flows),), 1e6)
        if with_end:
            duration_median = np.log([spec.flows[q].duration.median for q in with_end])
            duration_sigma = np.array([spec.flows[q].duration.sigma for q in with_end])
            duration_z = pm.Normal("duration_z", dims="end_quantity")
            start = pt.where([q in with_onset for q in with_end], onset_per_flow[[flows.index(q) for q in with_end]], 0.0)
            end = pm.Deterministic("end", start + pt.exp(duration_median + duration_sigma * duration_z), dims="end_quantity")
            end_per_flow = pt.set_subtensor(end_per_flow[[flows.index(q) for q in with_end]], end)
        active = running_share(np.arange(n_months)[None, :], onset_per_flow[:, None], end_per_flow[:, None], pt.softplus)
        trend = pm.Deterministic("trend", pt.exp(log_level[:, None] + walk), dims=("flow_quantity", "month"))
        base_flow = trend * active
        if with_spread:
            spread = np.array([spec.flows[q].spread.sd for q in with_spread])
            share_z = pm.Normal("share_z", dims=("spread_quantity", "month"))
            rows = [flows.index(q) for q in with_spread]
            base_flow = pt.set_subtensor(base_flow[rows], base_flow[rows] * pt.maximum(1.0 + spread[:, None] * share_z, 0.0))

        capacity_z = pm.Normal("capacity_z", dims="ratio")
        capacity_median = np.log([spec.ratios[r].capacity.median for r in ratios])
        capacity_sigma = np.array([spec.ratios[r].capacity.sigma for r in ratios])
        capacity = pm.Deterministic("capacity", pt.exp(capacity_median + capacity_sigma * capacity_z), dims="ratio")
        fill = pm.Beta("fill", alpha=[spec.ratios[r].fill.alpha for r in ratios],
                       beta=[spec.ratios[r].fill.beta for r in ratios], dims="ratio")
        realised = pm.Deterministic("realised", capacity * fill, dims="ratio")

        link_rows = [base_flow[flows.index(spec.links[l].product[0])] * realised[ratios.index(spec.links[l].product[1])]
                     for l in links]
        flow = pm.Deterministic("flow", pt.concatenate([base_flow, *[row[None, :] for row in link_rows]], axis=0),
                                dims=("quantity", "month"))

        data = model_data(design, as_data)

        rating_z = pm.Normal("rating_z", dims="rating")
        rating_median = np.log([spec.errors.ratings[letter].median for letter in RATINGS])
        rating_scale = pm.Deterministic("rating_scale", pt.exp(rating_median + spec.errors.rating_spread * rating_z),
                                        dims="rating")
        source_z = pm.Normal("source_z", dims="source")
        sigma = pm.Deterministic("sigma", rating_scale[data["source_rating"]] * pt.exp(spec.errors.source_spread * source_z),
                                 dims="source")
        bias_z = pm.Normal("bias_z", dims="source")
        bias = pm.Deterministic("bias", spec.errors.bias_sd * bias_z, dims="source")

        truth = claim_truth(flow, capacity, data)
        pm.CustomDist(
            "claims",
            pt.log(truth) + bias[data["source_index"]],
            sigma[data["source_index"]],
            data["log_lower"],
            data["log_upper"],
            data["weight"],
            logp=interval_logp,
            observed=design.log_value,
            dims="claim",
        )
    return model


def model_data(design: Design, as_data: bool) -> dict:
    """The design's arrays the model reads, as constants or as `pm.Data` (float, cast back to indices)."""
    data = {}
    for name in DESIGN_DATA:
        values = np.asarray(getattr(design, name))
        if as_data:
            dims = "claim" if name in CLAIM_DATA else "source"
            values = pm.Data(name, values.astype(float), dims=dims)
            values = pt.cast(values, "int64") if name in INDICES else values
        data[name] = values
    return data


def claim_truth(flow, capacity, data: dict):
    """Each claim's true value: its window's total of its quantity, or its ratio's capacity."""
    n = flow.shape[0]
    padded = pt.concatenate([flow, pt.zeros((n, 1))], axis=1)
    cumulative = pt.concatenate([pt.zeros((n, 1)), pt.cumsum(flow, axis=1)], axis=1)
    q = data["quantity_index"]

    def at(k, f):
        return cumulative[q, k] + f * padded[q, k]

    total = at(data["k1"], data["f1"]) - at(data["k0"], data["f0"])
    return pt.maximum(pt.where(data["is_conversion"] > 0, capacity[data["ratio_index"]], total), LEAST_ESTIMATED)

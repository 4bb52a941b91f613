r"""Build the PyMC model of a case. Pure: no sampling, no I/O.

The generative model, for flow quantity q, month m, ratio r, source s, claim i:

    level_q        ~ LogNormal(log median_q, sigma_q)                     typical monthly trend
    smooth_q       ~ HalfNormal(tau_q)                                    month-to-month log change
    w_qm           = cumsum_m(smooth_q * eps_qm) - mean_m(...),  eps ~ N(0, 1)     (non-centred walk)
    trend_qm       = level_q * exp(w_qm)
    share_qm       = max(0, 1 + spread_q * z_qm),  z ~ N(0, 1)           a month's share of the trend (flows with a spread)
    onset_q        ~ Normal(mu_q, sd_q)                                   months since the axis start
    end_q          = (onset_q or 0, the axis start) + D_q,  D_q ~ LogNormal(d_q, e_q) given end_q >= B_q   (flows with a duration)
    active_qm      = share of month m between onset_q and end_q, each edge a smoothstep over two months (timeaxis.running_share)
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

A flow stops only where no claim looks: B_q is half an edge past the start of the month after the last day any used
claim of the flow (or of a link on it) covers, so that the end's edge leaves every claimed month whole, and the end is drawn from the duration's prior given that it falls after B_q, by the prior's quantile at
the normal CDF of an auxiliary N(0, 1). So no claim's likelihood depends on the end, and the sampler never meets
the wall where an end would cut into a claimed window; inside the claimed period a flow that stops is the walk and
the monthly share falling to nothing. The end matters to totals up to the latest report past a flow's last claim,
and to forecasts.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.dist_math import normal_lccdf, normal_lcdf

from reportedly.model.claim_op import CLAIM_INPUTS, claims_log_likelihood
from reportedly.inputs.schema import RATINGS
from reportedly.model.design import CLAIM_DATA, DESIGN_DATA, Design
from reportedly.model.flow_op import NO_END, NO_ONSET, flows_of
from reportedly.inputs.spec import ModelSpec
from reportedly.timeaxis import DAYS_PER_MONTH, EDGE_MONTHS, MonthAxis

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
    months = np.arange(len(axis.labels))
    coords = {
        "flow_quantity": flows, "quantity": design.quantities, "ratio": ratios, "onset_quantity": with_onset,
        "spread_quantity": with_spread, "end_quantity": with_end,
        "month": axis.labels, "rating": list(RATINGS), "source": design.sources, "claim": design.claim_ids,
    }
    with pm.Model(coords=coords) as model:
        level_median = np.log([spec.flows[q].level.median for q in flows])
        level_sigma = np.array([spec.flows[q].level.sigma for q in flows])
        level_z = pm.Normal("level_z", dims="flow_quantity")
        log_level = level_median + level_sigma * level_z
        smoothness = pm.HalfNormal("smoothness", sigma=[spec.flows[q].smoothness.sigma for q in flows], dims="flow_quantity")
        step_z = pm.Normal("step_z", dims=("flow_quantity", "month"))

        onset_z = pm.Normal("onset_z", dims="onset_quantity")
        onset_mean = np.array([axis.elapsed(spec.flows[q].onset.mean) for q in with_onset])
        onset_sd = np.array([spec.flows[q].onset.sd_days / DAYS_PER_MONTH for q in with_onset])
        onset = pm.Deterministic("onset", onset_mean + onset_sd * onset_z, dims="onset_quantity")
        onset_per_flow = pt.set_subtensor(pt.full((len(flows),), NO_ONSET, dtype="float64")[[flows.index(q) for q in with_onset]],
                                          onset)
        share_z = (pm.Normal("share_z", dims=("spread_quantity", "month")) if with_spread
                   else pt.zeros((0, len(months))))

        capacity_z = pm.Normal("capacity_z", dims="ratio")
        capacity_median = np.log([spec.ratios[r].capacity.median for r in ratios])
        capacity_sigma = np.array([spec.ratios[r].capacity.sigma for r in ratios])
        capacity = pm.Deterministic("capacity", pt.exp(capacity_median + capacity_sigma * capacity_z), dims="ratio")
        fill = pm.Beta("fill", alpha=[spec.ratios[r].fill.alpha for r in ratios],
                       beta=[spec.ratios[r].fill.beta for r in ratios], dims="ratio")
        realised = pm.Deterministic("realised", capacity * fill, dims="ratio")

        spread_rows = [flows.index(q) for q in with_spread]
        spread_sd = [spec.flows[q].spread.sd for q in with_spread]
        link_base = [flows.index(spec.links[link].product[0]) for link in links]
        link_ratio = [ratios.index(spec.links[link].product[1]) for link in links]

        def flows_ending(end_per_flow, onsets=onset_per_flow, shares=share_z):
            """The flows then the links, (quantity, month), stopping at `end_per_flow`."""
            return flows_of(log_level, smoothness, step_z, onsets, end_per_flow, shares, realised,
                            spread_rows, spread_sd, link_base, link_ratio)

        never = pt.full((len(flows),), NO_END, dtype="float64")
        # The trend: each flow as though it ran throughout, every month at its trend.
        always = flows_ending(never, pt.full((len(flows),), NO_ONSET, dtype="float64"), pt.zeros_like(share_z))
        pm.Deterministic("trend", always[:len(flows)], dims=("flow_quantity", "month"))

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

        def claims_logp(flow):
            return claims_log_likelihood(flow, capacity, bias, sigma, *(data[name] for name in CLAIM_INPUTS))

        running = flows_ending(never)
        flow = running
        if with_end:
            base_of = np.array([flows.index(spec.links[q].product[0]) if q in spec.links else flows.index(q)
                                for q in design.quantities])
            start = pt.where([q in with_onset for q in with_end], onset_per_flow[[flows.index(q) for q in with_end]], 0.0)
            end = _end_beyond_claims(spec, with_end, start, data, base_of)
            flow = flows_ending(pt.set_subtensor(never[[flows.index(q) for q in with_end]], end))
        pm.Deterministic("flow", flow, dims=("quantity", "month"))
        pm.CustomDist("claims", claims_logp(running), logp=_given, observed=design.log_value, dims="claim")
    return model


def _given(value, logp):
    """The claims' log-likelihood, computed with the flows (`value` carries only the claims' shape)."""
    return logp + 0 * value


def _end_beyond_claims(spec: ModelSpec, with_end: list[str], start, data: dict, base_of: np.ndarray):
    """Each flow's end (`with_end`): its duration's prior given that it ends after the claims stop seeing it."""
    median = np.log([spec.flows[q].duration.median for q in with_end])
    sigma = np.array([spec.flows[q].duration.sigma for q in with_end])
    base = pt.as_tensor(base_of)[data["quantity_index"]]
    rows = np.array([list(spec.flows).index(q) for q in with_end])
    member = pt.eq(base[None, :], rows[:, None]) & pt.eq(data["is_conversion"], 0)[None, :] & pt.gt(data["weight"], 0)[None, :]
    last_claimed = pt.max(pt.where(member, pt.ceil(data["k1"] + data["f1"])[None, :], -1e3), axis=1)
    unseen_from = pt.maximum(last_claimed + EDGE_MONTHS / 2, start + EDGE_MONTHS)   # months since the axis start
    log_beyond = normal_lccdf(median, sigma, pt.log(unseen_from - start))       # P(duration > unseen_from - start)
    beyond_z = pm.Normal("end_z", dims="end_quantity")
    tail = normal_lcdf(0.0, 1.0, -beyond_z) + log_beyond                       # the tail's upper part, uniformly
    return pm.Deterministic("end", start + pt.exp(median - sigma * _normal_quantile(tail)), dims="end_quantity")


def _normal_quantile(log_p):
    """The standard normal quantile of exp(log_p), kept finite at both ends."""
    p = pt.clip(pt.exp(log_p), 1e-300, 1 - 1e-12)
    return -np.sqrt(2.0) * pt.erfcinv(2 * p)


def model_data(design: Design, as_data: bool) -> dict:
    """The design's arrays the model reads, as constants or as `pm.Data` (float, cast back to indices)."""
    data = {}
    for name in DESIGN_DATA:
        values = np.asarray(getattr(design, name))
        if as_data:
            dims = "claim" if name in CLAIM_DATA else "source"
            values = pm.Data(name, values.astype(float), dims=dims)
            values = pt.cast(values, "int64") if name in INDICES else values
        else:
            values = values.astype("int64") if name in INDICES else values.astype(float)
        data[name] = values
    return data

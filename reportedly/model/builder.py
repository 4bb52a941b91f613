r"""Build the PyMC model of a case. Pure: no sampling, no I/O.

The generative model, for flow quantity q, month m, ratio r, source s, claim i:

    level_q        ~ LogNormal(log median_q, sigma_q)                     typical monthly trend
    smooth_q       ~ HalfNormal(tau_q)                                    month-to-month log change
    w_qm           = cumsum_m(smooth_q * eps_qm) - mean_m(...),  eps ~ N(0, 1)     (non-centred walk)
    trend_qm       = level_q * exp(w_qm)
    share_qm       = max(0, 1 + spread_q * z_qm),  z ~ N(0, 1)           a month's share of the trend (with a spread;
                     exp(spread_q * z_qm - spread_q^2 / 2) for a flow that moves in waves)
    onset_q        = mu_q + sd_q * Z_q,  Z_q ~ N(0, 1) or Student-t(nu_q)    months since the axis start
    wave_q         = level_q * W_q,  W_q ~ LogNormal(...)                 a first wave at the onset, W_q months of the
                     level on top of the trend (a flow with `first_wave`; 0 otherwise), spread over the month from it
    end_q          = (onset_q or 0, the axis start) + D_q,  D_q ~ LogNormal(d_q, e_q)   when it stops (a duration)
    after_qm, before_qm = share of month m after onset_q (a smoothstep rising over the two months from it), before
                     end_q (one falling over the two months about it)
    arrived_qm     = share of the first wave in month m (a smoothstep's rise over the month from onset_q)
    flow_qm        = (trend_qm * share_qm * after_qm + wave_q * arrived_qm) * before_qm        (flow_op, timeaxis)
    capacity_r     ~ LogNormal(...);  fill_r ~ Beta(...);  realised_r = capacity_r * fill_r
    flow_lm        = flow_{q(l)m} * realised_{r(l)}                      link l = flow x ratio
    scale_letter   = median_letter * exp(rating_spread * eta_letter),     eta ~ N(0, 1)   (pooled by letter)
    sigma_s        = scale_{letter(s)} * exp(source_spread * z_s),        z ~ N(0, 1)
    bias_s         = bias_sd * b_s,                                       b ~ N(0, 1)
    T_i            = sum of flow_{q(i)} over claim i's window, at least one unit, or capacity_{r(i)} for a conversion
                     claim; a month the window cuts adds its share u of that month's flow, u ~ Beta(k c, k (1 - c))
                     for a window covering c of its days (`timing`: a Dirichlet process over the days, concentration
                     k_q), integrated out at timing.NODES nodes
    log E_i        = log T_i + bias_{s(i)} + sigma_{s(i)} * t_2          the source's own estimate
    likelihood_i   = P(lower_i <= E_i <= upper_i)                         the interval its wording asserts   (claim_op)
    a claim that dates a flow's start (kind onset): its source's date is onset_q + dating * t_2 (dating: the model
                     file's `[errors] dating`, in months), and its likelihood is P(after_i <= date <= before_i) for
                     the days its window holds (after_i = -infinity for "had begun by")

A flow's end is sampled in two parts, marginalised, so that the sampler never meets the wall where an end would cut
into a claimed window. B_q is half an edge past the start of the month after the last day any used claim of the
flow (or of a link on it) covers: an end after it leaves every claimed month whole. With its prior probability P_q
the end lies after B_q, where no claim sees it (drawn from the prior's tail); otherwise it lies before, at end⁰_q
(drawn from the prior below B_q). Each part is the prior's quantile at the normal CDF of an auxiliary N(0, 1). The
claims' likelihood is the mixture P_q · p(claims | running) + (1 − P_q) · p(claims | stopped at end⁰_q), and a
draw's end is the tail's with the mixture's posterior probability of running, end⁰_q otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.dist_math import normal_lccdf, normal_lcdf

from reportedly.inputs.schema import RATINGS
from reportedly.inputs.spec import ModelSpec, OnsetPrior
from reportedly.model.claim_op import CLAIM_INPUTS, claims_log_likelihood
from reportedly.model.design import CLAIM_DATA, DESIGN_DATA, Design
from reportedly.model.flow_op import NO_END, NO_ONSET, flows_of
from reportedly.model.timing import NODES
from reportedly.timeaxis import DAYS_PER_MONTH, EDGE_MONTHS

INDICES = {"quantity_index", "ratio_index", "k0", "k1", "source_index", "source_rating", "onset_row"}


def build_model(spec: ModelSpec, design: Design, as_data: bool = False, prior: bool = False) -> pm.Model:
    """The PyMC model for `spec` and the used claims in `design`, with named dims and coords.

    With `as_data`, everything the claims and sources contribute (windows, quantities, sources, bounds,
    weights, ratings) is `pm.Data`: one compiled model then fits any design of the same size, so edited,
    added, left-out or simulated claims cost sampling only (see `Design.padded`). With `prior`, each flow's end is
    drawn as its prior says, whatever the claims (for drawing truths from the prior).
    """
    flows, links, ratios = list(spec.flows), list(spec.links), design.ratios
    with_onset = spec.flows_with_onset
    with_spread = [q for q in flows if spec.flows[q].spread is not None]
    with_end = [q for q in flows if spec.flows[q].duration is not None]
    with_wave = [q for q in flows if spec.flows[q].first_wave is not None]
    axis = spec.time.axis
    months = len(axis.labels)
    coords = {"flow_quantity": flows, "quantity": design.quantities, "ratio": ratios, "onset_quantity": with_onset,
              "spread_quantity": with_spread, "end_quantity": with_end, "wave_quantity": with_wave,
              "month": axis.labels, "rating": list(RATINGS),
              "source": design.sources, "claim": design.claim_ids,
              "share_node": [str(j) for j in range(NODES)]}
    with pm.Model(coords=coords) as model:
        level_z = pm.Normal("level_z", dims="flow_quantity")
        log_level = (np.log([spec.flows[q].level.median for q in flows])
                     + np.array([spec.flows[q].level.sigma for q in flows]) * level_z)
        smoothness = pm.HalfNormal("smoothness", sigma=[spec.flows[q].smoothness.sigma for q in flows],
                                   dims="flow_quantity")
        step_z = pm.Normal("step_z", dims=("flow_quantity", "month"))

        onset_z = _standard_onsets([spec.flows[q].onset for q in with_onset])
        onset_mean = np.array([axis.elapsed(spec.flows[q].onset.mean) for q in with_onset])
        onset_sd = np.array([spec.flows[q].onset.sd_days / DAYS_PER_MONTH for q in with_onset])
        onset = pm.Deterministic("onset", onset_mean + onset_sd * onset_z, dims="onset_quantity")
        onset_per_flow = _per_flow(onset, with_onset, flows, NO_ONSET)
        share_z = pm.Normal("share_z", dims=("spread_quantity", "month")) if with_spread else pt.zeros((0, months))
        wave_per_flow = pt.zeros((len(flows),))
        if with_wave:
            rows = [flows.index(q) for q in with_wave]
            wave_z = pm.Normal("wave_z", dims="wave_quantity")
            wave = pm.Deterministic("first_wave", pt.exp(
                log_level[rows] + np.log([spec.flows[q].first_wave.median for q in with_wave])
                + np.array([spec.flows[q].first_wave.sigma for q in with_wave]) * wave_z), dims="wave_quantity")
            wave_per_flow = _per_flow(wave, with_wave, flows, 0.0)

        capacity_z = pm.Normal("capacity_z", dims="ratio")
        capacity = pm.Deterministic("capacity", pt.exp(np.log([spec.ratios[r].capacity.median for r in ratios])
                                                       + np.array([spec.ratios[r].capacity.sigma for r in ratios])
                                                       * capacity_z), dims="ratio")
        fill = pm.Beta("fill", alpha=[spec.ratios[r].fill.alpha for r in ratios],
                       beta=[spec.ratios[r].fill.beta for r in ratios], dims="ratio")
        realised = pm.Deterministic("realised", capacity * fill, dims="ratio")

        def flows_stopping(end_per_flow, onsets=onset_per_flow, waves=wave_per_flow, shares=share_z):
            """The flows then the links, (quantity, month), that stop at `end_per_flow`."""
            return flows_of(log_level, smoothness, step_z, onsets, end_per_flow, waves, shares, realised,
                            [flows.index(q) for q in with_spread], [spec.flows[q].spread.sd for q in with_spread],
                            [int(spec.flows[q].spread.in_waves) for q in with_spread],
                            [flows.index(spec.links[link].product[0]) for link in links],
                            [ratios.index(spec.links[link].product[1]) for link in links])

        never = pt.full((len(flows),), NO_END, dtype="float64")
        # The trend: each flow as though it ran throughout, every month at its trend.
        always = flows_stopping(never, pt.full((len(flows),), NO_ONSET, dtype="float64"), pt.zeros((len(flows),)),
                                pt.zeros_like(share_z))
        pm.Deterministic("trend", always[:len(flows)], dims=("flow_quantity", "month"))

        data = model_data(design, as_data)
        rating_z = pm.Normal("rating_z", dims="rating")
        rating_scale = pm.Deterministic("rating_scale", pt.exp(np.log([spec.errors.ratings[r].median for r in RATINGS])
                                                               + spec.errors.rating_spread * rating_z), dims="rating")
        source_z = pm.Normal("source_z", dims="source")
        sigma = pm.Deterministic("sigma", rating_scale[data["source_rating"]]
                                 * pt.exp(spec.errors.source_spread * source_z), dims="source")
        bias_z = pm.Normal("bias_z", dims="source")
        bias = pm.Deterministic("bias", spec.errors.bias_sd * bias_z, dims="source")

        running = flows_stopping(never)
        base_of = np.array([flows.index(spec.base_flow(q)) for q in design.quantities])
        parts = _end_parts(spec, with_end, onset_per_flow, data, base_of) if with_end else None
        stopping = never if parts is None else _per_flow(parts.within, with_end, flows, NO_END)
        figures = data | {"weight": data["weight"] * (1 - data["is_onset"])}   # the onset claims are dated below
        running_logp, stopped_logp = claims_log_likelihood(running, stopping[base_of], capacity, bias, sigma,
                                                           *(figures[name] for name in CLAIM_INPUTS))
        flow = running
        if parts is not None:
            end = _end_of_draw(parts, running_logp, stopped_logp, prior)
            flow = flows_stopping(_per_flow(end, with_end, flows, NO_END))
        pm.Deterministic("flow", flow, dims=("quantity", "month"))
        claims_logp = running_logp + _dated(onset, design.dating_scale, data) if with_onset else running_logp
        pm.CustomDist("claims", claims_logp, logp=_given, observed=design.log_value, dims="claim")
    return model


def _dated(onset, scale: float, data: dict):
    """Each claim's log-likelihood as a date for its flow's start (0 for a figure): the probability that the source's
    date, the onset plus a Student-t(2) error of `scale` months, lies inside the claim's window."""
    when = onset[data["onset_row"]]

    def below(bound):   # 2 * P(t_2 <= x) - 1 at x = (bound - when) / scale, in closed form
        x = (bound - when) / scale
        return x / pt.sqrt(2 + x**2)

    inside = (below(data["onset_upper"]) - below(data["onset_lower"])) / 2
    return data["is_onset"] * data["weight"] * pt.log(inside)


def _given(value, logp):
    """The claims' log-likelihood, computed with the flows (`value` carries only the claims' shape)."""
    return logp + 0 * value


def _standard_onsets(priors: list[OnsetPrior]):
    """Each onset's distance from its prior's mean in units of its spread: N(0, 1) for a normal onset (`onset_z`),
    Student-t for a heavy-tailed one (`onset_t`), in the order of `priors`."""
    if not priors:
        return pt.zeros((0,))
    heavy = np.array([p.dist == "student_t" for p in priors])
    parts = []
    if not heavy.all():
        parts.append(pm.Normal("onset_z", shape=int((~heavy).sum())))
    if heavy.any():
        parts.append(pm.StudentT("onset_t", nu=np.array([p.nu for p, t in zip(priors, heavy) if t]),
                                 shape=int(heavy.sum())))
    order = np.argsort(np.concatenate([np.flatnonzero(~heavy), np.flatnonzero(heavy)]), kind="stable")
    return pt.concatenate(parts)[order]


def _per_flow(values, which: list[str], flows: list[str], missing: float):
    """`values` of the flows `which`, as a vector over all flows with `missing` for the others."""
    return pt.set_subtensor(pt.full((len(flows),), missing, dtype="float64")[[flows.index(q) for q in which]], values)


@dataclass(frozen=True)
class EndParts:
    """A flow's end in its two parts (see the module's docstring), for the flows with a duration."""

    within: object        # where it stops if that is before B (within the claims)
    beyond: object        # where it stops if that is after B
    log_within: object    # the prior's log-probability of each
    log_beyond: object
    members: object       # (flow with a duration, claim): 1 where the claim counts that flow or a link on it


def _end_parts(spec: ModelSpec, with_end: list[str], onset_per_flow, data: dict, base_of: np.ndarray) -> EndParts:
    """Each part of the ends by its prior's quantile at the normal CDF of an auxiliary N(0, 1): within the claims,
    the prior truncated to end before they stop seeing the flow; beyond them, the prior's tail after it."""
    flows = list(spec.flows)
    rows = np.array([flows.index(q) for q in with_end])
    start = pt.maximum(onset_per_flow[rows], 0.0)   # a flow without an onset runs from the axis start
    median = np.log([spec.flows[q].duration.median for q in with_end])
    sigma = np.array([spec.flows[q].duration.sigma for q in with_end])
    base = pt.as_tensor(base_of)[data["quantity_index"]]
    counted = pt.eq(data["is_conversion"], 0) & pt.eq(data["is_onset"], 0) & pt.gt(data["weight"], 0)
    member = pt.eq(base[None, :], rows[:, None]) & counted[None, :]
    last_month = pt.max(pt.where(member, pt.ceil(data["k1"] + data["f1"])[None, :], -1e3), axis=1)
    unseen_from = pt.maximum(last_month + EDGE_MONTHS / 2, start + EDGE_MONTHS)   # B, months since the axis start
    log_within = normal_lcdf(median, sigma, pt.log(unseen_from - start))
    log_beyond = normal_lccdf(median, sigma, pt.log(unseen_from - start))
    within_z = pm.Normal("end_within_z", dims="end_quantity")
    beyond_z = pm.Normal("end_beyond_z", dims="end_quantity")
    return EndParts(
        within=start + pt.exp(median + sigma * _normal_quantile(normal_lcdf(0.0, 1.0, within_z) + log_within)),
        beyond=start + pt.exp(median - sigma * _normal_quantile(normal_lcdf(0.0, 1.0, -beyond_z) + log_beyond)),
        log_within=log_within, log_beyond=log_beyond, members=pt.cast(member, "float64"))


def _end_of_draw(parts: EndParts, running_logp, stopped_logp, prior: bool):
    """The claims' likelihood marginalised over the two parts (added to the model), and this draw's ends: the part
    beyond the claims with the posterior probability of running through them (its prior probability, with `prior`)."""
    running = pt.dot(parts.members, running_logp)
    mixture = pt.logaddexp(parts.log_beyond + running, parts.log_within + pt.dot(parts.members, stopped_logp))
    if prior:
        p_beyond = pt.exp(parts.log_beyond)
    else:
        pm.Potential("end_unknown", pt.sum(mixture - running))
        p_beyond = pt.exp(parts.log_beyond + running - mixture)
    pm.Deterministic("p_end_beyond_claims", p_beyond, dims="end_quantity")
    pick = pm.Uniform("end_pick", 0.0, 1.0, dims="end_quantity")
    return pm.Deterministic("end", pt.where(pick < p_beyond, parts.beyond, parts.within), dims="end_quantity")


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
            dims = ("claim", "share_node")[:values.ndim] if name in CLAIM_DATA else "source"
            values = pm.Data(name, values.astype(float), dims=dims)
            values = pt.cast(values, "int64") if name in INDICES else values
        else:
            values = values.astype("int64") if name in INDICES else values.astype(float)
        data[name] = values
    return data

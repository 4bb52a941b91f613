"""The monthly flows from the model's latent pieces, as one PyTensor operation with its gradient.

For flow f and month m (the maths of `model`'s docstring):

    walk_fm   = cumsum_m(smoothness_f * step_fm), centred over the months
    trend_fm  = exp(log_level_f + walk_fm)
    share_fm  = max(0, 1 + spread_f * z_fm) for a flow with a spread, exp(spread_f * z_fm - spread_f^2 / 2) for one
                that moves in waves, else 1
    flow_fm   = (trend_fm * share_fm * after_onset(m, onset_f) + wave_f * wave_share(m, onset_f)) * before_end(m, end_f)
                (`timeaxis.running_share`, the product of the two edges, and `timeaxis.wave_share`; a wave of 0 for a
                flow without a first wave)
    flow_lm   = flow_{base(l) m} * realised_{ratio(l)}        for each link l, after the flows

in one pass over the flows' months and its gradient in one pass back: the same graph in PyTensor's own
operations passed over the months some twenty times per gradient. An onset of NO_ONSET or an end of NO_END
leaves a flow running from before the axis or to after it.
"""

from __future__ import annotations

import hashlib
import inspect
import math

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from reportedly.timeaxis import EDGE_MONTHS, WAVE_MONTHS

NO_ONSET, NO_END = -1e3, 1e6
# Inputs after the latent pieces: which flows have a spread, how wide, whether in waves, which flow and ratio each
# link takes.
SHAPE_INPUTS = 5


@numba.njit(cache=True)
def _edge(x):
    """The integral up to x of the smoothstep over EDGE_MONTHS (as `timeaxis.running_share`), and the step itself."""
    u = min(max(x / EDGE_MONTHS + 0.5, 0.0), 1.0)
    return (EDGE_MONTHS * (u ** 4 * (u * (u - 3) + 2.5) + max(x / EDGE_MONTHS - 0.5, 0.0)),
            u * u * u * (u * (6 * u - 15) + 10))


@numba.njit(cache=True)
def edge_share(x):
    """A month's share after an edge centred x months before the month starts, and its derivative in x."""
    (to_start, at_start), (to_end, at_end) = _edge(x), _edge(x + 1)
    return to_end - to_start, at_end - at_start


@numba.njit(cache=True)
def _edges(m, onset, end):
    """The share of month m after a flow's onset and before its end, and their derivatives in the onset and the end."""
    started, d_started = (1.0, 0.0) if onset <= NO_ONSET else edge_share(m - onset - EDGE_MONTHS / 2)
    running, d_running = (1.0, 0.0) if end >= NO_END else edge_share(end - m - 1)
    return started, -d_started, running, d_running


@numba.njit(cache=True)
def _arrived(x):
    """The share of a first wave in by x months after the onset (as `timeaxis.wave_share`), and its derivative."""
    u = min(max(x / WAVE_MONTHS, 0.0), 1.0)
    return u * u * u * (u * (6 * u - 15) + 10), 30 * u * u * (1 - u) * (1 - u) / WAVE_MONTHS


@numba.njit(cache=True)
def _wave(m, onset):
    """The share of a first wave at `onset` that falls in month m, and its derivative in the onset (none of it for
    NO_ONSET, long before the axis)."""
    (before, d_before), (by_end, d_by_end) = _arrived(m - onset), _arrived(m + 1 - onset)
    return by_end - before, d_before - d_by_end


@numba.njit(cache=True)
def _share(z, sd, waves):
    """A month's share of the trend at standard normal z (as `SpreadPrior.share`), and its derivative in z."""
    if waves:
        share = math.exp(sd * z - sd * sd / 2)
        return share, sd * share
    return (1.0 + sd * z, sd) if 1.0 + sd * z > 0 else (0.0, 0.0)


@numba.njit(cache=True)
def _pieces(log_level, smoothness, step_z, share_z, spread_rows, spread_sd, spread_waves):
    """The trend (flow, month) and each month's share of it."""
    flows, months = step_z.shape
    trend = np.empty((flows, months))
    share = np.ones((flows, months))
    for f in range(flows):
        walk, total = 0.0, 0.0
        for m in range(months):
            walk += smoothness[f] * step_z[f, m]
            trend[f, m] = walk
            total += walk
        centre = log_level[f] - total / months
        for m in range(months):
            trend[f, m] = math.exp(trend[f, m] + centre)
    for s in range(spread_rows.shape[0]):
        for m in range(months):
            share[spread_rows[s], m] = _share(share_z[s, m], spread_sd[s], spread_waves[s])[0]
    return trend, share


@numba.njit(cache=True)
def _flows(trend, share, onset, end, wave, realised, link_base, link_ratio):
    """The flows then the links, (quantity, month), from the trend and the months' shares of it."""
    flows, months = trend.shape
    out = np.empty((flows + link_base.shape[0], months))
    for f in range(flows):
        for m in range(months):
            started, _, running, _ = _edges(m, onset[f], end[f])
            out[f, m] = running * (trend[f, m] * share[f, m] * started + wave[f] * _wave(m, onset[f])[0])
    for j in range(link_base.shape[0]):
        for m in range(months):
            out[flows + j, m] = out[link_base[j], m] * realised[link_ratio[j]]
    return out


@numba.njit(cache=True)
def latent_flows_and_pieces(log_level, smoothness, step_z, onset, end, wave, share_z, realised, spread_rows, spread_sd,
                            spread_waves, link_base, link_ratio):
    """The flows then the links, (quantity, month) (see the module's docstring), with the trend and the months' shares
    they came from (for the gradient, which then need not compute them again)."""
    trend, share = _pieces(log_level, smoothness, step_z, share_z, spread_rows, spread_sd, spread_waves)
    return _flows(trend, share, onset, end, wave, realised, link_base, link_ratio), trend, share


@numba.njit(cache=True)
def latent_flows(log_level, smoothness, step_z, onset, end, wave, share_z, realised, spread_rows, spread_sd,
                 spread_waves, link_base, link_ratio):
    """The flows then the links, (quantity, month) (see the module's docstring)."""
    return latent_flows_and_pieces(log_level, smoothness, step_z, onset, end, wave, share_z, realised, spread_rows,
                                   spread_sd, spread_waves, link_base, link_ratio)[0]


@numba.njit(cache=True)
def latent_flows_pullback(cotangent, log_level, smoothness, step_z, onset, end, wave, share_z, realised, spread_rows,
                          spread_sd, spread_waves, link_base, link_ratio):
    """The gradient of sum(cotangent * latent_flows) in the log levels, smoothness, steps, onsets, ends, first waves,
    shares and realised ratios."""
    out, trend, share = latent_flows_and_pieces(log_level, smoothness, step_z, onset, end, wave, share_z, realised,
                                                spread_rows, spread_sd, spread_waves, link_base, link_ratio)
    return pieces_pullback(cotangent, out, trend, share, log_level, smoothness, step_z, onset, end, wave, share_z,
                           realised, spread_rows, spread_sd, spread_waves, link_base, link_ratio)


@numba.njit(cache=True)
def pieces_pullback(cotangent, out, trend, share, log_level, smoothness, step_z, onset, end, wave, share_z, realised,
                    spread_rows, spread_sd, spread_waves, link_base, link_ratio):
    """`latent_flows_pullback` given the flows, trend and shares `latent_flows_and_pieces` computed."""
    flows, months = step_z.shape
    d_flow = cotangent[:flows].copy()
    d_realised = np.zeros(realised.shape[0])
    for j in range(link_base.shape[0]):
        base, ratio = link_base[j], link_ratio[j]
        for m in range(months):
            d_realised[ratio] += cotangent[flows + j, m] * out[base, m]
            d_flow[base, m] += cotangent[flows + j, m] * realised[ratio]
    d_log_level, d_smoothness = np.zeros(flows), np.zeros(flows)
    d_step, d_onset, d_end, d_wave = np.zeros((flows, months)), np.zeros(flows), np.zeros(flows), np.zeros(flows)
    d_share = np.zeros((flows, months))
    d_walk = np.empty(months)
    for f in range(flows):
        mean = 0.0
        for m in range(months):
            started, d_started, running, d_running = _edges(m, onset[f], end[f])
            arrived, d_arrived = _wave(m, onset[f])
            g = d_flow[f, m]
            d_share[f, m] = g * running * trend[f, m] * started
            d_onset[f] += g * running * (trend[f, m] * share[f, m] * d_started + wave[f] * d_arrived)
            d_end[f] += g * d_running * (trend[f, m] * share[f, m] * started + wave[f] * arrived)
            d_wave[f] += g * running * arrived
            d_walk[m] = d_share[f, m] * share[f, m]  # d log trend
            d_log_level[f] += d_walk[m]
            mean += d_walk[m]
        mean /= months
        behind = 0.0
        for m in range(months - 1, -1, -1):  # the walk at m sums every step up to m: back from the last month
            behind += d_walk[m] - mean
            d_step[f, m] = smoothness[f] * behind
            d_smoothness[f] += step_z[f, m] * behind
    d_share_z = np.zeros(share_z.shape)
    for s in range(spread_rows.shape[0]):
        for m in range(months):
            d_share_z[s, m] = d_share[spread_rows[s], m] * _share(share_z[s, m], spread_sd[s], spread_waves[s])[1]
    return d_log_level, d_smoothness, d_step, d_onset, d_end, d_wave, d_share_z, d_realised


class LatentFlowsPullback(Op):
    """The gradient of `LatentFlows`: the flows' cotangent, the flows, trend and shares it computed, then the same
    inputs."""

    __props__ = ()

    def make_node(self, cotangent, flows, trend, share, *inputs):
        """The node applying the operation to these inputs."""
        inputs = [pt.as_tensor_variable(x) for x in (cotangent, flows, trend, share, *inputs)]
        return Apply(self, inputs, [x.type() for x in inputs[4:-SHAPE_INPUTS]])

    def perform(self, node, inputs, outputs):
        """Compute the outputs outside numba (PyTensor's Python backends)."""
        for out, value in zip(outputs, pieces_pullback(*inputs)):
            out[0] = value


class LatentFlows(Op):
    """latent_flows_and_pieces(log_level, smoothness, step_z, onset, end, wave, share_z, realised, spread_rows,
    spread_sd, spread_waves, link_base, link_ratio) -> (flows then links, month), and the trend and the months' shares
    (flow, month) for the gradient alone: they carry no gradient of their own (`flows_of` gives the flows)."""

    __props__ = ()

    def make_node(
        self,
        log_level,
        smoothness,
        step_z,
        onset,
        end,
        wave,
        share_z,
        realised,
        spread_rows,
        spread_sd,
        spread_waves,
        link_base,
        link_ratio,
    ):
        """The node applying the operation to these inputs."""
        latent = [
            pt.cast(pt.as_tensor_variable(x), "float64")
            for x in (log_level, smoothness, step_z, onset, end, wave, share_z, realised)
        ]
        shape = [
            pt.as_tensor_variable(x if isinstance(x, Variable) else np.asarray(x, dtype=dtype))
            for x, dtype in (
                (spread_rows, "int64"),
                (spread_sd, "float64"),
                (spread_waves, "int64"),
                (link_base, "int64"),
                (link_ratio, "int64"),
            )
        ]
        return Apply(self, [*latent, *shape], [pt.dmatrix(), pt.dmatrix(), pt.dmatrix()])

    def perform(self, node, inputs, outputs):
        """Compute the outputs outside numba (PyTensor's Python backends)."""
        for out, value in zip(outputs, latent_flows_and_pieces(*inputs)):
            out[0] = value

    def pullback(self, inputs, outputs, cotangents):
        """The gradient: `LatentFlowsPullback` in the latent pieces; none in the flows' shape."""
        return [*LatentFlowsPullback()(cotangents[0], *outputs, *inputs),
                *(DisconnectedType()() for _ in range(SHAPE_INPUTS))]

    def connection_pattern(self, node):
        """Which inputs the outputs depend on differentiably: the flows on the latent pieces; the trend and shares,
        the gradient's own, on none."""
        return [[True, False, False]] * (len(node.inputs) - SHAPE_INPUTS) + [[False, False, False]] * SHAPE_INPUTS


# PyTensor caches compiled graphs by their operations' keys: the kernels' source (and the edges and waves) versions
# them.
_SOURCE = inspect.getsource(inspect.getmodule(latent_flows)) + repr((EDGE_MONTHS, WAVE_MONTHS))
_VERSION = int(hashlib.sha256(_SOURCE.encode()).hexdigest()[:12], 16)


@register_funcify_default_op_cache_key(LatentFlows)
def _numba_latent_flows(op, node, **kwargs):
    return latent_flows_and_pieces, _VERSION


@register_funcify_default_op_cache_key(LatentFlowsPullback)
def _numba_latent_flows_pullback(op, node, **kwargs):
    return pieces_pullback, _VERSION


def flows_of(*inputs):
    """The flows then the links (quantity, month) of `LatentFlows`'s inputs, as a PyTensor variable."""
    return LatentFlows()(*inputs)[0]

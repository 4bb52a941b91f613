"""Each claim's log-likelihood from the monthly flows, as one PyTensor operation with its gradient.

The window total of every claim (a difference of the flow's running total, a month its window cuts by its share
at each of `timing`'s quadrature nodes), the truth a source estimates (at least LEAST_ESTIMATED, or a ratio's
capacity for a conversion) and the interval likelihood of its printed words averaged over the nodes, in one pass over
the claims, and the gradient in one pass back: O(claims x nodes + months) with no intermediate arrays, where the
same graph written in PyTensor's own operations took twice as long per gradient.
Both passes are numba kernels, which PyTensor's numba backend compiles into the model and caches.
"""

from __future__ import annotations

import hashlib
import inspect
import math

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from reportedly.model.flow_op import NO_END, edge_share
from reportedly.model.intervals import LEAST_ESTIMATED
from reportedly.model.likelihood import interval_logp_and_slopes

# The design's arrays the operation reads after the flows, capacities, biases and scales, in this order.
CLAIM_INPUTS = ("quantity_index", "ratio_index", "is_conversion", "k0", "start_share", "k1", "end_share",
                "source_index", "log_lower", "log_upper", "weight")
# What `_claims_logp` keeps at each claim's node for the gradient: truth, the two standardised bounds, log-likelihood
# and its two slopes.
NODE_VALUES = 6


@numba.njit(cache=True)
def _running_totals(flow):
    """Each row's running total from 0, with the last repeated: a window's total is read off by interpolation."""
    rows, months = flow.shape
    total = np.zeros((rows, months + 2))
    for r in range(rows):
        running = 0.0
        for m in range(months):
            running += flow[r, m]
            total[r, m + 1] = running
        total[r, months + 1] = running
    return total


@numba.njit(cache=True)
def _truth(running, capacity, i, j, quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share):
    """Claim i's true value before the floor at quadrature node j: its window's total, or its ratio's capacity."""
    if is_conversion[i] > 0:
        return capacity[ratio_index[i]]
    r = quantity_index[i]
    end = running[r, k1[i]] + end_share[i, j] * (running[r, k1[i] + 1] - running[r, k1[i]])
    start = running[r, k0[i]] + start_share[i, j] * (running[r, k0[i] + 1] - running[r, k0[i]])
    return end - start


@numba.njit(cache=True)
def _log_mean_exp(values):
    top = values.max()
    total = 0.0
    for v in values:
        total += math.exp(v - top)
    return top + math.log(total / values.shape[0])


@numba.njit(cache=True)
def _nodes(i, is_conversion, start_share, end_share):
    """How many quadrature nodes claim i needs: one where no end of its window cuts a month unevenly."""
    last = start_share.shape[1] - 1
    if is_conversion[i] > 0 or (start_share[i, 0] == start_share[i, last] and end_share[i, 0] == end_share[i, last]):
        return 1
    return start_share.shape[1]


@numba.njit(cache=True)
def _before_end(end, months):
    """Each row's share of each month before its `end` (NO_END: the whole month), and its derivative in the end."""
    share, slope = np.ones((end.shape[0], months)), np.zeros((end.shape[0], months))
    for r in range(end.shape[0]):
        for m in range(months if end[r] < NO_END else 0):
            share[r, m], slope[r, m] = edge_share(end[r] - m - 1)
    return share, slope


@numba.njit(cache=True)
def _claims_logp(flow, capacity, bias, sigma, quantity_index, ratio_index, is_conversion, k0, start_share, k1,
                 end_share, source_index, log_lower, log_upper, weight):
    """Each claim's weighted log-likelihood, and at each of its quadrature nodes (claim, node, NODE_VALUES) what its
    gradient needs: the truth, the standardised bounds, the log-likelihood and its slopes in the two bounds."""
    running = _running_totals(flow)
    out = np.zeros(quantity_index.shape[0])
    at_nodes = np.zeros((quantity_index.shape[0], start_share.shape[1], NODE_VALUES))
    for i in range(out.shape[0]):
        if weight[i] == 0:
            continue
        s = source_index[i]
        nodes = _nodes(i, is_conversion, start_share, end_share)
        for j in range(nodes):
            truth = _truth(running, capacity, i, j, quantity_index, ratio_index, is_conversion, k0, start_share, k1,
                           end_share)
            mu = math.log(max(truth, LEAST_ESTIMATED)) + bias[s]
            a, b = (log_lower[i] - mu) / sigma[s], (log_upper[i] - mu) / sigma[s]
            logp, d_a, d_b = interval_logp_and_slopes(a, b)
            at_nodes[i, j, 0], at_nodes[i, j, 1], at_nodes[i, j, 2] = truth, a, b
            at_nodes[i, j, 3], at_nodes[i, j, 4], at_nodes[i, j, 5] = logp, d_a, d_b
        out[i] = weight[i] * (at_nodes[i, 0, 3] if nodes == 1 else _log_mean_exp(at_nodes[i, :nodes, 3]))
    return out, at_nodes


@numba.njit(cache=True)
def claims_logp_and_nodes(flow, end, capacity, bias, sigma, quantity_index, ratio_index, is_conversion, k0,
                          start_share, k1, end_share, source_index, log_lower, log_upper, weight):
    """`claims_logp`, with what its gradient needs at each claim's nodes, running and stopped."""
    data = (quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share, source_index, log_lower,
            log_upper, weight)
    running, running_nodes = _claims_logp(flow, capacity, bias, sigma, *data)
    if np.all(end >= NO_END):
        return running, running.copy(), running_nodes, running_nodes.copy()
    stopped, stopped_nodes = _claims_logp(flow * _before_end(end, flow.shape[1])[0], capacity, bias, sigma, *data)
    return running, stopped, running_nodes, stopped_nodes


@numba.njit(cache=True)
def claims_logp(flow, end, capacity, bias, sigma, quantity_index, ratio_index, is_conversion, k0, start_share, k1,
                end_share, source_index, log_lower, log_upper, weight):
    """Each claim's log-likelihood (averaged over the quadrature nodes of the shares of the months its window cuts),
    times its weight (0 for a spare row): with the flows running on, and with each row stopped at its `end`
    (NO_END: runs on)."""
    running, stopped, _, _ = claims_logp_and_nodes(flow, end, capacity, bias, sigma, quantity_index, ratio_index,
                                                   is_conversion, k0, start_share, k1, end_share, source_index,
                                                   log_lower, log_upper, weight)
    return running, stopped


@numba.njit(cache=True)
def _claims_logp_pullback(cotangent, at_nodes, rows, months, capacity, bias, sigma, quantity_index, ratio_index,
                          is_conversion, k0, start_share, k1, end_share, source_index, weight):
    """The gradient of sum(cotangent * _claims_logp) in the flows (rows, months), capacities, biases and scales,
    from what `_claims_logp` kept at each claim's nodes."""
    d_flow = np.zeros((rows, months + 1))
    d_running = np.zeros((rows, months + 2))   # a window adds to every month from its start to its end
    d_capacity, d_bias, d_sigma = np.zeros(capacity.shape[0]), np.zeros(bias.shape[0]), np.zeros(sigma.shape[0])
    share = np.empty(start_share.shape[1])   # per node, reused claim to claim
    for i in range(quantity_index.shape[0]):
        g = cotangent[i] * weight[i]
        if g == 0:
            continue
        s = source_index[i]
        nodes = _nodes(i, is_conversion, start_share, end_share)
        top = at_nodes[i, :nodes, 3].max()
        for j in range(nodes):   # each node's share of the claim's likelihood
            share[j] = math.exp(at_nodes[i, j, 3] - top)
        total = share[:nodes].sum()
        for j in range(nodes):
            truth, a, b, _, d_a, d_b = at_nodes[i, j]
            gj = g * share[j] / total
            d_mu = -gj * (d_a + d_b) / sigma[s]
            d_sigma[s] -= gj * (a * d_a + b * d_b) / sigma[s]
            d_bias[s] += d_mu
            if truth <= LEAST_ESTIMATED:
                continue
            d_truth = d_mu / truth
            if is_conversion[i] > 0:
                d_capacity[ratio_index[i]] += d_truth
                continue
            r = quantity_index[i]
            d_running[r, k0[i]] += d_truth
            d_running[r, k1[i]] -= d_truth
            d_flow[r, k1[i]] += end_share[i, j] * d_truth
            d_flow[r, k0[i]] -= start_share[i, j] * d_truth
    for r in range(rows):
        inside = 0.0
        for m in range(months):
            inside += d_running[r, m]
            d_flow[r, m] += inside
    return d_flow[:, :months].copy(), d_capacity, d_bias, d_sigma


@numba.njit(cache=True)
def claims_logp_pullback(d_running, d_stopped, flow, end, capacity, bias, sigma, quantity_index, ratio_index,
                         is_conversion, k0, start_share, k1, end_share, source_index, log_lower, log_upper, weight):
    """The gradient of sum(d_running * running + d_stopped * stopped) (see `claims_logp`) in the flows, ends,
    capacities, biases and scales."""
    _, _, running_nodes, stopped_nodes = claims_logp_and_nodes(
        flow, end, capacity, bias, sigma, quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share,
        source_index, log_lower, log_upper, weight)
    return nodes_pullback(d_running, d_stopped, running_nodes, stopped_nodes, flow, end, capacity, bias, sigma,
                          quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share, source_index,
                          log_lower, log_upper, weight)


@numba.njit(cache=True)
def nodes_pullback(d_running, d_stopped, running_nodes, stopped_nodes, flow, end, capacity, bias, sigma,
                   quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share, source_index, log_lower,
                   log_upper, weight):
    """`claims_logp_pullback` given what `claims_logp_and_nodes` kept at the claims' nodes."""
    rows, months = flow.shape
    data = (quantity_index, ratio_index, is_conversion, k0, start_share, k1, end_share, source_index, weight)
    d_flow, d_capacity, d_bias, d_sigma = _claims_logp_pullback(d_running, running_nodes, rows, months, capacity,
                                                                bias, sigma, *data)
    d_end = np.zeros(end.shape[0])
    if np.all(end >= NO_END) or not np.any(d_stopped != 0):
        return d_flow, d_end, d_capacity, d_bias, d_sigma
    share, slope = _before_end(end, months)
    d_through, d_capacity_s, d_bias_s, d_sigma_s = _claims_logp_pullback(d_stopped, stopped_nodes, rows, months,
                                                                       capacity, bias, sigma, *data)
    for r in range(end.shape[0]):
        for m in range(months):
            d_end[r] += d_through[r, m] * flow[r, m] * slope[r, m]
    return d_flow + d_through * share, d_end, d_capacity + d_capacity_s, d_bias + d_bias_s, d_sigma + d_sigma_s


class ClaimsLogpPullback(Op):
    """The gradient of `ClaimsLogp`: the two outputs' cotangents, what it kept at the claims' nodes running and
    stopped, then the same inputs."""

    __props__ = ()

    def make_node(self, d_running, d_stopped, running_nodes, stopped_nodes, *inputs):
        """The node applying the operation to these inputs."""
        inputs = [pt.as_tensor_variable(x) for x in (d_running, d_stopped, running_nodes, stopped_nodes, *inputs)]
        return Apply(self, inputs, [x.type() for x in inputs[4:9]])

    def perform(self, node, inputs, outputs):
        """Compute the outputs outside numba (PyTensor's Python backends)."""
        for out, value in zip(outputs, nodes_pullback(*inputs)):
            out[0] = value


class ClaimsLogp(Op):
    """claims_logp_and_nodes(flow, end, capacity, bias, sigma, *design arrays in CLAIM_INPUTS order) -> (running,
    stopped), each (claim,), and what its gradient needs at the claims' nodes, running and stopped, (claim, node,
    NODE_VALUES), for the gradient alone: they carry no gradient of their own (`claims_log_likelihood` gives the
    two log-likelihoods)."""

    __props__ = ()

    def make_node(self, flow, end, capacity, bias, sigma, *design):
        """The node applying the operation to these inputs."""
        if len(design) != len(CLAIM_INPUTS):
            raise TypeError(f"ClaimsLogp takes the design's {', '.join(CLAIM_INPUTS)}")
        inputs = [pt.cast(pt.as_tensor_variable(x), "float64") for x in (flow, end, capacity, bias, sigma)]
        inputs += [pt.as_tensor_variable(x) for x in design]
        return Apply(self, inputs, [pt.dvector(), pt.dvector(), pt.dtensor3(), pt.dtensor3()])

    def perform(self, node, inputs, outputs):
        """Compute the outputs outside numba (PyTensor's Python backends)."""
        for out, value in zip(outputs, claims_logp_and_nodes(*inputs)):
            out[0] = value

    def pullback(self, inputs, outputs, cotangents):
        """The gradient: `ClaimsLogpPullback` in the flows, ends, capacities, biases and scales; none in the design."""
        cotangents = [pt.zeros_like(out) if isinstance(c.type, DisconnectedType) else c
                      for out, c in zip(outputs[:2], cotangents[:2])]
        gradient = ClaimsLogpPullback()(*cotangents, *outputs[2:], *inputs)
        return [*gradient, *(DisconnectedType()() for _ in CLAIM_INPUTS)]

    def connection_pattern(self, node):
        """Which inputs the outputs depend on differentiably: the log-likelihoods on the flows, ends, capacities,
        biases and scales; what is kept at the nodes, the gradient's own, on none."""
        return [[True, True, False, False]] * 5 + [[False] * 4] * len(CLAIM_INPUTS)


# PyTensor caches compiled graphs by their operations' keys: the kernels' source (here and in `likelihood`) versions
# them.
_SOURCE = "".join(inspect.getsource(inspect.getmodule(f)) for f in (claims_logp, interval_logp_and_slopes, edge_share))
_VERSION = int(hashlib.sha256(_SOURCE.encode()).hexdigest()[:12], 16)


@register_funcify_default_op_cache_key(ClaimsLogp)
def _numba_claims_logp(op, node, **kwargs):
    return claims_logp_and_nodes, _VERSION


@register_funcify_default_op_cache_key(ClaimsLogpPullback)
def _numba_claims_logp_pullback(op, node, **kwargs):
    return nodes_pullback, _VERSION


def claims_log_likelihood(*inputs):
    """Each claim's log-likelihood, running and stopped (`ClaimsLogp`), as two PyTensor variables."""
    running, stopped, _, _ = ClaimsLogp()(*inputs)
    return running, stopped

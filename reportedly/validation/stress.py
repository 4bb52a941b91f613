"""Truths the model's prior does not draw: flows that burst, step up, stop, ramp, pause, or start earlier or later
than the onset prior says. For calibration under misspecification (`validation.run_stress`).

Each shape keeps a prior draw's scale and month-to-month noise and redistributes the flow in time: the prior
draw's flow of each counted quantity is multiplied by the shape, then scaled back to its total over the axis
(an earlier onset copies the flow's first months before it began). Linked quantities follow as flow x realised ratio.
"""

from __future__ import annotations

import numpy as np

from reportedly.inputs.spec import ModelSpec
from reportedly.timeaxis import DAYS_PER_MONTH

SHAPES = ("as the prior", "burst", "step up", "stop", "ramp", "pause", "earlier onset", "later onset")


def shaped_flow(flow: np.ndarray, shape: str, rng: np.random.Generator, shift_months: int) -> np.ndarray:
    """One counted quantity's monthly flow (months,) redrawn in `shape`."""
    active = np.flatnonzero(flow > 0.01 * flow.max())   # the months it runs, not the tails of its onset and end
    if shape == "as the prior" or active.size < 3:
        return flow
    first, last = active[0], active[-1]
    if shape == "earlier onset":   # it ran `shift_months` before the draw's first month, as it began
        earlier = flow.copy()
        start = max(first - shift_months, 0)
        earlier[start:first] = flow[first:first + first - start]
        return earlier * flow.sum() / earlier.sum()
    weight = np.zeros_like(flow)
    weight[active] = 1.0
    change = rng.integers(first + 1, last) if last > first + 1 else last
    after = np.arange(flow.size) >= change
    if shape == "burst":        # most of the flow in the month after it starts, a trickle after
        weight[active] = 0.05
        weight[min(first + 1, last)] = 0.05 * (active.size - 1) * 3   # three quarters in that month
    elif shape == "step up":
        weight[active[after[active]]] = 4.0
    elif shape == "stop":
        weight[active[after[active]]] = 0.0
    elif shape == "ramp":
        weight[active] = np.linspace(0.1, 1.0, active.size)
    elif shape == "later onset":   # nothing in its first `shift_months` months
        weight[first:first + shift_months] = 0.0
    elif shape == "pause":
        weight[change:change + 3] = 0.0
    else:
        raise ValueError(f"unknown shape {shape!r}")
    redrawn = flow * weight
    return redrawn * flow.sum() / redrawn.sum() if redrawn.sum() > 0 else flow


def stressed_truth(truth: dict[str, np.ndarray], spec: ModelSpec, shape: str, rng: np.random.Generator) -> dict:
    """A prior draw (flow (quantity, month) over flows then links, realised (ratio,), ...) with every counted
    quantity's flow redrawn in `shape`, and the links recomputed."""
    flows, ratios = list(spec.flows), list(spec.ratios)
    flow = truth["flow"].copy()
    for i, name in enumerate(flows):
        onset = spec.flows[name].onset
        shift = max(2, round(3 * onset.sd_days / DAYS_PER_MONTH)) if onset else 3
        flow[i] = shaped_flow(flow[i], shape, rng, shift)
    for j, link in enumerate(spec.links.values()):
        base, ratio = link.product
        flow[len(flows) + j] = flow[flows.index(base)] * truth["realised"][ratios.index(ratio)]
    return {**truth, "flow": flow}

"""Calibration under misspecification: truths the model's prior does not draw (flows that burst, step up, stop, ramp,
pause, or start earlier or later than the onset prior says), claims simulated from them, refits, and coverage of
headlines, months and months inside a claimed window.

Each shape keeps a prior draw's scale and month-to-month noise and redistributes the flow in time: the prior
draw's flow of each counted quantity is multiplied by the shape, then scaled back to its total over the axis
(an earlier onset copies the flow's first months before it began). Linked quantities follow as flow x realised ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportedly.inputs.spec import ModelSpec
from reportedly.levels import WIDEST, bounds
from reportedly.model.simulate import simulate_design
from reportedly.timeaxis import DAYS_PER_MONTH
from reportedly.validation.calibration import prior_draws, truth_headlines, truth_of
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.sweep import run_tasks

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


def stressedtruth_of(truth: dict[str, np.ndarray], spec: ModelSpec, shape: str, rng: np.random.Generator) -> dict:
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


HALF_UNIT = 0.5
# The median and the ends of the widest interval, whose coverage is scored.
WIDE = (bounds(WIDEST)[0], 0.5, bounds(WIDEST)[1])


def run_stress(refitter: Refitter, sims_per_shape: int, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Like `run_sbc`, with truths the prior does not draw (`stress.SHAPES`): one row per simulation and scored
    item (a headline, a month of a quantity, or a month inside a claimed window of several months), whether
    the 90% interval covers the truth and its width relative to the median."""
    spec = refitter.case.spec
    sims = sims_per_shape * len(SHAPES)
    prior = prior_draws(refitter, sims, seed)
    tasks = []
    for i in range(sims):
        shape = SHAPES[i % len(SHAPES)]
        truth = stressedtruth_of(truth_of(prior, i), spec, shape, np.random.default_rng(seed + 7 + i))
        stressed = prior.isel(draw=[i]).assign(flow=(prior["flow"].dims, truth["flow"][None, None]))
        tasks.append((i, shape, truth, truth_headlines(refitter, stressed, 0), seed))
    rows = run_tasks(refitter, _stress_task, tasks, "calibration under misspecification", progress)
    return pd.DataFrame([row for sim in rows for row in sim])


def _stress_task(refitter: Refitter, i: int, shape: str, truth: dict, true_headlines: dict, seed: int) -> list[dict]:
    design = refitter.design
    inside = {(int(q), m) for q, k0, f0, k1, f1, conversion in zip(design.quantity_index, design.k0, design.f0,
                                                                   design.k1, design.f1, design.is_conversion)
              if not conversion for m in range(k0 + (f0 > 0), k1) if k1 - k0 - (f0 > 0) > 1}
    simulated = simulate_design(design, truth, seed=seed + 1 + i)
    est, divergences = refitter.fit(seed + 200_000 + i, simulated)
    common = {"sim": i, "shape": shape, "divergences": divergences}
    rows = [common | {"kind": "headline", "item": name, "truth": true_headlines[name],
                      **_covered(*np.quantile(draws.values.ravel(), WIDE), true_headlines[name])}
            for name, draws in est.headline_draws().data_vars.items()]
    flow = est.posterior["flow"].values.reshape(-1, *truth["flow"].shape)
    q05, q50, q95 = np.quantile(flow, WIDE, axis=0)
    for (q, m), value in np.ndenumerate(truth["flow"]):
        if value < HALF_UNIT and q95[q, m] < HALF_UNIT:
            continue   # nothing in truth and in 95% of draws (before the onset, after the end): nothing to score
        scored = {
            "item": f"{design.quantities[q]} {m}",
            "truth": value,
            **_covered(q05[q, m], q50[q, m], q95[q, m], value),
        }
        rows.append(common | {"kind": "month", **scored})
        if (q, m) in inside:
            rows.append(common | {"kind": "month inside a claimed window", **scored})
    return rows


def _covered(q05: float, q50: float, q95: float, value: float) -> dict:
    """Whether a 90% interval covers `value` to within half a unit (counts are whole: an interval whose lower end
    is 0.3 includes none), and its width relative to the median, (q95 - q05) / q50 (an interval that reaches zero
    has a width too)."""
    return {
        "q05": float(q05),
        "q95": float(q95),
        "covered": bool(q05 - HALF_UNIT <= value <= q95 + HALF_UNIT),
        "width": float((q95 - q05) / q50) if q50 > 0 else float("inf"),
    }


def stress_coverage(results: pd.DataFrame) -> pd.DataFrame:
    """Per shape and kind of item: 90% coverage, its standard error over simulations (the items of one
    simulation share its truth, so they are not independent), the median width of the 90% intervals
    relative to the median), and how many refits diverged."""
    rows = []
    for (shape, kind), group in results.groupby(["shape", "kind"], sort=False):
        sims = group["sim"].nunique()
        per_sim = group.groupby("sim")["covered"].mean()
        rows.append(
            {
                "shape": shape,
                "kind": kind,
                "sims": sims,
                "items": len(group),
                "coverage_90": float(group["covered"].mean()),
                "se": float(per_sim.std(ddof=1) / np.sqrt(sims)) if sims > 1 else float("nan"),
                "median_width": float(group["width"].median()),
                "divergent_refits": int((group.groupby("sim")["divergences"].first() > 0).sum()),
            }
        )
    return pd.DataFrame(rows)

"""Calibration under misspecification: truths the model's prior does not draw (flows that burst, step up, stop, ramp,
pause, start earlier or later than the onset prior says, bring most of their total in the first weeks, or come in
two waves months apart), claims simulated from them, refits, and coverage of headlines, months, months inside a
claimed window, a flow's first days and windows of days to weeks.

Each shape keeps a prior draw's scale and month-to-month noise and redistributes the flow in time: the prior
draw's flow of each counted quantity is multiplied by the shape, then scaled back to its total over the axis
(an earlier onset copies the flow's first months before it began). Every truth runs day by day: each month is
spread over its days as the flow's `timing` says, and the shapes of weeks (`DAY_SHAPES`), the shapes of deployments,
then move most of the total of each flow the model file says begins with a wave (`first_wave`) into pulses of days;
a flow it calls steady keeps its prior draw's days. Linked quantities follow as flow x realised ratio.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from reportedly.inputs.spec import ModelSpec
from reportedly.levels import WIDEST, bounds
from reportedly.model.simulate import daily_total, simulate_design
from reportedly.model.timing import STARTED, daily_weights, days_reaching
from reportedly.timeaxis import DAYS_PER_MONTH, window_totals
from reportedly.validation.calibration import prior_draws, truth_of
from reportedly.validation.refit import Progress, Refitter, no_progress
from reportedly.validation.sweep import run_tasks

DAY_SHAPES = ("first weeks", "two waves")
SHAPES = ("as the prior", "burst", "step up", "stop", "ramp", "pause", "earlier onset", "later onset", *DAY_SHAPES)
# Windows of days to weeks scored in each truth: from the day a flow starts (`timing.STARTED`, the day the day shapes'
# first pulse begins), asked of the fit as the first days of its own flow in each draw and as the truth's dates; the
# total from the axis start to each of those windows' last days ("how many by then", as a report of a deployment's
# first weeks prints it); and from random days while it runs.
FROM_START_DAYS = (7, 14, 28)
FIRST_DAYS, FIRST_DAYS_BY_DATE, BY_A_DAY = "first days", "first days, by date", "total by a day of the first weeks"
DAYS_TO_WEEKS = "days to weeks"
SHORT_KINDS = (FIRST_DAYS, FIRST_DAYS_BY_DATE, BY_A_DAY, DAYS_TO_WEEKS)
# What each simulation scores, in the report's order.
KINDS = ("headline", "month", "month inside a claimed window", *SHORT_KINDS)
RANDOM_WINDOW_DAYS = (7, 14)


def shaped_flow(flow: np.ndarray, shape: str, rng: np.random.Generator, shift_months: int) -> np.ndarray:
    """One counted quantity's monthly flow (months,) redrawn in `shape`."""
    active = np.flatnonzero(flow > 0.01 * flow.max())   # the months it runs, not the tails of its onset and end
    if shape in ("as the prior", *DAY_SHAPES) or active.size < 3:
        return flow
    first, last = active[0], active[-1]
    if shape == "earlier onset":   # it ran `shift_months` before the draw's first month, as it began
        earlier = flow.copy()
        months = min(shift_months, first, flow.size - first)   # within the axis at both ends
        earlier[first - months:first] = flow[first:first + months]
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


def pulsed_days(daily: np.ndarray, shape: str, rng: np.random.Generator) -> np.ndarray:
    """One counted quantity's day-by-day flow (days,) with most of its total moved into pulses of days (`DAY_SHAPES`):
    60-90% in the 7-28 days after it starts ("first weeks"), or 35-45% each in two pulses of 7-21 days, the second
    3-6 months after the first ("two waves"); the rest as it was. The total is kept."""
    total = daily.sum()
    if shape not in DAY_SHAPES or total <= 0:
        return daily
    start = int(days_reaching(daily, STARTED))
    if shape == "first weeks":
        pulses = [(start, int(rng.integers(7, 29)), rng.uniform(0.6, 0.9))]
    else:
        second = start + int(rng.integers(90, 184))
        pulses = [(start, int(rng.integers(7, 22)), rng.uniform(0.35, 0.45)),
                  (second, int(rng.integers(7, 22)), rng.uniform(0.35, 0.45))]
    pulses = [(day, length, share) for day, length, share in pulses if day < daily.size]
    out = daily * (1 - sum(share for _, _, share in pulses))
    for day, length, share in pulses:
        stop = min(day + length, daily.size)
        out[day:stop] += share * total / (stop - day)
    return out * total / out.sum()


def stressedtruth_of(truth: dict[str, np.ndarray], spec: ModelSpec, shape: str, rng: np.random.Generator) -> dict:
    """A prior draw (flow (quantity, month) over flows then links, realised (ratio,), ...) with every counted
    quantity's flow redrawn in `shape`, day by day (`daily`, (quantity, day), and the months' `day_offsets`), and
    the links recomputed."""
    flows, ratios = list(spec.flows), list(spec.ratios)
    offsets = spec.time.axis.day_offsets
    lengths = np.diff(offsets)
    daily = np.zeros((truth["flow"].shape[0], offsets[-1]))
    onsets, with_onset = truth["onset"].copy(), spec.flows_with_onset
    for i, name in enumerate(flows):
        onset = spec.flows[name].onset
        shift = max(2, round(3 * onset.sd_days / DAYS_PER_MONTH)) if onset else 3
        monthly = shaped_flow(truth["flow"][i], shape, rng, shift)
        if onset and monthly.sum() > 0:   # the start moves as far as the shape moves the day it starts
            onsets[with_onset.index(name)] += _started(monthly) - _started(truth["flow"][i])
        days = [monthly[m] * daily_weights(n, spec.flows[name].day_concentration, rng)
                for m, n in enumerate(lengths)]
        daily[i] = pulsed_days(np.concatenate(days), shape if spec.flows[name].first_wave else "as the prior", rng)
    for j, link in enumerate(spec.links.values()):
        base, ratio = link.product
        daily[len(flows) + j] = daily[flows.index(base)] * truth["realised"][ratios.index(ratio)]
    flow = np.add.reduceat(daily, offsets[:-1], axis=1)
    return {**truth, "flow": flow, "daily": daily, "day_offsets": offsets, "onset": onsets}


def _started(monthly: np.ndarray) -> float:
    """When a monthly flow starts (`timing.STARTED` of its total in), in months since the axis start."""
    running = np.cumsum(monthly)
    target = STARTED * running[-1]
    month = int(np.searchsorted(running, target))
    return month + (target - (running[month - 1] if month else 0.0)) / monthly[month]


def daily_headlines(spec: ModelSpec, truth: dict, latest_report: dt.date) -> dict[str, float]:
    """The headline figures of a day-by-day truth."""
    start, out = spec.time.axis.start, {}
    for h in spec.headlines:
        if h.quantity in spec.ratios:
            out[h.name] = float(truth["realised"][list(spec.ratios).index(h.quantity)])
        else:
            end = h.end if isinstance(h.end, dt.date) else latest_report
            out[h.name] = daily_total(truth, spec.quantities.index(h.quantity),
                                      (h.start - start).days if h.start else 0, (end - start).days)
    return out


HALF_UNIT = 0.5
# The median and the ends of the widest interval, whose coverage is scored.
WIDE = (bounds(WIDEST)[0], 0.5, bounds(WIDEST)[1])


def run_stress(refitter: Refitter, sims_per_shape: int, seed: int, progress: Progress = no_progress) -> pd.DataFrame:
    """Like `run_sbc`, with truths the prior does not draw (`stress.SHAPES`): one row per simulation and scored
    item (a headline, a month of a quantity, a month inside a claimed window of several months, or a window of days
    to weeks, `short_windows`), whether the 90% interval covers the truth and its width relative to the median."""
    tasks = stress_tasks(refitter, sims_per_shape, seed)
    rows = run_tasks(refitter, stress_task, tasks, "calibration under misspecification", progress)
    return pd.DataFrame([row for sim in rows for row in sim])


def stress_tasks(refitter: Refitter, sims_per_shape: int, seed: int) -> list[tuple]:
    """The arguments of `stress_task` for each simulation, the shapes in turn: its index, shape, day-by-day truth,
    true headlines, short windows and seed."""
    spec = refitter.case.spec
    sims = sims_per_shape * len(SHAPES)
    prior = prior_draws(refitter, sims, seed)
    tasks = []
    for i in range(sims):
        shape, rng = SHAPES[i % len(SHAPES)], np.random.default_rng(seed + 7 + i)
        truth = stressedtruth_of(truth_of(prior, i), spec, shape, rng)
        tasks.append((i, shape, truth, daily_headlines(spec, truth, refitter.case.latest_report),
                      short_windows(spec, truth, rng), seed))
    return tasks


def short_windows(spec: ModelSpec, truth: dict, rng: np.random.Generator) -> list[tuple[str, dt.date, dt.date, bool]]:
    """Windows of days to weeks to score in a day-by-day truth, for each counted quantity that runs, and whether each
    is a flow's first days: from the day it starts (`timing.STARTED` of its total in), FROM_START_DAYS long, and
    RANDOM_WINDOW_DAYS long at a random day while it runs (until all but STARTED of its total is in)."""
    start, windows = spec.time.axis.start, []
    for row, quantity in enumerate(spec.flows):
        daily = truth["daily"][row]
        if daily.sum() <= 0:
            continue
        first, last = days_reaching(daily, [STARTED, 1 - STARTED])
        spans = [(first, days, True) for days in FROM_START_DAYS]
        spans += [(int(rng.integers(first, max(last - days, first) + 1)), days, False) for days in RANDOM_WINDOW_DAYS]
        windows += [(quantity, start + dt.timedelta(days=int(day)), start + dt.timedelta(days=int(day) + days - 1),
                     from_start) for day, days, from_start in spans if day + days <= daily.size]
    return windows


def stress_task(refitter: Refitter, i: int, shape: str, truth: dict, true_headlines: dict, windows: list,
                 seed: int) -> list[dict]:
    """One simulation of `stress_tasks`: claims simulated from its truth, a refit, and a row for each scored item."""
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
    start = est.axis.start

    def by_date(quantity: str, first: dt.date, last: dt.date) -> tuple:
        """The truth, the fit's answer and its constant-rate reading for the dates first..last."""
        return (daily_total(truth, design.quantities.index(quantity), (first - start).days, (last - start).days),
                est.window_total(quantity, first, last),
                window_totals(est.forecast_flow(quantity, 0), *est.axis.window(first, last)))

    for quantity, first, last, from_start in windows:
        days = (last - first).days + 1
        at_dates = by_date(quantity, first, last)
        asked = [(FIRST_DAYS_BY_DATE if from_start else DAYS_TO_WEEKS, f"{quantity} {first} {days} days", *at_dates)]
        if from_start:   # as the first days of the flow wherever each draw puts them, and the total by their last day
            asked.append((FIRST_DAYS, f"{quantity} first {days} days", at_dates[0],
                          est.first_days(quantity, days).total, est.first_days(quantity, days, timing=False).total))
            asked.append((BY_A_DAY, f"{quantity} by {last}", *by_date(quantity, start, last)))
        for kind, item, value, answers, even in asked:
            q05, q50, q95 = np.quantile(answers, WIDE)
            if value >= HALF_UNIT or q95 >= HALF_UNIT:
                rows.append(common | {"kind": kind, "item": item, "truth": value, "even": float(np.median(even)),
                                      **_covered(q05, q50, q95, value)})
    return rows


def _covered(q05: float, q50: float, q95: float, value: float) -> dict:
    """Whether a 90% interval covers `value` to within half a unit (counts are whole: an interval whose lower end
    is 0.3 includes none), and its width relative to the median, (q95 - q05) / q50 (an interval that reaches zero
    has a width too)."""
    return {
        "q05": float(q05),
        "q50": float(q50),
        "q95": float(q95),
        "covered": bool(q05 - HALF_UNIT <= value <= q95 + HALF_UNIT),
        "width": float((q95 - q05) / q50) if q50 > 0 else float("inf"),
    }


def _median_log_error(answer: pd.Series, truth: pd.Series) -> float:
    """The median absolute log error of point answers, |log((answer + 1) / (truth + 1))| (a count can be 0)."""
    return float(np.median(np.abs(np.log((answer + 1) / (truth + 1)))))


def stress_coverage(results: pd.DataFrame) -> pd.DataFrame:
    """Per shape and kind of item: 90% coverage, its standard error over simulations (the items of one
    simulation share its truth, so they are not independent), the median width of the 90% intervals
    relative to the median), how many refits diverged, and the median absolute log error of the posterior median (and,
    for windows of days to weeks, of the constant-rate reading: the months' flows spread evenly over their days)."""
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
                "median_log_error": _median_log_error(group["q50"], group["truth"]),
                "even_log_error": _median_log_error(group["even"], group["truth"]) if "even" in group else np.nan,
            }
        )
    return pd.DataFrame(rows)

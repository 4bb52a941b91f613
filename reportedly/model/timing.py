"""How a month's flow falls on its days: the one rule behind every window that covers part of a month.

A flow's month is spread over its days by a Dirichlet process with the flow's concentration k (`timing` in the
model file). The share of the month that falls in a stretch covering a fraction c of its days is then
Beta(k c, k (1 - c)): its mean is c whatever k; a large k spreads the month evenly (the share is about c), a k of 1
or less puts it in a few lumps, so one week can carry nothing or nearly the whole month. A flow without `timing`
falls evenly (the share is c).

A window's total is the running total to its end minus the running total to its start, each read as the months
before it plus a share of the month it falls in (`timeaxis.window_totals`). That share is what this module gives:
- the likelihood of a claim integrates over it at NODES points (`claim_shares`: each end's Beta quantiles, the two
  ends of a window paired on a rank-1 lattice so that NODES points, not NODES squared, cover both);
- queries, forecasts and headlines draw it, once per posterior draw (`window_shares`);
- simulated truths spread each month over its days (`daily_weights`);
- the first days of a flow (`first_days`), a window that begins where each draw's flow begins, not on a date: the
  days after a deployment starts are the days a report about them means, wherever a draw puts them.
A window inside one month takes the share of its own stretch (Beta of its length), not two ends' difference.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

NODES = 8
# A window longer than this many months takes the months it cuts at their mean share: one month's timing moves its
# total by a few percent, well inside what a source's error allows, and integrating it costs eight times as much.
LONG_MONTHS = 3
# A flow starts on the day by which this share of its total over the axis is in (a stray early day does not start it).
STARTED = 0.02
LATTICE = 3    # the end's node paired with the start's node j is (LATTICE j) mod NODES
_PROBABILITIES = (np.arange(NODES) + 0.5) / NODES


def share_quantiles(covered, concentration: float | None, probabilities) -> np.ndarray:
    """The share of a month that a stretch covering `covered` of its days gets, at `probabilities` (broadcast)."""
    covered, probabilities = np.broadcast_arrays(np.asarray(covered, dtype=float), np.asarray(probabilities))
    if concentration is None:
        return covered.copy()
    inside = (covered > 0) & (covered < 1)
    safe = np.where(inside, covered, 0.5)
    return np.where(inside, special.betaincinv(concentration * safe, concentration * (1 - safe), probabilities),
                    covered)


def _ends(k0, f0, k1, f1):
    """Each window's stretch before its start in the start month, and up to its end in the end month (a window
    inside one month: nothing before it, and its own length)."""
    k0, f0, k1, f1 = (np.asarray(x) for x in (k0, f0, k1, f1))
    same = k0 == k1
    return np.where(same, 0.0, f0), np.where(same, f1 - f0, f1)


def claim_shares(k0, f0, k1, f1, concentration) -> tuple[np.ndarray, np.ndarray]:
    """The quadrature nodes (window, NODES) of the share of the start month before each window and of the end
    month up to its end, each node equally weighted; `concentration` per window (None: evenly over the days). A
    window longer than LONG_MONTHS takes its cut months at their mean share (one node's worth)."""
    before, upto = _ends(k0, f0, k1, f1)
    long = np.asarray(k1) + np.asarray(f1) - np.asarray(k0) - np.asarray(f0) > LONG_MONTHS
    start, end = np.empty((before.size, NODES)), np.empty((before.size, NODES))
    for i, k in enumerate(concentration):
        k = None if long[i] else k
        start[i] = share_quantiles(before[i], k, _PROBABILITIES)
        end[i] = share_quantiles(upto[i], k, _PROBABILITIES[(LATTICE * np.arange(NODES)) % NODES])
    return start, end


def window_shares(k0, f0, k1, f1, concentration: float | None, start_uniform, end_uniform) -> tuple:
    """The share of the start month before a window and of the end month up to its end, at the uniform draws
    given for each (quantiles: one uniform per month gives every window ending in it the same day-by-day path)."""
    before, upto = _ends(k0, f0, k1, f1)
    return share_quantiles(before, concentration, start_uniform), share_quantiles(upto, concentration, end_uniform)


def daily_weights(days: int, concentration: float | None, rng: np.random.Generator) -> np.ndarray:
    """Each day's share of a month of `days` days, drawn from the Dirichlet process (even without a concentration)."""
    if concentration is None:
        return np.full(days, 1.0 / days)
    weights = rng.gamma(concentration / days, size=days)
    if weights.sum() == 0:    # every day underflowed: the month fell on one day
        weights[rng.integers(days)] = 1.0
    return weights / weights.sum()


def days_reaching(daily: np.ndarray, shares):
    """The first day by which each of `shares` of a day-by-day flow's total is in."""
    running = np.cumsum(daily)
    return np.searchsorted(running, np.asarray(shares) * running[-1])


class FirstDays(NamedTuple):
    """A flow's first days, path by path (see `first_days`)."""

    total: np.ndarray      # each path's total in its first days
    past_end: np.ndarray   # whether they reach past the last month, where nothing is counted


def first_days(monthly: np.ndarray, month_days: np.ndarray, days: int, concentration: float | None,
               rng: np.random.Generator) -> FirstDays:
    """The total of each path (..., month) in the `days` days from the day it starts (STARTED of its total in),
    every month spread over its `month_days` days as the flow's timing says (drawn with `rng`); nothing past the
    last month, and which paths those days reach past it. A path with nothing in it gives 0."""
    paths, months = monthly.shape[:-1], monthly.shape[-1]
    monthly = monthly.reshape(-1, months)
    rows = np.arange(monthly.shape[0])
    running = np.cumsum(monthly, axis=-1)
    target = STARTED * running[:, -1]
    first = np.argmax(running >= target[:, None], axis=-1)          # the month each path starts in
    span = first[:, None] + np.arange(days // 28 + 2)                # enough months to hold the window
    inside = span < months
    span = np.minimum(span, months - 1)
    lengths = np.where(inside, np.asarray(month_days)[span], 0)     # (path, month of the span)
    on = np.arange(31) < lengths[..., None]                          # (path, month, day): the month's real days
    even = on / np.maximum(lengths, 1)[..., None]
    if concentration is None:
        weights = even
    else:
        shape = np.where(on, concentration * even, 1.0)
        # month by month, so that a longer window sees the same days where it overlaps a shorter one
        weights = np.stack([rng.gamma(shape[:, j]) for j in range(shape.shape[1])], axis=1) * on
        total = weights.sum(axis=-1, keepdims=True)
        weights = np.divide(weights, total, out=even, where=total > 0)   # every day underflowed: evenly
    daily = (monthly[rows[:, None], span] * inside)[..., None] * weights
    daily, on = daily.reshape(len(rows), -1), on.reshape(len(rows), -1)
    before = np.where(first > 0, running[rows, first - 1], 0.0)
    start = np.argmax((before[:, None] + np.cumsum(daily, axis=-1) >= target[:, None]) & on, axis=-1)
    day = np.cumsum(on, axis=-1) - 1                                  # each real day's number in the span
    in_window = on & (day >= day[rows, start][:, None]) & (day < day[rows, start][:, None] + days)
    past_end = day[rows, start] + days > on.sum(axis=-1)
    return FirstDays((daily * in_window).sum(axis=-1).reshape(paths), past_end.reshape(paths))

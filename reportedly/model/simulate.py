"""Simulate claim sets from the model itself: for recovery tests and simulation-based calibration.

A simulated claim keeps the real claim's window, source, wording and precision; only the printed
figure changes, set from a source estimate drawn from the model. A simulated onset claim keeps the real one's
source and the length of its window, placed about a date drawn from the model for the true start.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymc as pm

from reportedly.model.design import OPEN, Design, log_bounds
from reportedly.model.intervals import printed_bounds, source_estimates
from reportedly.timeaxis import row_window_totals

TRUTH_VARIABLES = ("flow", "capacity", "realised", "sigma", "bias", "onset")


def draw_truth(model: pm.Model, seed: int) -> dict[str, np.ndarray]:
    """One joint draw of the latent quantities from the model's prior."""
    values = pm.draw([model[name] for name in TRUTH_VARIABLES], random_seed=seed)
    return dict(zip(TRUTH_VARIABLES, values))


def claim_truths(truth: dict[str, np.ndarray], design: Design, rng: np.random.Generator) -> np.ndarray:
    """The true value behind each claim of `design`: a window total or a capacity.

    A truth with a day-by-day flow (`daily`, (quantity, day), and `day_offsets`, the first day of each month and
    the day after the axis) sums its days; otherwise each claim's window takes the shares of the months it cuts at
    one of the likelihood's quadrature nodes, drawn at random: the model's own assumption (see `timing`).
    """
    if "daily" in truth:
        offsets = np.append(truth["day_offsets"], truth["day_offsets"][-1])
        day = lambda k, f: offsets[k] + np.rint(f * (offsets[k + 1] - offsets[k])).astype(int)  # noqa: E731
        totals = np.array([daily_total(truth, row, first, after - 1) for row, first, after in
                           zip(design.quantity_index, day(design.k0, design.f0), day(design.k1, design.f1))])
    else:
        claims = np.arange(len(design.claim_ids))
        node = rng.integers(design.start_share.shape[1], size=claims.size)
        totals = row_window_totals(truth["flow"][design.quantity_index], design.k0, design.start_share[claims, node],
                                   design.k1, design.end_share[claims, node])
    return np.where(design.is_conversion, truth["capacity"][design.ratio_index], totals)


def daily_total(truth: dict, row: int, first: int, last: int) -> float:
    """A day-by-day truth's total of quantity `row` from day `first` to day `last` (days since the axis start)."""
    daily = truth["daily"][row]
    return float(daily[max(first, 0):min(last + 1, daily.size)].sum())


def simulate_design(design: Design, truth: dict[str, np.ndarray], seed: int) -> Design:
    """The same claims, with printed figures simulated from `truth` and the sources' error model, and onset claims'
    windows from the truth's onsets (`onset`, months since the axis start, for the flows with one)."""
    rng = np.random.default_rng(seed)
    t = claim_truths(truth, design, rng)
    s = design.source_index
    estimate = source_estimates(t, truth["bias"][s], truth["sigma"][s], rng)
    figure = design.is_onset == 0
    lower, upper, log_value = design.log_lower.copy(), design.log_upper.copy(), design.log_value.copy()
    for i in np.flatnonzero(figure):
        lower[i], upper[i] = log_bounds(*printed_bounds(estimate[i], design.rule[i], design.significant_figures[i]))
        log_value[i] = np.log(estimate[i])
    simulated = dataclasses.replace(design, log_lower=lower, log_upper=upper, log_value=log_value)
    return simulated if figure.all() else _dated_anew(simulated, truth["onset"], rng)


def _dated_anew(design: Design, onset: np.ndarray, rng: np.random.Generator) -> Design:
    """The design with each onset claim's window moved to a date its source might print for the true `onset`: the
    onset plus a Student-t(2) error of the design's dating scale, somewhere inside a window as long as the claim's (a
    month for one that says only by when)."""
    rows = np.flatnonzero(design.is_onset)
    said = onset[design.onset_row[rows]] + design.dating_scale * rng.standard_t(2, rows.size)
    open_below = design.onset_lower[rows] <= -OPEN
    length = np.where(open_below, 1.0, design.onset_upper[rows] - design.onset_lower[rows])
    lower, upper = design.onset_lower.copy(), design.onset_upper.copy()
    upper[rows] = said + rng.uniform(size=rows.size) * length
    lower[rows] = np.where(open_below, -OPEN, upper[rows] - length)
    return dataclasses.replace(design, onset_lower=lower, onset_upper=upper)

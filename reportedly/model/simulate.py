"""Simulate claim sets from the model itself: for recovery tests and simulation-based calibration.

A simulated claim keeps the real claim's window, source, wording and precision; only the printed
figure changes, set from a source estimate drawn from the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymc as pm

from reportedly.model.design import Design, log_bounds
from reportedly.model.intervals import printed_bounds, source_estimates
from reportedly.timeaxis import row_window_totals

TRUTH_VARIABLES = ("flow", "capacity", "realised", "sigma", "bias")


def draw_truth(model: pm.Model, seed: int) -> dict[str, np.ndarray]:
    """One joint draw of the latent quantities from the model's prior."""
    values = pm.draw([model[name] for name in TRUTH_VARIABLES], random_seed=seed)
    return dict(zip(TRUTH_VARIABLES, values))


def claim_truths(truth: dict[str, np.ndarray], design: Design) -> np.ndarray:
    """The true value behind each claim of `design`: a window total or a capacity."""
    totals = row_window_totals(truth["flow"][design.quantity_index], design.k0, design.f0, design.k1, design.f1)
    return np.where(design.is_conversion, truth["capacity"][design.ratio_index], totals)


def simulate_design(design: Design, truth: dict[str, np.ndarray], seed: int) -> Design:
    """The same claims, with printed figures simulated from `truth` and the sources' error model."""
    rng = np.random.default_rng(seed)
    t = claim_truths(truth, design)
    s = design.source_index
    estimate = source_estimates(t, truth["bias"][s], truth["sigma"][s], rng)
    bounds = [
        log_bounds(*printed_bounds(e, r, st)) for e, r, st in zip(estimate, design.rule, design.significant_figures)
    ]
    lower, upper = (np.array(col) for col in zip(*bounds))
    return dataclasses.replace(design, log_lower=lower, log_upper=upper, log_value=np.log(estimate))

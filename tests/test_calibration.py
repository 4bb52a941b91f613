"""Simulation-based calibration's ranks: uniform for a calibrated posterior, ties included."""

import numpy as np
from scipy import stats

from reportedly.validation.calibration import rank_among
from reportedly.validation.settings import RANK_BINS, RANK_DRAWS, RANK_RANGE


def test_a_truth_tied_with_the_draws_takes_any_tied_place():
    # A flow that had stopped: a truth of exactly nothing, and a posterior that agrees in every draw. Counting only
    # the draws below it ranked every such truth 0, which put workers' rank test at p 0.00 in a calibrated model.
    rng = np.random.default_rng(0)
    ranks = [rank_among(np.zeros(RANK_DRAWS), 0.0, rng) for _ in range(5000)]
    counts = np.histogram(ranks, bins=RANK_BINS, range=RANK_RANGE)[0]
    assert stats.chisquare(counts).pvalue > 0.001
    assert min(ranks) == 0 and max(ranks) == RANK_DRAWS


def test_a_truth_among_distinct_draws_is_ranked_by_the_draws_below_it():
    draws = np.arange(RANK_DRAWS, dtype=float)
    rng = np.random.default_rng(0)
    assert rank_among(draws, 41.5, rng) == 42
    assert rank_among(draws, -1.0, rng) == 0 and rank_among(draws, 1e9, rng) == RANK_DRAWS
    assert rank_among(draws, 41.0, rng) in (41, 42)

"""The credible intervals this package reports, in one place: every quantile computed, column written and label
printed follows from LEVELS."""

from __future__ import annotations

import numpy as np

LEVELS = (0.5, 0.9)
"""Central (equal-tailed) credible intervals, narrowest first: the widest is the one a headline's range means."""
WIDEST = max(LEVELS)


def bounds(level: float) -> tuple[float, float]:
    """The quantiles at the ends of a central interval (0.9 -> 0.05, 0.95)."""
    return round((1 - level) / 2, 6), round((1 + level) / 2, 6)


QUANTILES = tuple(sorted({0.5, *(q for level in LEVELS for q in bounds(level))}))
"""Every quantile reported: the median and the ends of each interval, ascending."""


def column(q: float) -> str:
    """A quantile's column name: 'median', or 'q05' for the 5% quantile."""
    return "median" if q == 0.5 else f"q{round(q * 100):02d}"


def percent(level: float) -> str:
    """A level as its columns and labels write it: '90'."""
    return f"{round(level * 100)}"


def label(level: float) -> str:
    """A level as a reader sees it: '90% interval'."""
    return f"{percent(level)}% interval"


def interval_columns(draws) -> dict[str, float]:
    """The median, then the ends of each interval narrowest first: {'median': ..., 'q25': ..., 'q75': ..., ...}."""
    values = dict(zip(QUANTILES, np.quantile(np.asarray(draws), QUANTILES)))
    ends = [q for level in LEVELS for q in bounds(level)]
    return {column(q): float(values[q]) for q in (0.5, *ends)}


def quantile_columns(draws, prefix: str = "") -> dict[str, float]:
    """Every quantile ascending, as columns ('pred_q05', ..., 'pred_median', ...) with `prefix`."""
    return {prefix + column(q): float(v) for q, v in zip(QUANTILES, np.quantile(np.asarray(draws), QUANTILES))}


def quantile_keys(draws) -> dict[str, float]:
    """Every quantile ascending, keyed by the quantile as text ('0.05'), as `query --json` prints them."""
    return {str(q): float(v) for q, v in zip(QUANTILES, np.quantile(np.asarray(draws), QUANTILES))}

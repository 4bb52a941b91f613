"""The used claims as arrays the model consumes: which quantity, which window, which source, which interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .case import Case
from .intervals import claim_interval, significant_figures
from .likelihood import LOG_INFINITY
from .schema import ClaimKind

RATINGS = ("A", "B", "C", "D", "E", "F")


@dataclass(frozen=True)
class Design:
    """One row per used claim; the coordinates the model's dims take their labels from."""

    claim_ids: list[str]
    quantities: list[str]          # flows then links: rows of the monthly flow matrix
    ratios: list[str]
    sources: list[str]
    source_rating: np.ndarray      # (source,) index into RATINGS
    quantity_index: np.ndarray     # (claim,) row of the flow matrix (window claims)
    ratio_index: np.ndarray        # (claim,) index into ratios (conversion claims)
    is_conversion: np.ndarray      # (claim,) bool
    k0: np.ndarray
    f0: np.ndarray
    k1: np.ndarray
    f1: np.ndarray
    source_index: np.ndarray       # (claim,)
    log_lower: np.ndarray
    log_upper: np.ndarray
    log_value: np.ndarray          # log of the printed figure (or the interval's centre)
    rule: list[str]                # how each claim's wording was read (spec [qualifiers]; conversions: rounding)
    significant_figures: np.ndarray  # precision of each printed figure


def log_bounds(lower: float, upper: float) -> tuple[float, float]:
    """Interval bounds on the log scale, with LOG_INFINITY standing in for 0 and infinity."""
    if lower <= 0:
        log_upper = np.log(upper)
        return log_upper - LOG_INFINITY, log_upper
    log_lower = np.log(lower)
    return log_lower, (np.log(upper) if np.isfinite(upper) else log_lower + LOG_INFINITY)


def build_design(case: Case) -> Design:
    spec, axis = case.spec, case.axis
    claims = case.evidence.used
    by_id = {c.id: c for c in case.evidence.claims}
    quantities, ratios = spec.quantities, list(spec.ratios)
    # Only origins of used claims have an error scale to learn; any other is predicted as a new source of its rating.
    sources = sorted({c.origin for c in claims})
    rows, rules, figures = [], [], []
    for c in claims:
        conversion = c.kind == ClaimKind.conversion
        lower, upper = claim_interval(c, spec.qualifiers, by_id.get(c.basis) if c.basis else None)
        log_lower, log_upper = log_bounds(lower, upper)
        k0, f0, k1, f1 = (0, 0.0, 0, 0.0) if conversion else axis.window(c.window.start, c.window.end)
        value = c.value if c.value is not None else np.sqrt(c.low * c.high)
        figures.append(significant_figures(value))
        if conversion:
            value = value / by_id[c.basis].value
        rules.append("rounding" if conversion else spec.qualifiers[c.qualifier])
        rows.append((
            0 if conversion else quantities.index(c.quantity),
            ratios.index(c.quantity) if conversion else 0,
            conversion, k0, f0, k1, f1, sources.index(c.origin), log_lower, log_upper, np.log(value),
        ))
    columns = list(zip(*rows)) if rows else [[]] * 11
    as_int = lambda col: np.asarray(col, dtype=int)  # noqa: E731
    as_float = lambda col: np.asarray(col, dtype=float)  # noqa: E731
    return Design(
        claim_ids=[c.id for c in claims],
        quantities=quantities,
        ratios=ratios,
        sources=sources,
        source_rating=np.array([RATINGS.index(case.evidence.sources[s].rating) for s in sources], dtype=int),
        quantity_index=as_int(columns[0]),
        ratio_index=as_int(columns[1]),
        is_conversion=np.asarray(columns[2], dtype=bool),
        k0=as_int(columns[3]), f0=as_float(columns[4]), k1=as_int(columns[5]), f1=as_float(columns[6]),
        source_index=as_int(columns[7]),
        log_lower=as_float(columns[8]), log_upper=as_float(columns[9]), log_value=as_float(columns[10]),
        rule=rules,
        significant_figures=as_int(figures),
    )

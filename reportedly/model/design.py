"""The used claims as arrays the model consumes: which quantity, which window, which source, which interval."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from reportedly.inputs.case import Case
from reportedly.inputs.schema import RATINGS, ClaimKind
from reportedly.model.intervals import LOG_INFINITY, claim_interval, claim_rule, significant_figures
from reportedly.model.timing import claim_shares
from reportedly.timeaxis import DAYS_PER_MONTH


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
    start_share: np.ndarray        # (claim, timing.NODES) the start month's share before the window, at each node
    end_share: np.ndarray          # (claim, timing.NODES) the end month's share up to the window's end
    source_index: np.ndarray       # (claim,)
    log_lower: np.ndarray
    log_upper: np.ndarray
    log_value: np.ndarray          # log of the printed figure (or the interval's centre)
    rule: list[str]                # how each claim's wording was read (intervals.claim_rule)
    significant_figures: np.ndarray  # precision of each printed figure
    weight: np.ndarray             # (claim,) 1 for a claim, 0 for a spare row of a padded design
    is_onset: np.ndarray           # (claim,) 1 for a claim that dates a flow's start (kind onset), 0 for a figure
    onset_row: np.ndarray          # (claim,) which of the flows with an onset it dates (0 for a figure)
    onset_lower: np.ndarray        # (claim,) months since the axis start it says the flow began after (-OPEN: any time)
    onset_upper: np.ndarray        # (claim,) and before (OPEN for a figure)
    dating_scale: float = 1.0      # how far a source's date for a start strays, in months (the model file's dating)

    def padded(self, claims: int, sources: int) -> Design:
        """The same claims with spare rows up to `claims` and spare sources up to `sources`: spare claims weigh
        nothing, spare sources have no claim. A model compiled for the padded sizes fits any design that fits."""
        extra, extra_sources = claims - len(self.claim_ids), sources - len(self.sources)
        if extra < 0 or extra_sources < 0:
            raise ValueError(f"{len(self.claim_ids)} claims from {len(self.sources)} sources do not fit "
                             f"{claims} claims from {sources} sources")

        def pad(values: np.ndarray, n: int, fill=0) -> np.ndarray:
            values = np.asarray(values)
            return np.concatenate([values, np.full((n, *values.shape[1:]), fill, dtype=values.dtype)])

        return dataclasses.replace(
            self,
            claim_ids=self.claim_ids + [f"{SPARE}{i}" for i in range(extra)],
            sources=self.sources + [f"{SPARE}{i}" for i in range(extra_sources)],
            source_rating=pad(self.source_rating, extra_sources),
            **{name: pad(getattr(self, name), extra, SPARE_ROW.get(name, 0)) for name in (*CLAIM_DATA, "log_value")},
            rule=self.rule + ["rounding"] * extra,
            significant_figures=pad(self.significant_figures, extra, 1),
        )

    def without(self, claims: list[str]) -> Design:
        """The design with `claims` left out (and any source left without a figure)."""
        keep = np.array([c not in claims for c in self.claim_ids], dtype=bool)
        figures = keep & (self.is_onset == 0)   # a date's row points at source 0, whose scale it does not use
        sources = [s for i, s in enumerate(self.sources) if np.any(figures & (self.source_index == i))]
        return dataclasses.replace(
            self,
            claim_ids=[c for c, k in zip(self.claim_ids, keep) if k],
            sources=sources,
            source_rating=np.array([self.source_rating[self.sources.index(s)] for s in sources], dtype=int),
            **{name: getattr(self, name)[keep] for name in CLAIM_DATA if name != "source_index"},
            source_index=np.array([sources.index(self.sources[i]) if self.sources[i] in sources else 0
                                   for i in self.source_index[keep]], dtype=int),
            log_value=self.log_value[keep],
            rule=[r for r, k in zip(self.rule, keep) if k],
            significant_figures=self.significant_figures[keep],
        )


# The claims' arrays the model takes as data when compiled once for many designs; then sources' ratings.
CLAIM_DATA = ("quantity_index", "ratio_index", "is_conversion", "k0", "f0", "k1", "f1", "start_share", "end_share",
              "source_index", "log_lower", "log_upper", "weight", "is_onset", "onset_row", "onset_lower", "onset_upper")
NODE_DATA = ("start_share", "end_share")   # (claim, timing.NODES)
SOURCE_DATA = ("source_rating",)
DESIGN_DATA = CLAIM_DATA + SOURCE_DATA
# Label of a spare claim or source in a padded design (no claim id or source key starts with a space).
SPARE = " spare "
# An onset claim's open end, in months from the axis start: far past any axis and any onset's prior.
OPEN = 1e4


class ClaimRow(NamedTuple):
    """One claim's values in the design. The defaults say nothing: a spare row's values, and those a row of one kind
    leaves as they are for the other (a figure's window on the onset, a date's interval on the figure)."""

    quantity_index: int = 0
    ratio_index: int = 0
    is_conversion: bool = False
    k0: int = 0
    f0: float = 0.0
    k1: int = 0
    f1: float = 0.0
    source_index: int = 0
    log_lower: float = -LOG_INFINITY
    log_upper: float = LOG_INFINITY
    log_value: float = 0.0
    is_onset: float = 0.0
    onset_row: int = 0
    onset_lower: float = -OPEN
    onset_upper: float = OPEN


SPARE_ROW = ClaimRow()._asdict()


def padded_size(n: int, block: int) -> int:
    """Room for `n` rows and at least half a block more, in whole blocks: small edits keep the size."""
    return block * int(np.ceil((n + block / 2) / block))


def log_bounds(lower: float, upper: float) -> tuple[float, float]:
    """Interval bounds on the log scale, with LOG_INFINITY standing in for 0 and infinity."""
    if lower <= 0:
        log_upper = np.log(upper)
        return log_upper - LOG_INFINITY, log_upper
    log_lower = np.log(lower)
    return log_lower, (np.log(upper) if np.isfinite(upper) else log_lower + LOG_INFINITY)


def build_design(case: Case) -> Design:
    """The used claims of `case` as the arrays the model reads: one row per claim."""
    spec, axis = case.spec, case.axis
    claims = case.evidence.used
    by_id = {c.id: c for c in case.evidence.claims}
    quantities, ratios = spec.quantities, list(spec.ratios)
    with_onset = spec.flows_with_onset
    # Only origins of used figures have an error scale to learn; any other is predicted as a new source of its rating.
    sources = case.evidence.figure_sources
    rows, rules, figures = [], [], []
    for c in claims:
        conversion, onset = c.kind == ClaimKind.conversion, c.kind == ClaimKind.onset
        if onset:
            k0, f0, k1, f1 = axis.window(c.window.start, c.window.end)
            source = sources.index(c.origin) if c.origin in sources else 0   # a date has no figure's error scale
            rows.append(ClaimRow(quantity_index=quantities.index(c.quantity), source_index=source, is_onset=1.0,
                                 onset_row=with_onset.index(c.quantity),
                                 onset_lower=k0 + f0 if c.window.start else -OPEN, onset_upper=k1 + f1))
            figures.append(1)
            rules.append("onset")
            continue
        lower, upper = claim_interval(c, spec.qualifiers, by_id.get(c.basis) if c.basis else None)
        log_lower, log_upper = log_bounds(lower, upper)
        k0, f0, k1, f1 = (0, 0.0, 0, 0.0) if conversion else axis.window(c.window.start, c.window.end)
        value = c.value if c.value is not None else np.sqrt(c.low * c.high)
        figures.append(significant_figures(value))
        if conversion:
            value = value / by_id[c.basis].value
        rules.append(claim_rule(c, spec.qualifiers))
        rows.append(ClaimRow(
            quantity_index=0 if conversion else quantities.index(c.quantity),
            ratio_index=ratios.index(c.quantity) if conversion else 0,
            is_conversion=conversion, k0=k0, f0=f0, k1=k1, f1=f1, source_index=sources.index(c.origin),
            log_lower=log_lower, log_upper=log_upper, log_value=np.log(value),
        ))
    columns = {name: np.array([getattr(row, name) for row in rows], dtype=type(default))
               for name, default in SPARE_ROW.items()}
    concentration = [spec.flows[spec.base_flow(c.quantity)].day_concentration if c.quantity in quantities else None
                     for c in claims]
    start_share, end_share = claim_shares(columns["k0"], columns["f0"], columns["k1"], columns["f1"], concentration)
    return Design(
        claim_ids=[c.id for c in claims],
        quantities=quantities,
        ratios=ratios,
        sources=sources,
        source_rating=np.array([RATINGS.index(case.evidence.sources[s].rating) for s in sources], dtype=int),
        **columns,
        start_share=start_share, end_share=end_share,
        rule=rules,
        significant_figures=np.asarray(figures, dtype=int),
        weight=np.ones(len(claims)),
        dating_scale=spec.errors.dating.sd_days / DAYS_PER_MONTH if spec.errors.dating else 1.0,
    )

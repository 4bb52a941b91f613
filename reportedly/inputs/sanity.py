"""Settings no one means: a model file whose settings are valid one by one but not against what they imply or against
the claims (a time axis of thousands of years, a horizon decades away, an onset or a prior far from every claim).

Each finding names the setting to change. A refusal stops a fit before it starts (a user who truly means it passes
--force); a warning is printed and the fit goes on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportedly.inputs.case import Case
from reportedly.inputs.schema import ClaimKind
from reportedly.timeaxis import DAYS_PER_MONTH, MonthAxis

# Fifty years of months: a case's axis longer than this is a typo (start = 0001-01-01 for 2023-01-01).
MOST_MONTHS = 600
# A forecast horizon further than this past the axis is refused, and one further than WARN_YEARS warned of.
MOST_YEARS_AHEAD, WARN_YEARS_AHEAD = 25, 5
# An onset this far (in months) from every claim of its flow is warned of.
FAR_MONTHS = 24
# A prior whose median puts a claim's total this many times off (either way) for every claim is warned of.
FAR_FACTOR = 1000


@dataclass(frozen=True)
class Finding:
    """A setting that does not fit what it implies or the claims, and whether it stops a fit."""

    message: str
    refuse: bool

    def __str__(self) -> str:
        return self.message


def check_settings(case: Case) -> list[Finding]:
    """Every finding on the case's model file, refusals first."""
    spec = case.spec
    file = f"models/{case.name}.toml"
    findings = []
    months = (spec.time.end.year - spec.time.start.year) * 12 + spec.time.end.month - spec.time.start.month + 1
    if months > MOST_MONTHS:
        findings.append(Finding(
            f"{file}: [time] start {spec.time.start} to end {spec.time.end} spans {months:,} months; an axis may span "
            f"at most {MOST_MONTHS} ({MOST_MONTHS // 12} years): correct [time] start or end (or pass --force)", True))
        return findings   # nothing else can be judged on such an axis
    if spec.time.horizon is not None:
        years = (spec.time.horizon - spec.time.end).days / 365.25
        if years > WARN_YEARS_AHEAD:
            findings.append(Finding(
                f"{file}: [time] horizon {spec.time.horizon} is {years:.0f} years past the axis end ({spec.time.end}); "
                f"forecasts that far say next to nothing: set [time] horizon nearer"
                + (f" (more than {MOST_YEARS_AHEAD} years is refused; pass --force if you mean it)"
                   if years > MOST_YEARS_AHEAD else ""), years > MOST_YEARS_AHEAD))
    axis = spec.time.axis
    used = [c for c in case.evidence.used if c.kind == ClaimKind.count]
    base = {name: spec.base_flow(name) for name in spec.quantities}
    for name, flow in spec.flows.items():
        claims = [c for c in used if base.get(c.quantity) == name]
        if not claims:
            continue
        if flow.onset is not None:
            onset = axis.elapsed(flow.onset.mean) if axis.start <= flow.onset.mean <= axis.last_day else None
            spans = [_span(axis, c) for c in claims if c.window.start is not None]   # 'since it began' says nothing
            if onset is not None and spans and all(_far(onset, a, b) for a, b in spans):
                findings.append(Finding(
                    f"{file}: [flows.{name}] onset mean {flow.onset.mean} is more than {FAR_MONTHS} months from every "
                    f"claim about {name}: check the date", False))
        factors = []
        for c in claims:
            a, b = _span(axis, c)
            prior = flow.level.median * max(b - a, 1.0)
            if c.quantity in spec.links:
                ratio = spec.ratios[spec.links[c.quantity].product[1]]
                prior *= ratio.capacity.median * ratio.fill.alpha / (ratio.fill.alpha + ratio.fill.beta)
            printed = c.value if c.value is not None else math.sqrt(c.low * c.high)
            factors.append(printed / prior)
        if all(f > FAR_FACTOR for f in factors) or all(f < 1 / FAR_FACTOR for f in factors):
            way = "more" if factors[0] > 1 else "fewer"
            findings.append(Finding(
                f"{file}: [flows.{name}] level median {flow.level.median:g} a month puts every claim about {name} "
                f"more than {FAR_FACTOR:,} times off (the claims print {way}): check its level", False))
    return sorted(findings, key=lambda f: not f.refuse)


def _far(month: float, a: float, b: float) -> bool:
    """Whether `month` lies outside the span a..b and more than FAR_MONTHS from both its ends."""
    return not a <= month <= b and min(abs(month - a), abs(month - b)) > FAR_MONTHS


def _span(axis: MonthAxis, claim) -> tuple[float, float]:
    """Where a claim's window lies on the axis, in months since its start."""
    start = axis.elapsed(claim.window.start) if claim.window.start and claim.window.start >= axis.start else 0.0
    end = axis.elapsed(claim.window.end) + 1 / DAYS_PER_MONTH
    return start, end

"""The claim data contract and the source registry, validated once where the data enter."""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Rating = Literal["A", "B", "C", "D", "E", "F"]
RATINGS: tuple[str, ...] = get_args(Rating)
"""The NATO Admiralty reliability letters, most reliable first."""
# A printed count above this is a typo, not a figure (a trillion of anything a source counts).
LARGEST_COUNT = 1e12


class Frozen(BaseModel):
    """A validated record: unknown fields refused, nothing changed after reading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Qualifier(StrEnum):
    """How the article qualifies the printed figure."""

    none = "none"
    approximately = "approximately"
    more_than = "more_than"
    at_least = "at_least"
    as_many_as = "as_many_as"
    up_to = "up_to"
    exactly = "exactly"
    range = "range"


class ClaimKind(StrEnum):
    """What sort of figure a claim is."""

    count = "count"
    conversion = "conversion"
    share = "share"
    plan = "plan"
    onset = "onset"   # when a flow began: its window holds the days it began in, or ends on the day it had begun by


class SourceType(StrEnum):
    """What kind of body a source is; 'other' for anything else (say what in the rationale)."""

    multilateral_monitor = "multilateral monitor"
    international_organisation = "international organisation"
    allied_intelligence = "allied intelligence"
    government = "government"
    belligerent_government = "belligerent government"
    think_tank = "think tank"
    open_source_research = "open-source research group"
    news_outlet = "news outlet"
    news_outlet_reporting = "news outlet's own reporting"
    company = "company"
    ai_summary = "AI summary"
    other = "other"


class Source(Frozen):
    """An assessing body or an outlet, with its Admiralty reliability letter."""

    name: str = Field(description="Full name of the body or outlet.")
    type: SourceType = Field(description="What kind of source it is.")
    rating: Rating = Field(description="NATO Admiralty reliability letter, A (reliable) to F (cannot be judged).")
    rationale: str = Field(min_length=1, description="One line on why it has this rating.")


class Window(Frozen):
    """The time a figure covers: a period (start to end) or cumulative (since start, or since the flow began, to
    end)."""

    kind: Literal["period", "cumulative"] = Field(description="'period' or 'cumulative'.")
    start: dt.date | None = Field(
        None, description="First day covered; for cumulative, omit to mean since the flow began."
    )
    end: dt.date = Field(description="Last day covered (inclusive); for cumulative, the as-of date.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.kind == "period" and self.start is None:
            raise ValueError("a period window needs a start date")
        if self.start is not None and self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self


class Claim(Frozen):
    """One figure as one article printed it."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="Stable unique id.")
    article: str = Field(description="File name of the article under seeds/articles/.")
    quote: str = Field(min_length=1, description="The sentence (or the part of it) as printed, verbatim.")
    quantity: str = Field(min_length=1, description="What is counted, e.g. shells, containers, troops.")
    kind: ClaimKind = Field(ClaimKind.count, description="count, conversion, share, plan, or onset (when a flow "
                            "began: a period it began in, or cumulative without a start for the day it had begun by).")
    value: float | None = Field(None, description="The printed figure (omit for a range).")
    low: float | None = Field(None, description="Lower end of a printed range.")
    high: float | None = Field(None, description="Upper end of a printed range.")
    qualifier: Qualifier = Field(description="How the figure is qualified in print.")
    window: Window = Field(description="The time the figure covers.")
    report_date: dt.date = Field(description="When the original statement was made.")
    origin: str = Field(description="The assessing body (a key of sources.yaml).")
    relay: tuple[str, ...] = Field((), description="Outlets that carried it, nearest the origin first.")
    assessment: str = Field(min_length=1, description="Claims relaying the same original statement share this id.")
    basis: str | None = Field(None, description="For a conversion: the id of the claim whose figure was converted.")
    use: bool = Field(True, description="False when the model must not use this claim as evidence.")
    reason: str | None = Field(None, description="Why the claim is not used (required when use is false).")
    notes: str | None = Field(None, description="Doubts and readings worth recording.")

    @field_validator("value", "low", "high")
    @classmethod
    def _a_count(cls, figure: float | None) -> float | None:
        if figure is not None and not (math.isfinite(figure) and 0 < figure <= LARGEST_COUNT):
            raise ValueError(
                f"must be a positive count no larger than {LARGEST_COUNT:,.0f}, got {figure:g}; "
                "write the figure as printed (9 million -> 9000000)"
            )
        return figure

    @field_validator("report_date")
    @classmethod
    def _not_in_the_future(cls, day: dt.date) -> dt.date:
        if day > dt.date.today():
            raise ValueError(
                f"{day} is in the future (today is {dt.date.today()}); give the date the figure was published"
            )
        return day

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        if not self.use and not self.reason:
            raise ValueError("a claim with use: false needs a 'reason'")
        if self.kind != ClaimKind.plan and self.window.end > self.report_date:
            raise ValueError(f"window ends ({self.window.end}) after the report date ({self.report_date})")
        if self.kind == ClaimKind.onset:
            return self._an_onset()
        if self.qualifier == Qualifier.range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both 'low' and 'high'")
            if self.value is not None:
                raise ValueError("a range takes 'low' and 'high', not 'value'")
            if self.low > self.high:
                raise ValueError(f"range low ({self.low:g}) is above high ({self.high:g})")
        else:
            if self.value is None:
                raise ValueError(f"qualifier '{self.qualifier}' needs a 'value'")
            if self.low is not None or self.high is not None:
                raise ValueError("'low'/'high' are only for qualifier 'range'")
        if self.kind == ClaimKind.conversion and self.basis is None:
            raise ValueError("a conversion needs 'basis': the id of the claim whose figure was converted")
        return self

    def _an_onset(self) -> Claim:
        if any(figure is not None for figure in (self.value, self.low, self.high)):
            raise ValueError("an onset claim dates when a flow began and prints no figure: remove value, low and high")
        if self.qualifier != Qualifier.none:
            raise ValueError(f"an onset claim takes qualifier 'none', got '{self.qualifier}': its window says when "
                             "(the month of 'around October'; cumulative without a start for 'since at least')")
        if self.window.kind == "cumulative" and self.window.start is not None:
            raise ValueError("an onset claim's window is a period (it began between start and end) or cumulative "
                             "without a start (it had begun by end)")
        return self

    @property
    def figure(self) -> str:
        """The figure as a reader would say it."""
        if self.kind == ClaimKind.onset:
            began = self.window
            return f"began {began.start}–{began.end}" if began.start else f"began by {began.end}"
        if self.qualifier == Qualifier.range:
            return f"{self.low:,.0f}–{self.high:,.0f}"
        prefix = "" if self.qualifier == Qualifier.none else self.qualifier.replace("_", " ") + " "
        return f"{prefix}{self.value:,.0f}"


class ClaimsFile(Frozen):
    """Top level of seeds/claims/<article>.yaml: defaults shared by its claims, then the claims."""

    article: str = Field(description="File name of the article under seeds/articles/.")
    report_date: dt.date = Field(description="Default report date of the claims in this file.")
    relay: tuple[str, ...] = Field((), description="Default relay chain of the claims in this file.")
    claims: list[dict] = Field(description="The claims; each is validated on its own.")

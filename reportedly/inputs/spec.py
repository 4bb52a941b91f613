"""The declarative model file (models/<case>.toml): time axis, quantities, priors, links, sampler, headlines."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from reportedly.errors import InputError, Problem, problems_from_validation
from reportedly.inputs.schema import RATINGS, Frozen, Qualifier, Rating
from reportedly.timeaxis import MonthAxis

IntervalRule = Literal["rounding", "lower", "lower_stepped", "upper", "upper_stepped", "exact", "interval"]


class LogNormalPrior(Frozen):
    """A positive quantity's prior: lognormal with a median and a log-scale sigma."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0, description="Prior median.")
    sigma: float = Field(gt=0, description="Standard deviation on the log scale.")
    reason: str = Field(min_length=1, description="One line on why.")


class HalfNormalPrior(Frozen):
    """A scale's prior: half-normal."""

    dist: Literal["halfnormal"]
    sigma: float = Field(gt=0, description="Scale.")
    reason: str = Field(min_length=1, description="One line on why.")


class BetaPrior(Frozen):
    """A share's prior: beta."""

    dist: Literal["beta"]
    alpha: float = Field(gt=0, description="First shape.")
    beta: float = Field(gt=0, description="Second shape.")
    reason: str = Field(min_length=1, description="One line on why.")


class OnsetPrior(Frozen):
    """When a flow began: around a date, its spread in days; `normal`, or `student_t` with `nu` degrees of freedom
    for a start that may be months off what was reported (a first sighting can lag the start by a season)."""

    dist: Literal["normal", "student_t"]
    mean: dt.date = Field(description="Most likely first day of the flow.")
    sd_days: float = Field(gt=0, description="Spread in days: a normal's standard deviation, a student_t's scale.")
    nu: float | None = Field(None, gt=2, description="student_t only: degrees of freedom (3: heavy tails).")
    reason: str = Field(min_length=1, description="One line on why.")

    @model_validator(mode="after")
    def _nu_with_student_t(self) -> OnsetPrior:
        if self.dist == "student_t" and self.nu is None:
            raise ValueError('dist = "student_t" needs nu, its degrees of freedom (e.g. nu = 3)')
        if self.dist == "normal" and self.nu is not None:
            raise ValueError('nu is for dist = "student_t"; remove it from a normal onset')
        return self


class SpreadPrior(Frozen):
    """How far a month's flow strays from the trend, as a share of it with mean 1: `clipped_normal`,
    max(0, 1 + sd x N(0, 1)), for a flow that runs about its trend and can skip a month; `lognormal`,
    exp(sd x N(0, 1) - sd^2 / 2), for a flow that moves in waves (a month can carry several times the trend, and
    many months little)."""

    dist: Literal["clipped_normal", "lognormal"]
    sd: float = Field(gt=0, description="Standard deviation of a month's share of the trend (of its log, lognormal).")
    reason: str = Field(min_length=1, description="One line on why.")

    @property
    def in_waves(self) -> bool:
        """Whether the flow moves in waves (a heavy-tailed share)."""
        return self.dist == "lognormal"

    def share(self, z):
        """A month's share of the trend at standard normal `z` (the model's flow operation computes the same)."""
        if self.in_waves:
            return np.exp(self.sd * z - self.sd**2 / 2)
        return np.maximum(1.0 + self.sd * z, 0.0)


class TimingPrior(Frozen):
    """How a month's flow falls on its days: a Dirichlet process over them with this concentration, so the share of
    the month a window covering a fraction c of its days gets is Beta(concentration c, concentration (1 - c)), mean c.
    Large: spread evenly over the days; 1 or less: in a few lumps (most of the month's flow can fall in one week)."""

    dist: Literal["dirichlet"]
    concentration: float = Field(gt=0, description="How evenly a month's flow falls on its days.")
    reason: str = Field(min_length=1, description="One line on why.")


Prior = Annotated[LogNormalPrior | HalfNormalPrior | BetaPrior | OnsetPrior | SpreadPrior | TimingPrior,
                  Field(discriminator="dist")]


class FlowSpec(Frozen):
    """A counted quantity with a latent monthly flow."""

    description: str = Field(description="What is counted.")
    level: LogNormalPrior = Field(description="Typical monthly trend while active (geometric mean over the axis).")
    smoothness: HalfNormalPrior = Field(description="Month-to-month change of the log flow.")
    onset: OnsetPrior | None = Field(None, description="When the flow began; omit if it runs the whole axis.")
    duration: LogNormalPrior | None = Field(None, description="How many months the flow runs after its onset, or after "
                                            "the axis start without one (it may stop); omit for a flow that runs on.")
    spread: SpreadPrior | None = Field(
        None,
        description="A month's flow as a share of the trend (see SpreadPrior): months vary around the trend; "
        "omit to follow the trend.",
    )
    timing: TimingPrior | None = Field(
        None, description="How a month's flow falls on its days; omit for evenly over them."
    )
    first_wave: LogNormalPrior | None = Field(
        None,
        description="A flow that begins with a wave: how many months of its level arrive over the month from its "
        "onset, on top of the trend (needs an onset); omit for a flow that starts at its trend.",
    )
    words: tuple[str, ...] = Field(
        (),
        description="What articles call it ('rounds', 'artillery shells'), for "
        "`reportedly extract`; the quantity's own name is always one.",
    )

    @property
    def day_concentration(self) -> float | None:
        """How evenly a month's flow falls on its days (`timing`); None: evenly."""
        return self.timing.concentration if self.timing else None


class RatioSpec(Frozen):
    """A ratio between flows: a capacity that sources state, and the share of it realised."""

    description: str = Field(description="What the ratio is.")
    capacity: LogNormalPrior = Field(description="The ratio sources' conversions describe.")
    fill: BetaPrior = Field(description="Realised ratio as a share of capacity.")


class ProductLink(Frozen):
    """quantity = flow x ratio, month by month."""

    product: tuple[str, str] = Field(description="[flow, ratio] whose product this quantity is.")
    description: str = Field(description="What the linked quantity is.")
    words: tuple[str, ...] = Field(
        (),
        description="What articles call it ('rounds', 'artillery shells'), for "
        "`reportedly extract`; the quantity's own name is always one.",
    )


class RatingPrior(Frozen):
    """The prior median of the error scale of sources with one Admiralty letter."""

    median: float = Field(gt=0, description="Prior median of a source's error scale (log scale).")
    reason: str = Field(min_length=1, description="One line on why.")


class DatingPrior(Frozen):
    """How far a source's date for a flow's start strays from the truth: the scale, in days, of a Student-t with 2
    degrees of freedom (heavy-tailed, as a printed figure's error)."""

    sd_days: float = Field(gt=0, description="Scale of the error in days.")
    reason: str = Field(min_length=1, description="One line on why.")


class ErrorSpec(Frozen):
    """How a source's printed estimate departs from the truth."""

    ratings: dict[Rating, RatingPrior] = Field(description="Prior median error scale for each Admiralty letter.")
    rating_spread: float = Field(
        gt=0, description="Log-sd of a letter's scale around its prior median (pooled by letter)."
    )
    source_spread: float = Field(gt=0, description="Log-sd of a source's scale around its letter's.")
    bias_sd: float = Field(gt=0, description="Prior sd of a source's systematic log bias.")
    dating: DatingPrior | None = Field(None, description="How far a source dates a flow's start from the truth; "
                                       "claims of kind onset need it.")
    reason: str = Field(min_length=1, description="One line on why.")

    @model_validator(mode="after")
    def _all_letters(self) -> ErrorSpec:
        missing = sorted(set(RATINGS) - set(self.ratings))
        if missing:
            raise ValueError(f"ratings needs every letter A-F; missing {', '.join(missing)}")
        return self


class SamplerSpec(Frozen):
    """How the posterior is sampled, and with which seed."""

    draws: int = Field(
        ge=10,
        description="Most draws per chain: sampling stops sooner once the diagnostics gate passes "
        "with room (see `fit.sample_compiled`).",
    )
    tune: int = Field(ge=10, description="Warm-up draws per chain.")
    chains: int = Field(ge=1, description="Independent chains.")
    random_seed: int = Field(ge=0, description="Seed; the CLI can override it.")
    adaptation: Literal["diag", "low_rank"] = Field("diag", description="nutpie mass-matrix adaptation.")
    target_accept: float = Field(0.8, gt=0, lt=1, description="Target acceptance rate.")


class Headline(Frozen):
    """A figure the summary reports: a quantity's total over a window, or a ratio."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Machine name.")
    label: str = Field(description="What a reader sees.")
    quantity: str = Field(description="A flow, link or ratio quantity.")
    start: dt.date | None = Field(None, description="First day; omit for cumulative since the axis start.")
    end: dt.date | Literal["latest_report"] | None = Field(None, description="Last day, or 'latest_report'.")


class TimeSpec(Frozen):
    """The monthly time axis, and how far past it a query may forecast."""

    start: dt.date = Field(description="First month of the axis (any day in it).")
    end: dt.date = Field(description="Last month of the axis (any day in it).")
    horizon: dt.date | None = Field(
        None,
        description="Last day a query may forecast to (the flows go on under their "
        "own dynamics past the axis); default a year past the end.",
    )

    @property
    def axis(self) -> MonthAxis:
        """The months from start to end."""
        return MonthAxis(self.start, self.end)


class CaseSpec(Frozen):
    """The case's name and title."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Case name; estimates go to estimates/<name>/.")
    title: str = Field(description="Human title.")


class ModelSpec(Frozen):
    """Everything a case's model needs besides the claims."""

    case: CaseSpec
    time: TimeSpec
    flows: dict[str, FlowSpec]
    ratios: dict[str, RatioSpec] = {}
    links: dict[str, ProductLink] = {}
    errors: ErrorSpec
    qualifiers: dict[Qualifier, IntervalRule]
    sampler: SamplerSpec
    headlines: list[Headline]

    @model_validator(mode="after")
    def _references(self) -> ModelSpec:
        names = [*self.flows, *self.ratios, *self.links]
        if len(set(names)) != len(names):
            raise ValueError("a quantity name is used twice among flows, ratios and links")
        for name, link in self.links.items():
            flow, ratio = link.product
            if flow not in self.flows or ratio not in self.ratios:
                raise ValueError(
                    f"link '{name}': product must be [flow, ratio], got [{flow}, {ratio}]; "
                    f"flows: {', '.join(self.flows)}; ratios: {', '.join(self.ratios) or 'none'}"
                )
        missing = sorted(set(Qualifier) - set(self.qualifiers))
        if missing:
            raise ValueError(f"qualifiers needs a rule for every qualifier; missing {', '.join(missing)}")
        for name, flow in self.flows.items():
            if flow.onset is not None and not self.time.start <= flow.onset.mean <= self.time.end:
                raise ValueError(
                    f"flow '{name}': onset mean {flow.onset.mean} is outside the time axis "
                    f"{self.time.start} to {self.time.end}; move it inside or widen [time]"
                )
            if flow.first_wave is not None and flow.onset is None:
                raise ValueError(f"flow '{name}': a first_wave arrives at the flow's onset; give the flow an onset "
                                 "or remove first_wave")
        for h in self.headlines:
            if h.quantity not in names:
                raise ValueError(f"headline '{h.name}': unknown quantity '{h.quantity}'")
        if self.time.end < self.time.start:
            raise ValueError("time.end is before time.start")
        if self.time.horizon is not None and self.time.horizon < self.time.end:
            raise ValueError("time.horizon is before time.end")
        return self

    def words(self) -> dict[str, str]:
        """Each word or phrase articles use for a counted quantity (lower case), and that quantity."""
        named = {**self.flows, **self.links}
        return {
            word.lower(): name for name, quantity in named.items() for word in (name.replace("_", " "), *quantity.words)
        }

    @property
    def flows_with_onset(self) -> list[str]:
        """The flows with an onset, in the model file's order: the order of the model's onsets, which an onset claim's
        row and a truth's onsets follow."""
        return [name for name, flow in self.flows.items() if flow.onset is not None]

    @property
    def quantities(self) -> list[str]:
        """Quantities with a monthly flow: flows, then links."""
        return [*self.flows, *self.links]

    def base_flow(self, quantity: str) -> str:
        """The flow a quantity moves with: itself, or the flow of the link it is."""
        return self.links[quantity].product[0] if quantity in self.links else quantity


def load_spec(path: Path) -> tuple[ModelSpec, str]:
    """Read and validate a model file; return the spec and its text (recorded with each fit)."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "model file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"is not UTF-8 text ({exc.reason})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), f"is not valid TOML: {exc}")]) from None
    try:
        return ModelSpec.model_validate(raw), text
    except ValidationError as exc:
        allowed = {
            *ModelSpec.model_fields,
            *FlowSpec.model_fields,
            *RatioSpec.model_fields,
            *ErrorSpec.model_fields,
            *SamplerSpec.model_fields,
            *Headline.model_fields,
            *LogNormalPrior.model_fields,
            *BetaPrior.model_fields,
            *OnsetPrior.model_fields,
        }
        raise InputError(problems_from_validation(exc, str(path), None, allowed)) from None


def spec_digest(text: str) -> str:
    """A short hash of a model file's text, recorded with every fit."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]

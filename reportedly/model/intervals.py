"""What a printed figure means, in one place: the interval its wording asserts about the source's own estimate,
the figure a source with a given estimate prints (its inverse, for simulation), and how a source's estimate
departs from the truth (the error law the likelihood in likelihood.py integrates)."""

from __future__ import annotations

import math

import numpy as np

from reportedly.inputs.schema import Claim, ClaimKind, Qualifier
from reportedly.inputs.spec import IntervalRule

# Stand-in for an infinite bound on the log scale: e^60 is beyond any count this package will see.
LOG_INFINITY = 60.0


def rounding_step(value: float) -> float:
    """The step implied by the printed figure's significant figures (9,000,000 -> 1,000,000; 481 -> 1;
    28,000 -> 1,000)."""
    if value != int(value):
        decimals = len(f"{value:.6f}".rstrip("0").split(".")[1])
        return 10.0**-decimals
    digits = str(int(value))
    return 10.0 ** (len(digits) - len(digits.rstrip("0")))


def significant_figures(value: float) -> int:
    """How many significant figures the printed figure carries (28,000 -> 2; 9,000,000 -> 1; 481 -> 3)."""
    return math.floor(math.log10(value / rounding_step(value)) + 1e-9) + 1


def printed_interval(
    value: float, rule: IntervalRule, low: float | None = None, high: float | None = None
) -> tuple[float, float]:
    """The interval (natural units; 0 and inf allowed) that a figure printed under `rule` asserts."""
    if rule == "interval":
        assert low is not None and high is not None
        return low, high
    step = rounding_step(value)
    match rule:
        case "rounding":
            return max(value - step / 2, 0.0), value + step / 2
        case "lower":
            return value, math.inf
        case "lower_stepped":
            return value, value + step
        case "upper":
            return 0.0, value
        case "upper_stepped":
            return max(value - step, 0.0), value
        case "exact":
            return max(value - 0.5, 0.0), value + 0.5
    raise ValueError(f"unknown interval rule {rule!r}")


def claim_interval(
    claim: Claim, rules: dict[Qualifier, IntervalRule], basis: Claim | None = None
) -> tuple[float, float]:
    """The interval a claim asserts about its quantity's truth.

    A conversion ("28,000 containers are 12 million 152 mm rounds") is evidence on the ratio: its figure,
    read as rounded whatever its qualifier (the basis and the conversion share the qualifier, which
    cancels in the ratio), divided by the printed figure of its basis.
    """
    rule = claim_rule(claim, rules)
    if claim.kind == ClaimKind.conversion:
        assert basis is not None and basis.value is not None and claim.value is not None
        lo, hi = printed_interval(claim.value, rule)
        return lo / basis.value, hi / basis.value
    return printed_interval(claim.value or 0.0, rule, claim.low, claim.high)


def claim_rule(claim: Claim, rules: dict[Qualifier, IntervalRule]) -> IntervalRule:
    """How a claim's wording is read: its qualifier's rule, or rounding for a conversion (see `claim_interval`)."""
    return "rounding" if claim.kind == ClaimKind.conversion else rules[claim.qualifier]


def one_sided(rules: dict[Qualifier, IntervalRule]) -> dict[Qualifier, IntervalRule]:
    """The same reading, with 'more than' anywhere above the figure and 'as many as' anywhere below it, rather than
    within one rounding step of it."""
    return {qualifier: rule.removesuffix("_stepped") for qualifier, rule in rules.items()}


def printed_bounds(estimate: float, rule: IntervalRule, figures: int) -> tuple[float, float]:
    """What a source whose own estimate is `estimate` prints with `figures` significant figures (rounded, or down for
    'more than', or up for 'as many as'; an exact figure is a count to the unit), read back as the model reads a
    printed figure under `rule`."""
    exponent = 0 if rule == "exact" else math.floor(math.log10(estimate)) - figures + 1
    rounded = {1: math.floor, -1: math.ceil, 0: round}[direction(rule)](estimate / 10.0**exponent)
    printed = round(rounded * 10.0**exponent, max(0, -exponent))
    return printed_interval(printed, "rounding" if rule == "interval" else rule)


# A source that prints a figure for a window saw at least one unit in it: the truth a source estimates is the
# window's total counted as at least this much (a flow can leave a month, or a short window, empty).
LEAST_ESTIMATED = 1.0


def estimated_truth(total: np.ndarray) -> np.ndarray:
    """The truth a source estimates: a window's total (or a capacity), counted as at least LEAST_ESTIMATED."""
    return np.maximum(total, LEAST_ESTIMATED)


def source_estimates(truth: np.ndarray, bias: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws of a source's own estimate of `truth`: estimated_truth(truth) * exp(bias + sigma * t2), the error law
    of the model."""
    return estimated_truth(truth) * np.exp(bias + sigma * rng.standard_t(2, size=np.shape(truth)))


def direction(rule: IntervalRule) -> int:
    """Which way a figure printed under `rule` points: +1 for 'more than', -1 for 'as many as', 0 otherwise."""
    return 1 if rule.startswith("lower") else -1 if rule.startswith("upper") else 0

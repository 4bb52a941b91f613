"""The interval likelihood against scipy, tails included; what qualifiers mean."""

import math

import numpy as np
import pytest
from scipy import stats

from reportedly.model.intervals import printed_interval, rounding_step
from reportedly.model.likelihood import interval_logp, interval_logp_and_slopes

T2 = stats.t(df=2)


def scipy_logp(a, b):
    """log P(a < Z < b) for Z ~ t(2), computed in whichever tail is accurate."""
    if a >= 0:
        return math.log(T2.sf(a) - T2.sf(b))
    return math.log(T2.cdf(b) - T2.cdf(a))


@pytest.mark.parametrize(("a", "b"), [
    (-1.0, 1.0), (-0.1, 0.3), (0.0, 0.5), (2.0, 2.5), (-3.0, -2.9),   # body
    (30.0, 31.0), (-80.0, -79.0), (500.0, 501.0), (5.0, 1e4),        # far tails
    (1.0, 1.0 + 1e-6), (-1e4, -5.0), (-1e4, 1e4),                     # narrow, one-sided, whole line
])
def test_logp_matches_scipy(a, b):
    assert interval_logp(a, b, 0.0, 1.0) == pytest.approx(scipy_logp(a, b), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("a", "b"), [(-1.0, 1.0), (0.2, 0.5), (30.0, 31.0), (-80.0, -79.0), (5.0, 65.0), (-3.0, 2.0)])
def test_slopes_match_finite_differences_into_the_tails(a, b):
    _, d_a, d_b = interval_logp_and_slopes(a, b)
    eps = 1e-6 * max(1.0, abs(a), abs(b))
    numeric_a = (interval_logp_and_slopes(a + eps, b)[0] - interval_logp_and_slopes(a - eps, b)[0]) / (2 * eps)
    numeric_b = (interval_logp_and_slopes(a, b + eps)[0] - interval_logp_and_slopes(a, b - eps)[0]) / (2 * eps)
    assert (d_a, d_b) == pytest.approx((numeric_a, numeric_b), rel=1e-5)
    assert np.isfinite(d_a) and np.isfinite(d_b)


def test_logp_broadcasts_over_draws():
    lower, upper = np.log([8.5e6, 27_500.0]), np.log([9.5e6, 28_500.0])
    mu = np.log([[9e6, 28_000.0], [8e6, 30_000.0], [1e7, 20_000.0]])
    values = interval_logp(lower, upper, mu, 0.2)
    assert values.shape == (3, 2)
    assert values[0, 0] == pytest.approx(interval_logp(lower[0], upper[0], mu[0, 0], 0.2))


def test_logp_is_a_probability_that_shrinks_with_the_interval():
    whole = interval_logp(-1e6, 1e6, 0.0, 0.2)
    half = interval_logp(0.0, 1e6, 0.0, 0.2)
    assert whole == pytest.approx(0.0, abs=1e-9)
    assert half == pytest.approx(math.log(0.5))


@pytest.mark.parametrize(
    ("value", "step"), [(9_000_000, 1_000_000), (28_000, 1_000), (481, 1), (200, 100), (12.5, 0.1), (160, 10)]
)
def test_rounding_step_from_significant_figures(value, step):
    assert rounding_step(value) == step


@pytest.mark.parametrize(
    ("value", "rule", "expected"),
    [
        (9_000_000, "rounding", (8_500_000, 9_500_000)),
        (28_000, "rounding", (27_500, 28_500)),
        (28_000, "lower", (28_000, math.inf)),
        (20_000, "lower_stepped", (20_000, 30_000)),
        (9_000_000, "upper", (0.0, 9_000_000)),
        (9_000_000, "upper_stepped", (8_000_000, 9_000_000)),
        (481, "exact", (480.5, 481.5)),
    ],
)
def test_printed_interval(value, rule, expected):
    assert printed_interval(value, rule) == expected


@pytest.mark.parametrize(("value", "figures"), [(9_000_000, 1), (28_000, 2), (481, 3), (200, 1), (160, 2), (12.5, 3)])
def test_significant_figures(value, figures):
    from reportedly.model.intervals import significant_figures

    assert significant_figures(value) == figures


@pytest.mark.parametrize("rule", ["rounding", "lower", "lower_stepped", "upper", "upper_stepped", "exact"])
@pytest.mark.parametrize("estimate", [0.37, 20.0, 481.3, 9.2e6])
def test_simulated_printed_figures_contain_the_estimate(rule, estimate):
    from reportedly.model.intervals import printed_bounds

    lower, upper = printed_bounds(estimate, rule, 2)
    assert 0 <= lower <= estimate <= upper

"""The interval likelihood: probability that a source's estimate falls where its printed words put it.

Source error on the log scale is Student-t with 2 degrees of freedom: heavy-tailed (a source can be far
off without dragging the estimate), with a closed-form CDF F(z) = (1 + z / sqrt(2 + z^2)) / 2, so
P(a < Z < b) = (g(b) - g(a)) / 2 with g(z) = z / sqrt(2 + z^2). When a and b share a sign the difference
is rewritten without cancellation, so the log-probability stays accurate far into the tails.
"""

from __future__ import annotations

import numpy as np

# Stand-in for an infinite bound on the log scale: e^60 is beyond any count this package will see.
LOG_INFINITY = 60.0


def _interval_logp(a, b, xp):
    """log P(a < Z < b) for Z ~ t(2), written for numpy (xp=np) or pytensor (xp=pytensor.tensor)."""
    same_sign = (a >= 0) | (b <= 0)
    negative = b <= 0
    lo = xp.where(negative, -b, a)
    hi = xp.where(negative, -a, b)
    r_lo, r_hi = xp.sqrt(2 + lo**2), xp.sqrt(2 + hi**2)
    denominator = xp.where(same_sign, r_lo * r_hi * (hi * r_lo + lo * r_hi), 1.0)
    stable = 2 * (hi - lo) * (hi + lo) / denominator
    direct = b / xp.sqrt(2 + b**2) - a / xp.sqrt(2 + a**2)
    return xp.log(xp.where(same_sign, stable, direct)) - np.log(2.0)


def interval_logp_numpy(log_lower, log_upper, mu, sigma):
    """Log-probability that log(estimate) ~ mu + sigma * t(2) lies in [log_lower, log_upper]."""
    a = (np.asarray(log_lower) - mu) / sigma
    b = (np.asarray(log_upper) - mu) / sigma
    return _interval_logp(a, b, np)


def interval_logp(value, mu, sigma, log_lower, log_upper, weight):
    """PyMC CustomDist logp, times a 0/1 weight (0 leaves the claim out); `value` only carries the shape."""
    import pytensor.tensor as pt

    a = (log_lower - mu) / sigma
    b = (log_upper - mu) / sigma
    return weight * _interval_logp(a, b, pt) + 0 * value

"""The interval likelihood: probability that a source's estimate falls where its printed words put it.

Source error on the log scale is Student-t with 2 degrees of freedom: heavy-tailed (a source can be far
off without dragging the estimate), with a closed-form CDF F(z) = (1 + g(z)) / 2, g(z) = z / sqrt(2 + z^2),
so P(a < Z < b) = (g(b) - g(a)) / 2. When a and b share a sign the difference is rewritten without
cancellation, so the log-probability stays accurate far into the tails; its derivatives, g'(z) = 2 / (2 + z^2)^1.5
over the same difference, stay accurate with it.

One scalar kernel (numba) serves the model's compiled likelihood (`claim_op`) and every numpy reader of a fit.
"""

from __future__ import annotations

import math

import numba
import numpy as np

LOG_HALF = math.log(0.5)


@numba.njit(cache=True)
def interval_logp_and_slopes(a: float, b: float) -> tuple[float, float, float]:
    """Log P(a < Z < b) for Z ~ t(2), and its derivatives in a and in b."""
    negative = b <= 0
    lo, hi = (-b, -a) if negative else (a, b)
    r_lo, r_hi = math.sqrt(2 + lo * lo), math.sqrt(2 + hi * hi)
    if a >= 0 or negative:   # same sign: (g(hi) - g(lo)) without cancellation
        difference = 2 * (hi - lo) * (hi + lo) / (r_lo * r_hi * (hi * r_lo + lo * r_hi))
    else:
        difference = b / math.sqrt(2 + b * b) - a / math.sqrt(2 + a * a)
    r_a, r_b = math.sqrt(2 + a * a), math.sqrt(2 + b * b)
    return math.log(difference) + LOG_HALF, -2 / (r_a * r_a * r_a) / difference, 2 / (r_b * r_b * r_b) / difference


@numba.njit(cache=True)
def _interval_logps(log_lower, log_upper, mu, sigma):
    out = np.empty(mu.shape[0])
    for i in range(out.shape[0]):
        out[i] = interval_logp_and_slopes((log_lower[i] - mu[i]) / sigma[i], (log_upper[i] - mu[i]) / sigma[i])[0]
    return out


def interval_logp(log_lower, log_upper, mu, sigma) -> np.ndarray:
    """Log-probability that log(estimate) ~ mu + sigma * t(2) lies in [log_lower, log_upper], broadcast."""
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (log_lower, log_upper, mu, sigma)))
    return _interval_logps(*(np.ascontiguousarray(x).ravel() for x in arrays)).reshape(arrays[0].shape)

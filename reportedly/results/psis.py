"""Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry, 2024): the draws of a posterior
reweighted to approximate the posterior without one observation, and the Pareto k that says whether to trust it.

As ArviZ computes it (the tests hold the two equal), in numpy alone, so that writing a fit's estimates does not
import ArviZ and SciPy's statistics.
"""

from __future__ import annotations

import numpy as np

# Above this Pareto k, importance sampling does not approximate the posterior without the observation.
PARETO_K_GOOD = 0.7


def _logsumexp(values: np.ndarray) -> float:
    top = np.max(values)
    return float(top + np.log(np.sum(np.exp(values - top))))


def _pareto_fit(exceedances: np.ndarray) -> tuple[float, float]:
    """Shape k and scale of a generalised Pareto distribution fitted to sorted exceedances (Zhang and Stephens'
    empirical Bayes estimate, with a weak prior on k centred at 0.5)."""
    n = len(exceedances)
    grid = 30 + int(n ** 0.5)
    first_quartile = exceedances[int((n / 4 + 0.5) - 1)]
    if first_quartile <= exceedances[0]:
        return np.nan, np.nan
    b = 1 - np.sqrt(grid / (np.arange(1, grid + 1, dtype=float) - 0.5))
    b = b / (3 * first_quartile) + 1 / exceedances[-1]
    k = np.mean(np.log1p(-b[:, None] * exceedances), axis=1)
    profile = n * (np.log(-b / k) - k - 1)
    weights = np.exp(profile - _logsumexp(profile))
    kept = weights >= 10 * np.finfo(float).eps
    b, weights = b[kept], weights[kept] / weights[kept].sum()
    b_mean = np.sum(b * weights)
    k = np.mean(np.log1p(-b_mean * exceedances))
    sigma = -k / b_mean
    k = (n * k + 10 * 0.5) / (n + 10)
    return (np.inf, np.nan) if np.isnan(k) else (float(k), float(sigma))


def _pareto_quantile(probabilities: np.ndarray, k: float, sigma: float, location: float) -> np.ndarray:
    if sigma <= 0:
        return np.full_like(probabilities, np.nan)
    if k == 0:
        return location - sigma * np.log1p(-probabilities)
    return location + sigma * np.expm1(-k * np.log1p(-probabilities)) / k


def relative_efficiency(log_likelihood: np.ndarray) -> float:
    """ESS / draws of an observation's likelihood over the draws (chain, draw), as PSIS-LOO uses it."""
    from reportedly.fitting.diagnostics import ess_mean  # with SciPy's statistics: not at import

    likelihood = np.exp(log_likelihood - log_likelihood.max())
    return ess_mean(likelihood) / likelihood.size


def psis_log_weights(log_likelihood: np.ndarray, r_eff: float = 1.0) -> tuple[np.ndarray, float]:
    """Normalised log weights over the draws (any shape) of the posterior without the observation whose
    log-likelihood at each draw is `log_likelihood`, and their Pareto k."""
    shape = np.shape(log_likelihood)
    ratios = -np.asarray(log_likelihood, dtype=float).ravel()
    n = ratios.size
    tail = int(np.floor(3 * (n / r_eff) ** 0.5) if n * r_eff > 225 else np.floor(n / 5))
    ratios = ratios - ratios.max()
    order = np.argsort(ratios)
    in_tail = order[n - tail:]
    cutoff, largest = ratios[order[n - tail - 1]], ratios[in_tail].max()
    if abs(largest - ratios[in_tail].min()) < np.finfo(float).tiny:
        raise ValueError("all tail values are the same")
    k, sigma = _pareto_fit(np.exp(ratios[in_tail]) - np.exp(cutoff))
    if np.isfinite(k):
        smoothed = np.log(_pareto_quantile(np.arange(0.5, tail) / tail, k, sigma, np.exp(cutoff)))
        ratios[in_tail] = np.minimum(smoothed, largest)
    return (ratios - _logsumexp(ratios)).reshape(shape), k

"""Convergence diagnostics of draws (chain, draw): rank-normalised split R-hat and bulk effective sample size.

As Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021) define them and ArviZ computes them (the tests hold the
two equal), in numpy alone: the diagnostics gate of every fit runs on them without importing ArviZ and SciPy's
statistics, which would double a warm fit's start-up.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri


def _split(draws: np.ndarray) -> np.ndarray:
    """Each chain cut in halves, as chains of their own (an odd middle draw is left out)."""
    half = draws.shape[1] // 2
    return np.vstack((draws[:, :half], draws[:, -half:]))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given their average rank."""
    flat = values.ravel()
    order = np.argsort(flat, kind="mergesort")
    ranks = np.empty(flat.size)
    ranks[order] = np.arange(1, flat.size + 1)
    _, first, counts = np.unique(flat[order], return_index=True, return_counts=True)
    tied = counts > 1
    for start, count in zip(first[tied], counts[tied]):
        ranks[order[start:start + count]] = start + (count + 1) / 2
    return ranks.reshape(values.shape)


def _z_scale(values: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks (Blom's offset 3/8)."""
    return ndtri((_ranks(values) - 3 / 8) / (values.size - 2 * 3 / 8 + 1))


def _rhat(draws: np.ndarray) -> float:
    n = draws.shape[1]
    between = n * np.var(draws.mean(axis=1), ddof=1)
    within = np.mean(np.var(draws, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat: the larger of the bulk's and the folded tails'."""
    split = _split(np.asarray(draws, dtype=float))
    return max(_rhat(_z_scale(split)), _rhat(_z_scale(np.abs(split - np.median(split)))))


def _autocovariance(draws: np.ndarray) -> np.ndarray:
    n = draws.shape[1]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    centred = draws - draws.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n] / n


def ess(draws: np.ndarray) -> float:
    """Effective sample size of draws (chain, draw) by Geyer's initial monotone sequence of autocorrelations."""
    draws = np.asarray(draws, dtype=float)
    if np.max(draws) - np.min(draws) < np.finfo(float).resolution:
        return float(draws.size)
    chains, n = draws.shape
    autocovariance = _autocovariance(draws)
    mean_variance = np.mean(autocovariance[:, 0]) * n / (n - 1.0)
    variance = mean_variance * (n - 1.0) / n + (np.var(draws.mean(axis=1), ddof=1) if chains > 1 else 0.0)
    rho = np.zeros(n)
    even, odd = 1.0, 1.0 - (mean_variance - np.mean(autocovariance[:, 1])) / variance
    rho[0], rho[1] = even, odd
    t = 1
    while t < n - 3 and even + odd > 0.0:   # Geyer's initial positive sequence
        even = 1.0 - (mean_variance - np.mean(autocovariance[:, t + 1])) / variance
        odd = 1.0 - (mean_variance - np.mean(autocovariance[:, t + 2])) / variance
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    last = t - 2
    if even > 0:
        rho[last + 1] = even
    t = 1
    while t <= last - 2:   # ... made monotone
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * np.sum(rho[:last + 1]) + np.sum(rho[last + 1:last + 2])
    tau = max(tau, 1 / np.log10(draws.size))
    return float(np.nan if np.isnan(rho).any() else draws.size / tau)


def ess_bulk(draws: np.ndarray) -> float:
    """Bulk effective sample size: of the normal scores of the split chains' ranks."""
    return ess(_z_scale(_split(np.asarray(draws, dtype=float))))


def ess_mean(draws: np.ndarray) -> float:
    """Effective sample size for the mean: of the split chains."""
    return ess(_split(np.asarray(draws, dtype=float)))

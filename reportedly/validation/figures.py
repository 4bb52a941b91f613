"""Figures of what `reportedly check` found: rank histograms of calibration, and the headlines as they stood at
each report date."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from reportedly.results import store
from reportedly.results.figures import log_scale
from reportedly.results.render import number
from reportedly.validation.settings import RANK_BINS, RANK_RANGE


def sbc_figure(validation: dict):
    """Rank histograms of simulation-based calibration, one panel per headline."""
    sbc = pd.DataFrame(validation["sbc"])
    names = list(dict.fromkeys(sbc["headline"]))
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        ranks = sbc.loc[sbc["headline"] == name, "rank"]
        ax.hist(ranks, bins=RANK_BINS, range=RANK_RANGE, color="tab:blue", alpha=0.7)
        ax.axhline(len(ranks) / RANK_BINS, color="k", lw=0.8)
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    fig.suptitle(
        f"Simulation-based calibration: rank of the truth ({len(set(sbc['sim']))} simulations; flat is calibrated)"
    )
    fig.tight_layout()
    return fig


def as_of_figure(validation: dict):
    """Each headline as fitted on each report date, on the claims reported by then (median, 50% and 90%)."""
    table = pd.DataFrame(validation["rolling_headlines"])
    table["as_of"] = pd.to_datetime(table["as_of"])
    names = list(dict.fromkeys(table["name"]))
    cols = 3
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows), squeeze=False, sharex=True)
    for ax, name in zip(axes.ravel(), names):
        t = table[table["name"] == name]
        ax.vlines(t["as_of"], t["q05"], t["q95"], color="tab:blue", lw=1, label="90%")
        ax.vlines(t["as_of"], t["q25"], t["q75"], color="tab:blue", lw=4, label="50%")
        ax.plot(t["as_of"], t["median"], "o", color="k", ms=3, label="median")
        log_scale(ax, "y")
        low, high = ax.get_ylim()
        if high / low < 10:  # no power of ten inside: label the minor ticks
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: number(value)))
        ax.set_title(textwrap.fill(t["label"].iloc[0], 60), fontsize=8)
        ax.tick_params(labelsize=7, which="both")
        ax.set_ylabel("log scale", fontsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    for ax in axes[-1]:
        ax.tick_params(axis="x", labelrotation=30)
    counts = ", ".join(f"{d:%d %b %Y}: {n}" for d, n in table.groupby("as_of")["claims"].first().items())
    fig.suptitle(
        f"Headlines as they stood at each report date, fitted on the claims reported by then ({counts} claims)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def validation_figures(folder: Path) -> dict:
    """The figures drawn from folder/validation.json, if `reportedly check` wrote one."""
    data = store.read_validation(folder)
    if data is None:
        return {}
    figures = {"sbc_ranks.png": lambda: sbc_figure(data)}
    if data.get("rolling_headlines"):
        figures["as_of.png"] = lambda: as_of_figure(data)
    return figures

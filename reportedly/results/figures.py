"""Figures from saved estimates. Each function returns a matplotlib Figure; `write_figures` saves them all."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from reportedly.errors import ReportedlyError  # noqa: E402
from reportedly.files import atomic_write  # noqa: E402
from reportedly.inputs.schema import Claim, ClaimKind  # noqa: E402
from reportedly.levels import LEVELS, QUANTILES, WIDEST, bounds, column, label, percent  # noqa: E402
from reportedly.model.intervals import claim_interval, direction  # noqa: E402
from reportedly.results import store  # noqa: E402
from reportedly.results.estimates import Estimates  # noqa: E402
from reportedly.results.psis import PARETO_K_GOOD  # noqa: E402
from reportedly.results.render import number  # noqa: E402
from reportedly.timeaxis import window_totals  # noqa: E402


def log_scale(ax, which: str) -> None:
    """A log scale labelled in plain figures (1,000; 10 M), not powers of ten."""
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(FuncFormatter(lambda value, _: number(value)))
    axis.set_minor_formatter(NullFormatter())


def _colours(origins) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    return {origin: cmap(i % 10) for i, origin in enumerate(sorted(set(origins)))}


# Shades of the credible bands, the widest lightest.
SHADES = ("0.85", "0.65")


def cumulative_figure(est: Estimates, claims: list[Claim]):
    """Cumulative totals over time with 50% and 90% bands, and every claim at its date in its qualifier's style.

    One panel per quantity with a monthly flow that any count claim is about, in the model file's order.

    Cumulative claims sit at their as-of date. A claim about a period is drawn at the period's end as the
    posterior median cumulative at its start plus the printed figure. Hollow markers: claims not used
    (relays, sums). Arrows: 'more than' points up, 'as many as' down.
    """
    claimed = {c.quantity for c in claims if c.kind == ClaimKind.count}
    quantities = [q for q in est.spec.quantities if q in claimed] or est.spec.quantities
    claims = [c for c in claims if c.kind == ClaimKind.count and c.quantity in quantities]
    colours = _colours(c.origin for c in claims)
    months = [np.datetime64(m) for m in est.axis.months] + [np.datetime64(est.axis.stop)]
    columns = 1 if len(quantities) <= 3 else 2
    rows = -(-len(quantities) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(9 * columns, 3.4 * rows), sharex=True, squeeze=False)
    for ax in axes.ravel()[len(quantities):]:
        ax.axis("off")
    for ax, quantity in zip(axes.ravel(), quantities):
        flow = est.posterior["flow"].sel(quantity=quantity).values
        cumulative = np.concatenate([np.zeros(flow.shape[:-1] + (1,)), np.cumsum(flow, axis=-1)], axis=-1)
        flat = cumulative.reshape(-1, cumulative.shape[-1])
        quantile = dict(zip(QUANTILES, np.quantile(flat, QUANTILES, axis=0)))
        for level, shade in zip(LEVELS[::-1], SHADES):   # the widest band first, under the narrower
            low, high = bounds(level)
            ax.fill_between(months, quantile[low], quantile[high], color=shade, label=label(level))
        ax.plot(months, quantile[0.5], color="k", lw=1.2, label="median")
        for c in claims:
            if c.quantity != quantity:
                continue
            start = 0.0
            if c.window.start is not None and c.window.kind == "period":
                try:
                    k0, f0, _, _ = est.axis.window(c.window.start, c.window.end)
                except ValueError:  # an unused claim outside the axis
                    continue
                start = float(np.median(window_totals(flow, 0, 0.0, k0, f0)))
            lower, upper = claim_interval(c, est.spec.qualifiers)
            x = np.datetime64(c.window.end)
            y = start + (c.value if c.value is not None else np.sqrt(c.low * c.high))
            style = dict(color=colours[c.origin], mfc=colours[c.origin] if c.use else "none", ms=7, zorder=3)
            pointing = direction(est.spec.qualifiers[c.qualifier])
            if pointing > 0:
                ax.annotate(
                    "", xy=(x, y * 1.35), xytext=(x, y), arrowprops=dict(arrowstyle="->", color=colours[c.origin])
                )
                ax.plot(x, y, "^", **style)
            elif pointing < 0:
                ax.annotate(
                    "", xy=(x, y / 1.35), xytext=(x, y), arrowprops=dict(arrowstyle="->", color=colours[c.origin])
                )
                ax.plot(x, y, "v", **style)
            else:
                ax.errorbar(x, y, yerr=[[y - (start + lower)], [(start + upper) - y]], fmt="o", capsize=3, **style)
        log_scale(ax, "y")
        ax.set_ylim(bottom=max(np.quantile(flat[:, -1], bounds(WIDEST)[0]) / 30, 1))
        ax.set_ylabel(f"{quantity.replace('_', ' ')}, cumulative (log scale)")
        ax.grid(alpha=0.3)
    first = axes.ravel()[0]
    handles = [plt.Line2D([], [], marker="o", ls="", color=col, label=o) for o, col in colours.items()]
    handles += [
        plt.Line2D([], [], marker=m, ls="", color="0.3", label=text)
        for m, text in (
            ("^", "more than / at least"),
            ("v", "as many as / up to"),
            ("o", "rounded figure, with its interval"),
        )
    ]
    first.legend(handles=handles + first.get_legend_handles_labels()[0], loc="upper left", fontsize=7, ncol=2)
    fig.suptitle(
        f"{est.spec.case.title}: cumulative totals (median, {' and '.join(f'{percent(level)}%' for level in LEVELS)} "
        "intervals) and the claims\n"
        "hollow: not used; a claim about a period is drawn at its end, as the median cumulative at its start "
        "plus the printed figure",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def forest_figure(claims_fit: pd.DataFrame):
    """Each claim's asserted interval against its posterior predictive, relative to the predictive median."""
    table = claims_fit.sort_values(["quantity", "id"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(table) + 1.2))
    y = np.arange(len(table))
    scale = table["pred_median"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table = table.assign(
            **{
                c: table[c] / np.where(scale == 0, np.nan, scale)
                for c in (*(f"pred_{column(q)}" for q in QUANTILES if q != 0.5), "lower", "upper")
            }
        )
    for level, shade, width in zip(LEVELS[::-1], ("0.7", "0.35"), (2, 4)):
        low, high = (f"pred_{column(q)}" for q in bounds(level))
        ax.hlines(y, table[low], table[high], color=shade, lw=width, label=f"predictive {percent(level)}%")
    lower = np.maximum(table["lower"], 1e-3)
    upper = np.minimum(table["upper"], 1e3)
    colours = ["tab:blue" if used else "tab:orange" for used in table["used"]]
    ax.hlines(y + 0.25, lower, upper, colors=colours, lw=1.5)
    ax.scatter(np.clip(lower, 1e-3, 1e3), y + 0.25, c=colours, marker="|", s=40)
    for row in np.flatnonzero(scale == 0):
        ax.text(1.2e-2, row, "the fit predicts none in this window", fontsize=7, va="center", color="tab:red")
    ax.set_yticks(y, [f"{i} ({p})" for i, p in zip(table["id"], table["printed"])], fontsize=7)
    log_scale(ax, "x")
    ax.set_xlim(1e-2, 1e2)
    ax.axvline(1, color="k", lw=0.6)
    ax.set_xlabel("relative to the predictive median (log scale)")
    ax.plot([], [], color="tab:blue", label="asserted interval, used")
    ax.plot([], [], color="tab:orange", label="asserted interval, not used")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("What each source would print, given the fit, against what it printed")
    fig.tight_layout()
    return fig


def sources_figure(est: Estimates):
    """Learned error scale of each source against the prior implied by its rating (90% intervals)."""
    ratings = json.loads(est.attrs["source_ratings"])
    errors = est.spec.errors
    spread = np.hypot(errors.rating_spread, errors.source_spread)
    sources = list(est.posterior["source"].values)
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(sources) + 1.2))
    for i, s in enumerate(sources):
        median = errors.ratings[ratings[s]].median
        ax.plot([median * np.exp(-1.645 * spread), median * np.exp(1.645 * spread)], [i + 0.15] * 2, color="0.6", lw=3)
        draws = est.posterior["sigma"].sel(source=s).values.ravel()
        lo, mid, hi = np.quantile(draws, [bounds(WIDEST)[0], 0.5, bounds(WIDEST)[1]])
        ax.plot([lo, hi], [i - 0.15] * 2, color="tab:blue", lw=3)
        ax.plot(mid, i - 0.15, "o", color="tab:blue")
    ax.set_yticks(range(len(sources)), [f"{s} ({ratings[s]})" for s in sources])
    log_scale(ax, "x")
    ax.set_xlabel("error scale σ on the log scale (0.15 ≈ typically 15% off)")
    ax.plot([], [], color="0.6", lw=3, label="prior from the rating")
    ax.plot([], [], color="tab:blue", lw=3, label="learned")
    ax.legend(fontsize=8)
    ax.set_title("Source reliability: learned against rated")
    fig.tight_layout()
    return fig


def ratio_figure(est: Estimates, claims: list[Claim], ratio: str):
    """The ratio's posterior (realised and capacity) against the conversions the sources stated."""
    by_id = {c.id: c for c in claims}
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for which, colour in (("realised", "tab:blue"), ("capacity", "tab:green")):
        ax.hist(
            est.ratio(ratio, which).ravel(),
            bins=80,
            density=True,
            alpha=0.5,
            color=colour,
            label=f"{which} (posterior)",
        )
    for c in claims:
        if c.kind == ClaimKind.conversion and c.quantity == ratio:
            lower, upper = claim_interval(c, est.spec.qualifiers, by_id[c.basis])
            ax.axvspan(lower, upper, color="tab:red", alpha=0.25 if c.use else 0.1)
            if c.use:
                ax.text(
                    upper,
                    ax.get_ylim()[1] * 0.9,
                    f" {c.id} ({c.figure} / {by_id[c.basis].figure})",
                    fontsize=7,
                    color="tab:red",
                )
    ax.set_xlabel(ratio.replace("_", " "))
    ax.set_yticks([])
    ax.legend(fontsize=8)
    ax.set_title(f"{est.spec.ratios[ratio].description}: posterior against the stated conversions (red)", fontsize=10)
    fig.tight_layout()
    return fig


def drivers_figure(influence: pd.DataFrame, labels: dict[str, str]):
    """For each headline, how far its median moves when each claim is dropped (bars), and the 90% interval then."""
    headlines = list(dict.fromkeys(influence["headline"]))
    claims = list(dict.fromkeys(influence["claim"]))
    columns = 2
    rows = -(-len(headlines) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(12, 0.22 * len(claims) * rows + 1.5 * rows), squeeze=False)
    for ax, headline in zip(axes.ravel(), headlines):
        table = influence[influence["headline"] == headline].set_index("claim").loc[claims]
        y = np.arange(len(claims))
        colours = ["tab:blue" if ok else "tab:orange" for ok in table["reliable"]]
        ax.barh(y, 100 * table["shift"], color=colours)
        ax.hlines(
            y,
            100 * (table["q05_without"] / table["median"] - 1),
            100 * (table["q95_without"] / table["median"] - 1),
            color="0.3",
            lw=0.8,
        )
        ax.axvspan(
            100 * (table["q05"].iloc[0] / table["median"].iloc[0] - 1),
            100 * (table["q95"].iloc[0] / table["median"].iloc[0] - 1),
            color="0.9",
            zorder=0,
        )
        ax.axvline(0, color="k", lw=0.6)
        ax.set_yticks(y, claims, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(labels.get(headline, headline), fontsize=9)
        ax.set_xlabel(
            "change of the median without the claim, % (line: its 90% interval then; grey: 90% with all)", fontsize=7
        )
    for ax in axes.ravel()[len(headlines) :]:
        ax.axis("off")
    fig.suptitle(
        f"Which claim drives which headline (blue: importance sampling; orange: Pareto k > {PARETO_K_GOOD}, "
        "approximate)"
    )
    fig.tight_layout()
    return fig


TITLES = {
    "cumulative.png": "Cumulative totals and the claims (log scale)",
    "claims_forest.png": "Each claim against what its source would print given the fit",
    "sources.png": "Source reliability: learned against rated",
    "drivers.png": "Which claim drives which headline",
}


def figure_title(est: Estimates, file: str) -> str:
    """The title a fit's figure is shown under (a ratio's figure: the ratio's description)."""
    return TITLES.get(file) or est.spec.ratios[file.removesuffix(".png")].description


def estimate_figures(
    est: Estimates, claims: list[Claim], claims_fit: pd.DataFrame, influence: pd.DataFrame | None = None
) -> dict:
    """The figures of a fit, by file name, each a function that draws it."""
    labels = {h.name: h.label for h in est.spec.headlines}
    figures = {
        "cumulative.png": lambda: cumulative_figure(est, claims),
        "claims_forest.png": lambda: forest_figure(claims_fit),
        "sources.png": lambda: sources_figure(est),
        **{f"{ratio}.png": lambda ratio=ratio: ratio_figure(est, claims, ratio) for ratio in est.spec.ratios},
    }
    if influence is not None:
        figures["drivers.png"] = lambda: drivers_figure(influence, labels)
    return figures


def save_figures(folder: Path, figures: dict) -> list[Path]:
    """Draw each figure into folder/figures/<name>, each file replaced atomically. The figures no longer
    match what `estimate` drew, so its record of that is removed (see `store.FIGURES_KEY`)."""
    out = folder / store.FIGURES
    try:
        out.mkdir(exist_ok=True)
        (out / store.FIGURES_KEY).unlink(missing_ok=True)
    except OSError as exc:
        raise ReportedlyError(f"cannot write figures to {out}: {exc.strerror or exc}") from None
    written = []
    for name, draw in figures.items():
        fig = draw()
        try:
            atomic_write(out / name, lambda path, fig=fig: fig.savefig(path, dpi=110, format="png"))
        finally:
            plt.close(fig)
        written.append(out / name)
    return written

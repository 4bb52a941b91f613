"""Render tables as Markdown or plain text. The only place that formats numbers for people."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from reportedly.levels import LEVELS, WIDEST, bounds, column, label, percent
from reportedly.results import store
from reportedly.results.psis import PARETO_K_GOOD

if TYPE_CHECKING:  # `summary` renders without importing either
    import pandas as pd

    from reportedly.results.estimates import Estimates

WIDE = f"{percent(WIDEST)}%"   # the widest interval, as a column head writes it: '90%'


def number(x: float) -> str:
    """A figure as a reader wants it: 3 significant figures, thousands separated, nothing below a thousandth (the
    tail of a flow past its end is none of it)."""
    if x == float("inf"):
        return "∞"
    if x is None or x != x:  # missing, or NaN
        return str(x)
    if abs(x) < 1e-3:
        return "0"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g} M"
    if abs(x) >= 100:
        return f"{float(f'{x:.3g}'):,.0f}"
    return f"{x:.3g}"


def interval_text(low, high) -> str:
    """An interval as a reader wants it: '12,300 – 21,700' (days as they are: '2024-09-21 – 2024-11-10')."""
    return f"{number(low)} – {number(high)}" if not isinstance(low, str) else f"{low} – {high}"


def intervals(row, prefix: str = "", levels=LEVELS) -> list[str]:
    """A table row's credible intervals as text, one per level (narrowest first), from its `prefix`q05 ... columns."""
    values = row._asdict() if hasattr(row, "_asdict") else row
    return [interval_text(*(values[prefix + column(q)] for q in bounds(level))) for level in levels]


def headline_lines(rows: list[dict]) -> list[str]:
    """The headline table (one dict a row) as plain text: median and each interval."""
    width = max(len(row["label"]) for row in rows)
    lines = [f"{'':{width}}  {'median':>9}" + "".join(f"  {label(level):>21}" for level in LEVELS)]
    for row in rows:
        lines.append(
            f"{row['label']:{width}}  {number(row['median']):>9}" + "".join(f"  {text:>21}" for text in intervals(row))
        )
    return lines


def source_lines(rows: list[dict]) -> list[str]:
    """Each source's learned error scale against its rating's prior (one dict a row), as plain text."""
    lines = [f"{'source':20} {'rating':>6} {'claims':>6} {'prior σ':>8} {'learned σ (90%)':>22}"]
    for row in rows:
        lines.append(
            f"{row['source']:20} {row['rating']:>6} {row['claims_used']:>6} {row['prior_median']:>8.2f} "
            f"{row['sigma_median']:>8.2f} ({row['sigma_q05']:.2f}–{row['sigma_q95']:.2f})"
        )
    return lines


def onset_lines(rows: list[dict]) -> list[str]:
    """When each flow began (one dict a row of the onset table), as plain text: the median day and each interval, and
    the model file's prior: its median and widest interval."""
    if not rows:
        return []
    width = max(len(row["flow"]) for row in rows)
    lines = ["When each flow began (its onset)",
             f"{'':{width}}  {'median':>10}" + "".join(f"  {label(level):>23}" for level in LEVELS)
             + f"  prior: median, {WIDE}"]
    for row in rows:
        prior = intervals(row, "prior_", [WIDEST])[0]
        lines.append(f"{row['flow']:{width}}  {row['median']:>10}" + "".join(f"  {text:>23}" for text in intervals(row))
                     + f"  {row['prior_median']}, {prior}")
    return lines


def provenance_lines(attrs: dict) -> list[str]:
    """Where the estimates come from (a fit's record) and whether they passed the diagnostics gate."""
    diagnostics = json.loads(attrs["diagnostics"])
    status = "converged" if diagnostics["passed"] else "NOT CONVERGED: " + "; ".join(diagnostics["failures"])
    return [
        f"case {attrs['case']}, seed {attrs['random_seed']}, claims {attrs['claims_hash']}, "
        f"model {attrs['spec_hash']}, fitted {attrs['created']}",
        f"diagnostics: {status}",
    ]


def render_summary_text(title: str, attrs: dict, headlines: list[dict], sources: list[dict],
                        warnings: list[str], onsets: list[dict] = ()) -> str:
    """What `reportedly summary` prints: warnings, headlines, when each flow began, sources and provenance."""
    parts = [*(f"WARNING: {w}" for w in warnings)]
    parts += [
        title,
        "",
        *headline_lines(headlines),
        "",
        *onset_lines(list(onsets)),
        *([""] if onsets else []),
        "Source error scale σ (log scale; 0.15 ≈ typically 15% off)",
        *source_lines(sources),
        "",
        *provenance_lines(attrs),
    ]
    return "\n".join(parts)


def driver_lines(rows: pd.DataFrame) -> list[str]:
    """What a headline becomes without each claim, one line per row of an influence table."""
    return [
        f"  without {row.claim}: median {number(row.median_without)} ({row.shift:+.0%}), "
        f"{WIDE} {interval_text(row.q05_without, row.q95_without)}; Pareto k {row.pareto_k:.2f}, {row.method}"
        + ("" if row.reliable else f" (k above {PARETO_K_GOOD}: approximate)")
        for row in rows.itertuples()
    ]


def render_summary_markdown(
    est: Estimates, headlines: pd.DataFrame, sources: pd.DataFrame, claims: pd.DataFrame, influence: pd.DataFrame,
    onsets: pd.DataFrame,
) -> str:
    """summary.md: the headline table, when each flow began, sources, and how each claim sits with the fit."""
    from reportedly.results.influence import top_drivers  # with the likelihood: not for `summary`'s start-up

    levels = " and ".join(f"{percent(level)}%" for level in LEVELS)
    out = [
        f"# {est.spec.case.title}: estimates",
        "",
        *(f"_{line}_  " for line in provenance_lines(est.attrs)),
        "",
        f"Medians with {levels} equal-tailed credible intervals. Reproduce: `reportedly estimate "
        f"{est.attrs['case']}` then `reportedly summary {est.attrs['case']}`.",
        "",
        "| figure | window | median | " + " | ".join(label(level) for level in LEVELS) + " |",
        "|---|---|---:|" + "---:|" * len(LEVELS),
    ]
    for row in headlines.itertuples():
        out.append(f"| {row.label} | {row.window} | {number(row.median)} | " + " | ".join(intervals(row)) + " |")
    if len(onsets):
        out += ["", "## When each flow began", "",
                f"The onset, as days, against the model file's prior (its median and {label(WIDEST)}).", "",
                "| flow | median | " + " | ".join(label(level) for level in LEVELS)
                + f" | prior median | prior {WIDE} |",
                "|---|---|" + "---|" * len(LEVELS) + "---|---|"]
        for row in onsets.to_dict("records"):
            prior = intervals(row, "prior_", [WIDEST])[0]
            out.append(f"| {row['flow']} | {row['median']} | " + " | ".join(intervals(row)) +
                       f" | {row['prior_median']} | {prior} |")
    out += [
        "",
        "## Sources",
        "",
        f"Error scale σ on the log scale: learned (median, {WIDE}) against the prior for the rating.",
        "",
        f"| source | rating | claims used | prior σ | learned σ | {WIDE} | bias (median) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in sources.itertuples():
        out.append(
            f"| {row.source} | {row.rating} | {row.claims_used} | {row.prior_median:.2f} | {row.sigma_median:.2f} | "
            f"{row.sigma_q05:.2f} – {row.sigma_q95:.2f} | {row.bias_median:+.3f} |"
        )
    out += [
        "",
        "## Claims against the fit",
        "",
        f"What each source would print given the fitted truth (posterior predictive, {label(WIDEST)}), the interval "
        "its wording asserts, the predictive probability of that interval, and the two-sided tail probability of the "
        "printed "
        "figure (small = surprising), most surprising first. Unused relays are shown for comparison.",
        "",
        f"| claim | used | printed | asserted interval | predictive {WIDE} | P(asserted) | tail p |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for row in claims.sort_values("p_tail").itertuples():
        out.append(
            f"| {row.id} | {'yes' if row.used else 'no'} | {row.printed} | {interval_text(row.lower, row.upper)} | "
            f"{intervals(row, 'pred_', [WIDEST])[0]} | {row.p_interval:.2f} | {row.p_tail:.2f} |"
        )
    labels = dict(zip(headlines["name"], headlines["label"]))
    out += [
        "",
        "## What drives each headline",
        "",
        f"Each headline's median and {label(WIDEST)} without the claim, for the three claims that move its median most "
        f"(Pareto-smoothed importance sampling on this fit; rows with Pareto k above {PARETO_K_GOOD} are approximate, "
        "and "
        f"`reportedly explain {est.attrs['case']}` refits them). Every claim and headline: `{store.INFLUENCE}`.",
        "",
        f"| headline | without claim | median | {label(WIDEST)} | k |",
        "|---|---|---:|---:|---:|",
    ]
    for row in top_drivers(influence).itertuples():
        out.append(
            f"| {labels[row.headline]} | {row.claim} | {number(row.median_without)} ({row.shift:+.0%}) | "
            f"{interval_text(row.q05_without, row.q95_without)} | {row.pareto_k:.2f}{'' if row.reliable else ' ⚠'} |"
        )
    return "\n".join(out) + "\n"

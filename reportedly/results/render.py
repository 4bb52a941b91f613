"""Render tables as Markdown or plain text. The only place that formats numbers for people."""

from __future__ import annotations

import json

import pandas as pd

from reportedly.results.estimates import Estimates


def number(x: float) -> str:
    """A figure as a reader wants it: 3 significant figures, thousands separated, nothing below a thousandth (the
    tail of a flow past its end is none of it)."""
    if x == float("inf"):
        return "∞"
    if not pd.notna(x):
        return str(x)
    if abs(x) < 1e-3:
        return "0"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g} M"
    if abs(x) >= 100:
        return f"{float(f'{x:.3g}'):,.0f}"
    return f"{x:.3g}"


def headline_lines(table: pd.DataFrame) -> list[str]:
    width = max(len(label) for label in table["label"])
    lines = [f"{'':{width}}  {'median':>9}  {'50% interval':>21}  {'90% interval':>21}"]
    for row in table.itertuples():
        lines.append(f"{row.label:{width}}  {number(row.median):>9}  "
                     f"{number(row.q25) + ' – ' + number(row.q75):>21}  {number(row.q05) + ' – ' + number(row.q95):>21}")
    return lines


def source_lines(table: pd.DataFrame) -> list[str]:
    lines = [f"{'source':20} {'rating':>6} {'claims':>6} {'prior σ':>8} {'learned σ (90%)':>22}"]
    for row in table.itertuples():
        lines.append(f"{row.source:20} {row.rating:>6} {row.claims_used:>6} {row.prior_median:>8.2f} "
                     f"{row.sigma_median:>8.2f} ({row.sigma_q05:.2f}–{row.sigma_q95:.2f})")
    return lines


def provenance_lines(est: Estimates) -> list[str]:
    diagnostics = json.loads(est.attrs["diagnostics"])
    status = "converged" if diagnostics["passed"] else "NOT CONVERGED: " + "; ".join(diagnostics["failures"])
    return [
        f"case {est.attrs['case']}, seed {est.attrs['random_seed']}, claims {est.attrs['claims_hash']}, "
        f"model {est.attrs['spec_hash']}, fitted {est.attrs['created']}",
        f"diagnostics: {status}",
    ]


def render_summary_text(est: Estimates, headlines: pd.DataFrame, sources: pd.DataFrame, warnings: list[str]) -> str:
    parts = [*(f"WARNING: {w}" for w in warnings)]
    parts += [est.spec.case.title, "", *headline_lines(headlines), "",
              "Source error scale σ (log scale; 0.15 ≈ typically 15% off)", *source_lines(sources), "",
              *provenance_lines(est)]
    return "\n".join(parts)


def driver_lines(rows: pd.DataFrame) -> list[str]:
    """What a headline becomes without each claim, one line per row of an influence table."""
    return [f"  without {row.claim}: median {number(row.median_without)} ({row.shift:+.0%}), "
            f"90% {number(row.q05_without)} – {number(row.q95_without)}; Pareto k {row.pareto_k:.2f}, {row.method}"
            + ("" if row.reliable else " (k above 0.7: approximate)") for row in rows.itertuples()]


def render_summary_markdown(est: Estimates, headlines: pd.DataFrame, sources: pd.DataFrame, claims: pd.DataFrame,
                            influence: pd.DataFrame) -> str:
    """summary.md: the headline table, sources, and how each claim sits with the fit."""
    out = [f"# {est.spec.case.title}: estimates", "", *(f"_{line}_  " for line in provenance_lines(est)), "",
           "Medians with 50% and 90% equal-tailed credible intervals. Reproduce: `reportedly estimate "
           f"{est.attrs['case']}` then `reportedly summary {est.attrs['case']}`.", "",
           "| figure | window | median | 50% interval | 90% interval |", "|---|---|---:|---:|---:|"]
    for row in headlines.itertuples():
        out.append(f"| {row.label} | {row.window} | {number(row.median)} | {number(row.q25)} – {number(row.q75)} | "
                   f"{number(row.q05)} – {number(row.q95)} |")
    out += ["", "## Sources", "", "Error scale σ on the log scale: learned (median, 90%) against the prior for the rating.", "",
            "| source | rating | claims used | prior σ | learned σ | 90% | bias (median) |", "|---|---|---:|---:|---:|---:|---:|"]
    for row in sources.itertuples():
        out.append(f"| {row.source} | {row.rating} | {row.claims_used} | {row.prior_median:.2f} | {row.sigma_median:.2f} | "
                   f"{row.sigma_q05:.2f} – {row.sigma_q95:.2f} | {row.bias_median:+.3f} |")
    out += ["", "## Claims against the fit", "",
            "What each source would print given the fitted truth (posterior predictive, 90% interval), the interval its "
            "wording asserts, the predictive probability of that interval, and the two-sided tail probability of the printed "
            "figure (small = surprising), most surprising first. Unused relays are shown for comparison.", "",
            "| claim | used | printed | asserted interval | predictive 90% | P(asserted) | tail p |",
            "|---|---|---|---|---|---:|---:|"]
    for row in claims.sort_values("p_tail").itertuples():
        out.append(f"| {row.id} | {'yes' if row.used else 'no'} | {row.printed} | {number(row.lower)} – {number(row.upper)} | "
                   f"{number(row.pred_q05)} – {number(row.pred_q95)} | {row.p_interval:.2f} | {row.p_tail:.2f} |")
    from reportedly.results.influence import top_drivers

    labels = dict(zip(headlines["name"], headlines["label"]))
    out += ["", "## What drives each headline", "",
            "Each headline's median and 90% interval without the claim, for the three claims that move its median most "
            "(Pareto-smoothed importance sampling on this fit; rows with Pareto k above 0.7 are approximate, and "
            f"`reportedly explain {est.attrs['case']}` refits them). Every claim and headline: `influence.csv`.", "",
            "| headline | without claim | median | 90% interval | k |", "|---|---|---:|---:|---:|"]
    for row in top_drivers(influence).itertuples():
        out.append(f"| {labels[row.headline]} | {row.claim} | {number(row.median_without)} ({row.shift:+.0%}) | "
                   f"{number(row.q05_without)} – {number(row.q95_without)} | {row.pareto_k:.2f}{'' if row.reliable else ' ⚠'} |")
    return "\n".join(out) + "\n"

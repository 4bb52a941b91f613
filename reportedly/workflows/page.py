"""One self-contained HTML page of a case's estimates, to share: no scripts, no files beside it.

The page holds the headline table, when each flow began, the figures (embedded PNG), every claim with its quote,
source and fit, the sources' learned reliability against their rating, what drives each headline, the validation
summary, and a banner when the estimates are stale, not converged, or validated on other claims.
"""

from __future__ import annotations

import base64
import io
from html import escape

import pandas as pd

from reportedly.inputs.case import Case
from reportedly.levels import LEVELS, WIDEST, label, percent
from reportedly.results import store
from reportedly.results.estimates import RECORDED_LIBRARIES, Estimates
from reportedly.results.influence import influence_table, top_drivers
from reportedly.results.psis import PARETO_K_GOOD
from reportedly.results.render import interval_text, intervals, number, provenance_lines
from reportedly.results.tables import claim_fit_table, headline_table, onset_table, source_table

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
.banner { background: #fde8e8; border: 1px solid #e0a0a0; padding: 0.6rem 1rem; margin: 0.5rem 0; }
.quote { font-style: italic; color: #444; max-width: 32rem; }
.muted { color: #777; font-size: 0.85rem; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5rem 0; }
"""


def render_page(case: Case, est: Estimates, warnings: list[str], tables: dict[str, pd.DataFrame],
                figures: dict[str, bytes], validation: dict | None) -> str:
    """The page as text. `tables`: headlines, onsets, sources, claims (fit), drivers; `figures`: PNG bytes by
    title."""
    title = escape(est.spec.case.title)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}: estimates</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{title}</h1>"]
    parts += [f"<div class='banner' role='alert'>{escape(w)}</div>" for w in warnings]
    parts += [f"<p class='muted'>{escape(line)}</p>" for line in _provenance(est)]
    parts += ["<h2>Estimates</h2>",
              "<p>Medians with 50% and 90% equal-tailed credible intervals: a 90% interval holds the truth with "
              "probability 0.9, given the claims and the model.</p>", _headline_table(tables["headlines"])]
    if len(tables["onsets"]):
        parts += ["<h2>When each flow began</h2>", "<p>The onset, as days, against the model file's prior.</p>",
                  _onset_table(tables["onsets"])]
    for name, png in figures.items():
        parts.append(f"<figure><img alt='{escape(name)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
                     f"<figcaption class='muted'>{escape(name)}</figcaption></figure>")
    parts += ["<h2>What drives each headline</h2>",
              "<p>Each headline without the claim (Pareto-smoothed importance sampling on this fit; k above "
              f"{PARETO_K_GOOD} marks an approximation, which <code>reportedly explain</code> refits).</p>",
              _drivers_table(tables["drivers"], tables["headlines"])]
    parts += ["<h2>Sources</h2>", "<p>Error scale σ on the log scale (0.15 ≈ typically 15% off): what the data taught "
              "against the prior from the Admiralty letter.</p>", _sources_table(case, tables["sources"])]
    parts += ["<h2>Claims</h2>", "<p>Every printed figure, with what its source would print given the fit (predictive "
              "90% interval) and how surprising the printed figure is (two-sided tail probability).</p>",
              _claims_table(case, tables["claims"])]
    parts += ["<h2>Validation</h2>", _validation(validation)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _provenance(est: Estimates) -> list[str]:
    versions = ", ".join(f"{lib} {est.attrs[f'{lib}_version']}" for lib in ("reportedly", *RECORDED_LIBRARIES)
                         if f"{lib}_version" in est.attrs)
    return [*provenance_lines(est.attrs), versions]


def _row(cells: list[str], numeric: set[int] = frozenset()) -> str:
    return "<tr>" + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                            for i, c in enumerate(cells)) + "</tr>"


def _table(header: list[str], rows: list[str]) -> str:
    return "<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>" + \
        "".join(rows) + "</tbody></table>"


def _headline_table(headlines: pd.DataFrame) -> str:
    rows = [_row([escape(r.label), escape(r.window), number(r.median), *intervals(r)], {2, 3, 4})
            for r in headlines.itertuples()]
    return _table(["figure", "window", "median", *(label(level) for level in LEVELS)], rows)


def _onset_table(onsets: pd.DataFrame) -> str:
    rows = [_row([escape(r["description"]), r["median"], *intervals(r), r["prior_median"],
                  intervals(r, "prior_", [WIDEST])[0]])
            for r in onsets.to_dict("records")]
    return _table(["flow", "median", *(label(level) for level in LEVELS), "prior median",
                   f"prior {percent(WIDEST)}%"], rows)


def _drivers_table(drivers: pd.DataFrame, headlines: pd.DataFrame) -> str:
    labels = dict(zip(headlines["name"], headlines["label"]))
    rows = [_row([escape(labels[r.headline]), escape(r.claim), f"{number(r.median_without)} ({r.shift:+.0%})",
                  interval_text(r.q05_without, r.q95_without), f"{r.pareto_k:.2f}"], {2, 3, 4})
            for r in drivers.itertuples()]
    return _table(["headline", "without claim", "median", "90% interval", "Pareto k"], rows)


def _sources_table(case: Case, sources: pd.DataFrame) -> str:
    registry = case.evidence.sources
    rows = [_row([escape(registry[r.source].name), escape(registry[r.source].type.value), r.rating, str(r.claims_used),
                  f"{r.prior_median:.2f}", f"{r.sigma_median:.2f} ({r.sigma_q05:.2f}–{r.sigma_q95:.2f})"], {3, 4, 5})
            for r in sources.itertuples()]
    return _table(["source", "type", "rating", "claims used", "prior σ", "learned σ (90%)"], rows)


def _claims_table(case: Case, fit: pd.DataFrame) -> str:
    by_id = fit.set_index("id")
    rows = []
    for c in case.evidence.claims:
        window = f"{c.window.kind} {c.window.start or 'onset'} to {c.window.end}"
        source = escape(case.evidence.sources[c.origin].name) + (
            f"<br><span class='muted'>via {escape(', '.join(c.relay))}</span>" if c.relay else "")
        used = "used" if c.use else f"not used: {escape(c.reason or '')}"
        predicted, tail = "", ""
        if c.id in by_id.index:
            r = by_id.loc[c.id]
            predicted, tail = interval_text(r['pred_q05'], r['pred_q95']), f"{r['p_tail']:.2f}"
        rows.append(_row([escape(c.id), f"<span class='quote'>“{escape(c.quote)}”</span>", escape(c.figure),
                          escape(c.quantity), escape(window), source, used, predicted, tail], {7, 8}))
    return _table(
        ["claim", "quote", "printed", "quantity", "window", "source", "use", "predictive 90%", "tail p"], rows
    )


def _validation(validation: dict | None) -> str:
    if validation is None:
        return "<p>Not validated yet: run <code>reportedly check</code>.</p>"
    loo = validation["loo"]
    coverage = validation["coverage"]
    sims = validation["settings"]["sims"]
    lines = [
        f"<p>Leave one assessment out: {sum(r['inside_50'] for r in loo)} of {len(loo)} printed figures in the 50% "
        f"and {sum(r['inside_90'] for r in loo)} of {len(loo)} in the 90% predictive interval. Simulation-based "
        f"calibration ({sims} simulations): "
        + (
            "every coverage inside its binomial band."
            if validation["calibrated"]
            else "SOME COVERAGE OUTSIDE ITS BAND."
        )
        + "</p>"
    ]
    rows = [
        _row(
            [
                escape(r["headline"]),
                f"{r['coverage_50']:.2f}",
                f"{r['coverage_90']:.2f}",
                f"{r['band_90_low']:.2f} – {r['band_90_high']:.2f}",
            ],
            {1, 2, 3},
        )
        for r in coverage
    ]
    return "\n".join(lines) + _table(["headline", "50% coverage", "90% coverage", "90% band"], rows)


def figure_pngs(
    case: Case, est: Estimates, claims_fit: pd.DataFrame, influence: pd.DataFrame | None
) -> dict[str, bytes]:
    """The figures of `reportedly plot`, as PNG bytes, titled for the page."""
    import matplotlib.pyplot as plt

    from reportedly.results.figures import estimate_figures, figure_title

    out = {}
    for file, make in estimate_figures(est, list(case.evidence.claims), claims_fit, influence).items():
        fig = make()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        out[figure_title(est, file)] = buffer.getvalue()
    return out


def page_of(case: Case, est: Estimates, warnings: list[str]) -> str:
    """The page of a case's saved estimates, with its figures drawn anew and the validation beside them."""
    claims_fit = claim_fit_table(est, case.evidence.claims, int(est.attrs["random_seed"]))
    influence = influence_table(est) if "log_likelihood" in est.posterior else None
    tables = {
        "headlines": headline_table(est),
        "onsets": onset_table(est),
        "sources": source_table(est),
        "claims": claims_fit,
        "drivers": top_drivers(influence) if influence is not None else pd.DataFrame(),
    }
    return render_page(
        case,
        est,
        warnings,
        tables,
        figure_pngs(case, est, claims_fit, influence),
        store.read_validation(store.folder(case)),
    )

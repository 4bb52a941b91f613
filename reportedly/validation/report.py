"""The validation report: what `reportedly check` ran with and found, and validation.md rendered from it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reportedly.inputs.case import Case
from reportedly.levels import LEVELS, percent
from reportedly.model.timing import STARTED
from reportedly.results.render import interval_text, number
from reportedly.validation.rolling import RollingOrigin
from reportedly.validation.settings import RANK_BINS, CheckSettings
from reportedly.validation.stress import KINDS, SHORT_KINDS


@dataclass(frozen=True)
class CheckResults:
    """Everything `reportedly check` found, table by table."""

    settings: CheckSettings
    sbc: pd.DataFrame
    coverage: pd.DataFrame
    loo: pd.DataFrame
    sensitivity: pd.DataFrame
    power_scaling: pd.DataFrame
    prior: pd.DataFrame
    rolling: RollingOrigin
    stress: pd.DataFrame            # coverage under misspecification, per shape and kind of item

    @property
    def calibrated(self) -> bool:
        """Whether every coverage of simulation-based calibration lies inside its band."""
        return bool(self.coverage[[f"ok_{percent(level)}" for level in LEVELS]].all().all())


def too_few_simulations(coverage: pd.DataFrame) -> bool:
    """Whether the 90% coverage band is so wide (wider than 0.80 to 1.00) that only gross miscalibration shows."""
    return bool((coverage["band_90_low"] < 0.8).any())


STRESS_GOAL = 0.85


def stress_lines(stress: pd.DataFrame, sims: int) -> list[str]:
    """Coverage of the 90% intervals when the truth is not drawn from the prior."""
    out = [
        "",
        "## Calibration under misspecification",
        "",
        f"{sims} simulation(s) per shape: a prior draw whose counted flows are redrawn in a shape the prior does not "
        "draw (burst: three quarters in the month after the flow starts; step up: four times the flow after a random "
        "month; stop: nothing after a random month; ramp: rising tenfold; pause: three months of nothing; an onset "
        "three of its prior's spreads (`sd_days`), and at least two months, earlier or later; a flow without an onset "
        "starts three months late or is unchanged; first weeks: 60-90% of the total in the 7-28 days after the flow "
        "starts; two waves: 35-45% each in two pulses of 7-21 days, 3-6 months apart, these two the shapes of "
        "deployments, given to each flow the model file says begins with a wave while the others keep their draw's), "
        "keeping the draw's total and month-to-month noise; every month spread over its days as the flow's timing "
        "says; claims simulated with the shipped claims' structure; a refit. Cells: coverage of the 90% intervals "
        "(± standard error over simulations) and, in brackets, their median width relative to their median, "
        "(q95 − q05) / q50 (a month's interval can reach zero). Months are every month a quantity flows in "
        "truth or in the fit (half a unit or more, at the fit's 95th percentile); months inside a claimed window are "
        "whole months "
        "inside a claim's window of several months, which no claim pins down alone; first days are the 7, 14 and 28 "
        f"days from the day each flow starts ({STARTED:.0%} of its total in), asked of the fit as the first days of "
        "its own flow in each draw, wherever the draw puts them (`query --first-days`); first days, by date, the same "
        "windows asked as the truth's dates (`query --from --to`), which only claims that date the start could pin "
        "down; total by a day of the first weeks, the total from the axis start to each of those windows' last days "
        "(`query --to`), as a report of how many had come by then asks; days to weeks are windows of 7 and 14 days "
        "from a random day while the flow runs, asked by date. "
        f"Goal: {STRESS_GOAL:.0%} or more.",
        "",
        "| shape | " + " | ".join(KINDS) + " | divergent refits |",
        "|---|" + "---:|" * (len(KINDS) + 1),
    ]
    for shape, group in stress.groupby("shape", sort=False):
        cells = []
        for kind in KINDS:
            row = group[group["kind"] == kind]
            if row.empty:
                cells.append("–")
                continue
            r = row.iloc[0]
            se = "" if pd.isna(r["se"]) else f" ± {r['se']:.2f}"
            flag = "" if r["coverage_90"] >= STRESS_GOAL else " ✗"
            cells.append(f"{r['coverage_90']:.2f}{se} [{r['median_width']:.1f}]{flag}")
        out.append(f"| {shape} | " + " | ".join(cells) + f" | {int(group['divergent_refits'].max())} |")
    short = stress[stress["kind"].isin(SHORT_KINDS)]
    if short.empty:
        return out
    out += [
        "",
        "Point answers for windows of days to weeks: the median absolute log error, |log((answer + 1) / (truth + 1))|, "
        "of the posterior median, which draws each month's days as the flow's timing says, and of a constant-rate "
        "reading of the same fit (the posterior median with each month spread evenly over its days). Where a month's "
        "flow falls in lumps, the median of a week's share of it is below a quarter of the month (its mean): the "
        "median answer moves down from the constant-rate reading, and the interval widens to cover a week that "
        "carried most of its month.",
        "",
        "| shape | " + " | ".join(f"{kind}: median | constant rate" for kind in SHORT_KINDS) + " |",
        "|---|" + "---:|---:|" * len(SHORT_KINDS),
    ]
    for shape, group in short.groupby("shape", sort=False):
        cells = [" | ".join(f"{r['median_log_error']:.2f} | {r['even_log_error']:.2f}"
                            for _, r in group[group["kind"] == kind].iterrows()) or "– | –" for kind in SHORT_KINDS]
        out.append(f"| {shape} | " + " | ".join(cells) + " |")
    return out


def rolling_lines(rolling: RollingOrigin) -> list[str]:
    """What was known when: each report date's claims predicted from the fit on what was known before."""
    p, h = rolling.predictions, rolling.headlines
    out = [
        "",
        "## What was known when: rolling origin",
        "",
        "At each report date of the case, the model was fitted on the claims reported by then and predicted what "
        "the sources would print at the next report date: whether each printed figure's asserted interval meets "
        "the 50% and 90% predictive intervals, and the log error of the predictive median (log(predicted / "
        "printed); 0.69 is a factor of two). `figures/as_of.png` shows the headlines as they stood on each date.",
    ]
    if p.empty:
        return out + ["", "The case has a single report date: nothing to predict."]
    out += [
        "",
        f"**{int(p['inside_50'].sum())} of {len(p)}** in the 50% and **{int(p['inside_90'].sum())} of {len(p)}** "
        f"in the 90% predictive interval; median absolute log error {p['log_error'].abs().median():.2f}.",
        "",
        "| known by | reported | claim | printed | predictive 50% | predictive 90% | in 50% | in 90% | log error |",
        "|---|---|---|---|---|---|---|---|---:|",
    ]
    for _, r in p.iterrows():
        out.append(
            f"| {r['known_by']} | {r['reported']} | {r['id']} | {r['printed']} | "
            f"{interval_text(r['pred_q25'], r['pred_q75'])} | "
            f"{interval_text(r['pred_q05'], r['pred_q95'])} | {'yes' if r['inside_50'] else 'no'} | "
            f"{'yes' if r['inside_90'] else 'no'} | {r['log_error']:+.2f} |"
        )
    days = list(dict.fromkeys(h["as_of"]))
    out += [
        "",
        "Headline medians (90% interval) as they stood on each report date:",
        "",
        "| headline | " + " | ".join(f"{d} ({h.loc[h['as_of'] == d, 'claims'].iloc[0]} used)" for d in days) + " |",
        "|---|" + "---:|" * len(days),
    ]
    for _, group in h.groupby("name", sort=False):
        cells = [f"{number(r['median'])} ({interval_text(r['q05'], r['q95'])})" for _, r in group.iterrows()]
        out.append(f"| {group['label'].iloc[0]} | " + " | ".join(cells) + " |")
    return out


def render_validation(case: Case, results: CheckResults, stamp: dict) -> str:
    """validation.md: every table of the check, with what it means."""
    s = results.settings
    command = s.command(case.name)
    loo = results.loo
    n = len(loo)
    out = [
        f"# {case.spec.case.title}: validation",
        "",
        f"_claims {stamp['claims_hash']}, model {stamp['spec_hash']}, run {stamp['created']}. "
        f"Every table below is reproduced by `{command}`; refits use {s.chains} chains × {s.draws} draws "
        f"after {s.tune} tuning steps (nutpie), one compiled model._",
        "",
        "## Out of sample: leave one assessment out",
        "",
        f"Each used claim (one per assessment) was left out in turn, the model refitted on the rest, and the "
        f"claim's printed figure predicted from its source's learned error. **{int(loo['inside_50'].sum())} of {n}** "
        f"asserted intervals meet the 50% predictive interval and **{int(loo['inside_90'].sum())} of {n}** the 90% "
        "one. "
        "Most surprising first (tail p: two-sided tail probability of the printed figure).",
        "",
        "| claim | printed | predictive 50% | predictive 90% | in 50% | in 90% | tail p |",
        "|---|---|---|---|---|---|---:|",
    ]
    for _, r in loo.iterrows():
        out.append(
            f"| {r['id']} | {r['printed']} | {interval_text(r['pred_q25'], r['pred_q75'])} | "
            f"{interval_text(r['pred_q05'], r['pred_q95'])} | {'yes' if r['inside_50'] else 'no'} | "
            f"{'yes' if r['inside_90'] else 'no'} | {r['p_tail']:.2f} |"
        )
    cov = results.coverage
    divergent = int((results.sbc.groupby("sim")["divergences"].first() > 0).sum())
    out += [
        "",
        "## Simulation-based calibration",
        "",
        f"{s.sims} simulations: a truth drawn from the model's prior, claims simulated with the shipped claims' "
        "windows, sources, wording and precision, a refit, and the truth's place in the posterior. Coverage should "
        "match the nominal level within the binomial band (family-wise 95% over all checks); rank-uniformity "
        f"p-values are chi-square tests over {RANK_BINS} bins of the ranks (ties, a truth of nothing among draws of "
        f"nothing, broken at random). {divergent} of {s.sims} refits had divergences. "
        f"**{'All coverages are inside their bands.' if results.calibrated else 'Some coverage is OUTSIDE its band.'}**"
        + (
            f" With {s.sims} simulations the bands are wide (90% band {cov['band_90_low'].min():.2f}–"
            f"{cov['band_90_high'].max():.2f}): this can catch only gross miscalibration; run `--sims 200` to tell."
            if too_few_simulations(cov)
            else ""
        ),
        "",
        "| headline | 50% coverage (± se) | band | 90% coverage (± se) | band | rank p |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for _, r in cov.iterrows():
        out.append(
            f"| {r['headline']} | {r['coverage_50']:.2f} ± {r['se_50']:.2f} | "
            f"{r['band_50_low']:.2f}–{r['band_50_high']:.2f}{'' if r['ok_50'] else ' ✗'} | "
            f"{r['coverage_90']:.2f} ± {r['se_90']:.2f} | {r['band_90_low']:.2f}–{r['band_90_high']:.2f}"
            f"{'' if r['ok_90'] else ' ✗'} | {r['rank_chi2_p']:.2f} |"
        )
    out += stress_lines(results.stress, results.settings.sims_per_shape)
    out += rolling_lines(results.rolling)
    sens = results.sensitivity
    out += [
        "",
        "## Sensitivity",
        "",
        "Headline medians and 90% intervals when the evidence is read differently: every source rated C; every "
        "rating one letter harsher (A→B … D→E; F stays); 'more than' read one-sided, anywhere above the figure "
        "(and 'as many as' anywhere below), instead of within one rounding step; and without each origin's claims.",
        "",
    ]
    for _, group in sens.groupby("name", sort=False):
        out.append(f"**{group['label'].iloc[0]}**  ")
        for _, r in group.iterrows():
            out.append(
                f"- {r['variant']}: {number(r['median'])} ({interval_text(r['q05'], r['q95'])})"
                + (f" — {r['divergences']} divergences" if r["divergences"] else "")
            )
        out.append("")
    out += [
        "## Power-scaling sensitivity",
        "",
        "ArviZ's `psense_summary`: how much each headline moves when the prior or the likelihood is raised to a "
        "power near 1 (cumulative Jensen-Shannon distance; above 0.05 is flagged). Headlines that rest on one to "
        "three claims are expected to be prior-sensitive: the data do not pin them alone.",
        "",
        "| headline | prior | likelihood | diagnosis |",
        "|---|---:|---:|---|",
    ]
    for _, r in results.power_scaling.iterrows():
        out.append(f"| {r['headline']} | {r['prior']:.3f} | {r['likelihood']:.3f} | {r['diagnosis']} |")
    out += [
        "",
        "## Prior predictive",
        "",
        "What the priors alone imply (2,000 prior draws): wide, never absurd.",
        "",
        "| headline | median | 90% interval |",
        "|---|---:|---:|",
    ]
    for _, r in results.prior.iterrows():
        out.append(f"| {r['label']} | {number(r['median'])} | {interval_text(r['q05'], r['q95'])} |")
    out += ["", "The posterior predictive of every claim is in `summary.md` (claims against the fit)."]
    return "\n".join(out) + "\n"

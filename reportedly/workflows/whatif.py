"""What the headlines become if a source is believed less (or more), or not at all: the case fitted again with
sources rated anew or the claims they originated left out, beside the saved fit. Nothing is written."""

from __future__ import annotations

import dataclasses

import pandas as pd

from reportedly.errors import ReportedlyError, did_you_mean
from reportedly.fitting.gate import Diagnostics
from reportedly.inputs.case import Case
from reportedly.inputs.schema import RATINGS
from reportedly.results.tables import headline_table
from reportedly.workflows.estimate import fit_case


def rated_anew(case: Case, ratings: dict[str, str], without: list[str]) -> Case:
    """The case with `ratings` (source -> letter) in its registry and the claims the sources in `without` originated
    left unused; an error naming the source and the fix for a change that would change nothing."""
    if not ratings and not without:
        raise ReportedlyError("nothing to change: give --rate SOURCE=LETTER or --without SOURCE")
    registry = case.evidence.sources
    figures = case.evidence.figure_sources
    for source in [*ratings, *without]:
        if source not in registry:
            raise ReportedlyError(f"no source '{source}' in seeds/sources.yaml{did_you_mean(source, registry)}")
    for source, letter in ratings.items():
        if letter not in RATINGS:
            raise ReportedlyError(f"--rate {source}={letter}: a rating is one of {', '.join(RATINGS)}")
        if source not in figures:
            raise ReportedlyError(f"--rate {source}: no used figure comes from {source}, so its rating weighs "
                                  f"nothing; sources whose figures are used: {', '.join(figures)}")
    used = {c.origin for c in case.evidence.used}
    for source in without:
        if source not in used:
            raise ReportedlyError(f"--without {source}: no used claim comes from {source}; sources of used claims: "
                                  f"{', '.join(sorted(used))}")
    claims = tuple(c.model_copy(update={"use": False, "reason": f"left out: what if {c.origin} were not believed"})
                   if c.use and c.origin in without else c for c in case.evidence.claims)
    if not any(c.use for c in claims):
        raise ReportedlyError("without those sources no claim is left to fit")
    sources = {key: source.model_copy(update={"rating": ratings[key]}) if key in ratings else source
               for key, source in registry.items()}
    return dataclasses.replace(case, evidence=dataclasses.replace(case.evidence, sources=sources, claims=claims))


def what_if(changed: Case, fitted: list[dict]) -> tuple[pd.DataFrame, Diagnostics]:
    """Each headline as fitted (`fitted`: the saved fit's headline rows) and as the `changed` case (`rated_anew`)
    fits, with the same seed, and the new fit's diagnostics. Its `shift` is the relative move of the median."""
    est, diagnostics, _ = fit_case(changed)
    changed = headline_table(est).set_index("name")
    rows = []
    for row in fitted:
        new = changed.loc[row["name"]]
        rows.append({**{k: row[k] for k in ("name", "label", "median", "q05", "q95")},
                     "what_if_median": new["median"], "what_if_q05": new["q05"], "what_if_q95": new["q95"],
                     "shift": new["median"] / row["median"] - 1 if row["median"] else float("nan")})
    return pd.DataFrame(rows), diagnostics

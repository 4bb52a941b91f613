"""`reportedly explain`: which claims drive which headline, refitting where importance sampling cannot tell."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from reportedly.errors import ReportedlyError
from reportedly.files import atomic_write
from reportedly.inputs.case import Case
from reportedly.locks import exclusive
from reportedly.results import store
from reportedly.results.estimates import Estimates
from reportedly.results.influence import influence_table, refit_unreliable
from reportedly.results.saved import staleness


def explain(case: Case, est: Estimates, refit: bool = True, wait: bool = False,
            refitting: Callable[[str], None] = lambda claim: None) -> pd.DataFrame:
    """Each headline without each used claim (see `influence_table`); with `refit`, every claim whose Pareto k says
    importance sampling cannot be trusted is refitted without it (`refitting(claim)` is told first) and
    influence.csv beside the estimates is written anew."""
    if "log_likelihood" not in est.posterior:
        raise ReportedlyError(
            f"these estimates keep no pointwise log-likelihood; run 'reportedly estimate {case.name}' again"
        )
    table = influence_table(est)
    if not refit or table["reliable"].all():
        return table
    if staleness(est.attrs, case.fingerprint()):
        raise ReportedlyError(
            "the estimates do not match the current claims or model file, so claims cannot be "
            f"refitted; run 'reportedly estimate {case.name}' first, or pass --no-refit"
        )
    from reportedly.validation.refit import make_refitter

    folder = store.folder(case)
    with exclusive(folder, "explain", wait):
        refitter = make_refitter(case, case.spec.sampler)
        seed = int(est.attrs["random_seed"])

        def refit_without(claim: str):
            refitting(claim)
            return refitter.fit(seed, refitter.design.without([claim]))[0].headline_draws()

        table = refit_unreliable(table, refit_without)
        with exclusive(folder, "write", wait=True):
            atomic_write(folder / store.INFLUENCE, lambda path: table.to_csv(path, index=False, float_format="%.6g"))
    return table

"""What the commands share: dates and --as-of as arguments, the case a command is about, its saved estimates."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from reportedly.errors import ReportedlyError
from reportedly.inputs.case import Case, check_root, find_root, load_case
from reportedly.results import store

if TYPE_CHECKING:  # reading estimates imports xarray and pandas: only the commands that read them pay for it
    from reportedly.results.estimates import Estimates
    from reportedly.results.saved import SavedFit


def date(text: str) -> dt.date:
    """A date argument, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def add_as_of(parser: argparse.ArgumentParser) -> None:
    """--as-of DATE: the case as it stood on a day."""
    parser.add_argument("--as-of", type=date, metavar="DATE", help="the case as it stood on DATE: only the claims "
                        "reported by then (estimates in estimates/<case>-as-of-DATE/)")


def case_root(args):
    """The case folder: --root, or the nearest one at or above the working folder."""
    return check_root(args.root) if args.root else find_root()


def case_of(args) -> Case:
    """The case a command is about (as it stood on --as-of, if given)."""
    case = load_case(case_root(args), args.case)
    return case.known_by(args.as_of) if getattr(args, "as_of", None) else case


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """--wait and --force, for the commands that fit."""
    parser.add_argument("--wait", action="store_true", help="if another run is writing this case's estimates, wait for "
                        "it instead of stopping at once")
    parser.add_argument("--force", action="store_true", help="fit even where a setting of the model file looks like a "
                        "mistake (an axis of centuries, a horizon decades away)")


def settings_checked(case: Case, force: bool) -> Case:
    """The case, after printing what its settings imply that no one may mean; refused unless `force`."""
    from reportedly.inputs.sanity import check_settings

    findings = check_settings(case)
    refusals = [f for f in findings if f.refuse]
    if refusals and not force:
        raise ReportedlyError("; ".join(map(str, refusals)) + ". Nothing was fitted.")
    for finding in findings:
        print(f"warning: {finding}", file=sys.stderr)
    return case


def saved_estimates(args, light: bool = False) -> tuple[Case, Estimates, list[str]]:
    """The case, its saved estimates (their draws as numpy arrays with `light`, for questions), and the warnings a
    reader must see about them (printed to stderr)."""
    from reportedly.results.estimates import load_estimates

    case = case_of(args)
    est = load_estimates(store.folder(case), light)
    return case, est, _warned(case, est.attrs, est.converged)


def saved_fit(args) -> tuple[Case, SavedFit, list[str]]:
    """The case, the record and tables of its saved fit (not its draws), and the warnings a reader must see."""
    from reportedly.results.saved import read_saved

    case = case_of(args)
    saved = read_saved(store.folder(case))
    return case, saved, _warned(case, saved.attrs, saved.converged)


def _warned(case: Case, attrs: dict, converged: bool) -> list[str]:
    """What a reader of a saved fit must know (printed to stderr): changed since, validation stale, not converged."""
    from reportedly.results.saved import staleness

    warnings = staleness(attrs, case.fingerprint())
    if warnings:
        warnings.append(f"re-run 'reportedly estimate {case.name}' to refresh")
    elif stale := store.stale_validation(store.folder(case), case.fingerprint()):
        warnings.append(stale)
    if not converged:
        warnings.append("these estimates did NOT pass the diagnostics gate")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return warnings

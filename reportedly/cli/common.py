"""What the commands share: dates and --as-of as arguments, the case a command is about, its saved estimates."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from reportedly.inputs.case import Case, check_root, find_root, load_case
from reportedly.results import store
from reportedly.results.estimates import Estimates


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


def saved_estimates(args) -> tuple[Case, Estimates, list[str]]:
    """The case, its saved estimates, and the warnings a reader must see about them (printed to stderr)."""
    from reportedly.results.estimates import load_estimates, staleness

    case = case_of(args)
    est = load_estimates(store.folder(case))
    warnings = staleness(est, case.fingerprint())
    if warnings:
        warnings.append(f"re-run 'reportedly estimate {case.name}' to refresh")
    elif stale := store.stale_validation(store.folder(case), case.fingerprint()):
        warnings.append(stale)
    if not est.converged:
        warnings.append("these estimates did NOT pass the diagnostics gate")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return case, est, warnings

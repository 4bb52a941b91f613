"""The files a fit leaves under estimates/<case>/, named in one place, and the one reader of validation.json."""

from __future__ import annotations

import json
from pathlib import Path

from reportedly.inputs.case import Case

ESTIMATES = "estimates"
POSTERIOR = "posterior.nc"              # the draws queries need; produced by `reportedly estimate`, not committed
RECORD = "fit.json"                     # the fit's provenance (the posterior's attributes), read without the draws
SUMMARY = "summary.csv"
SUMMARY_TEXT = "summary.md"
CLAIMS_FIT = "claims_fit.csv"
SOURCES_FIT = "sources_fit.csv"
ONSETS = "onsets.csv"
INFLUENCE = "influence.csv"
VALIDATION = "validation.json"
VALIDATION_TEXT = "validation.md"
VALIDATION_PREFIX = "validation"        # what `reportedly check` wrote, carried over when `estimate` writes anew
FIGURES = "figures"
# In figures/: a hash of everything the figures show, written when `estimate` draws them, so that a refit
# drawing the same posterior copies them instead of drawing them again.
FIGURES_KEY = ".drawn-from"
PAGE = "report.html"


def folder(case: Case) -> Path:
    """estimates/<case>/, or estimates/<case>-as-of-<day>/ for the case as it stood on a day."""
    return case.root / ESTIMATES / (case.name if case.as_of is None else f"{case.name}-as-of-{case.as_of}")


def read_validation(folder: Path) -> dict | None:
    """What `reportedly check` wrote beside the estimates, if it did."""
    try:
        return json.loads((folder / VALIDATION).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stale_validation(folder: Path, current: dict[str, str]) -> str | None:
    """A warning when the validation beside the estimates was run on other claims or another model file."""
    stamp = read_validation(folder)
    if stamp is None or all(stamp.get(key) == value for key, value in current.items()):
        return None
    return (f"{folder / VALIDATION_TEXT} was run on other claims or another model file than the current ones; "
            f"re-run 'reportedly check {folder.name}' to validate these")

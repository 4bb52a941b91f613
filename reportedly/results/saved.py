"""A saved fit read without its draws: its record (fit.json) and the tables `estimate` wrote (summary.csv,
sources_fit.csv, onsets.csv). What `summary` prints needs nothing more, so it starts without xarray, pandas or PyMC."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from reportedly.errors import ReportedlyError
from reportedly.results import store


@dataclass(frozen=True)
class SavedFit:
    """The record of a fit (the posterior's attributes) and its headline, source and onset tables, one dict a row."""

    attrs: dict
    headlines: list[dict]
    sources: list[dict]
    onsets: list[dict]

    @property
    def converged(self) -> bool:
        """Whether the fit passed the diagnostics gate."""
        return passed_the_gate(self.attrs)


def passed_the_gate(attrs: dict) -> bool:
    """Whether a fit, by its record, passed the diagnostics gate."""
    return bool(json.loads(attrs["diagnostics"])["passed"])


def read_saved(folder: Path) -> SavedFit:
    """The fit saved in `folder`, or an error saying how to make one."""
    record = folder / store.RECORD
    if not record.exists():
        raise ReportedlyError(f"no estimates at {record}; run 'reportedly estimate' first")
    try:
        onsets = folder / store.ONSETS   # estimates written before there was one have none
        return SavedFit(json.loads(record.read_text(encoding="utf-8")), _table(folder / store.SUMMARY),
                        _table(folder / store.SOURCES_FIT), _table(onsets) if onsets.exists() else [])
    except (OSError, ValueError, KeyError) as exc:
        raise ReportedlyError(f"cannot read the estimates in {folder}: {exc}; run 'reportedly estimate' again"
                              ) from None


def _table(path: Path) -> list[dict]:
    """A table `estimate` wrote, one dict a row, numbers as numbers."""
    with path.open(encoding="utf-8", newline="") as file:
        return [{k: _value(v) for k, v in row.items()} for row in csv.DictReader(file)]


def _value(text: str) -> str | int | float:
    """'8' -> 8, '7.96218e+06' -> 7962180.0, 'msmt' -> 'msmt'."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def staleness(attrs: dict, current: dict[str, str]) -> list[str]:
    """What changed since the fit, comparing fingerprints (claims and model file)."""
    messages = []
    if attrs.get("claims_hash") != current["claims_hash"]:
        messages.append("the claims (seeds/) changed since these estimates were fitted")
    if attrs.get("spec_hash") != current["spec_hash"]:
        messages.append("the model file changed since these estimates were fitted")
    return messages

"""Questions asked of saved estimates: a window's total (or a ratio), and what a new report would print; one at a
time or a batch file of them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from reportedly.errors import ReportedlyError
from reportedly.inputs.schema import RATINGS
from reportedly.levels import quantile_keys
from reportedly.results.estimates import Estimates

BATCH_COLUMNS = ("quantity", "start", "end", "rating")
FIRST_DAYS_COLUMN = "first_days"   # optional: a row with a number here asks for the flow's first days instead


def answer(est: Estimates, row: dict) -> dict:
    """One question (quantity, start, end, rating) answered, or the row with an 'error' saying why it cannot be."""
    answer = {key: row[key] for key in ("line",) if key in row}
    if "error" in row:
        return answer | {"error": row["error"]}
    if row.get("first_days"):
        return _first_days(est, row, answer)
    is_ratio = row["quantity"] in est.spec.ratios
    answer |= {"quantity": row["quantity"], "start": row["start"].isoformat() if row["start"] else None,
               "end": None if is_ratio else (row["end"] or est.latest_report).isoformat(), "rating": row["rating"]}
    try:
        total = est.draws_of(row["quantity"], row["start"], row["end"])
    except ReportedlyError as exc:
        return answer | {"error": str(exc)}
    forecast_from = None if is_ratio else est.forecast_from(row["end"] or est.latest_report)
    return answer | _totals(est, total, row["rating"]) | {
        "forecast_from": forecast_from.isoformat() if forecast_from else None} | _where_it_began(est, row, is_ratio)


def _where_it_began(est: Estimates, row: dict, is_ratio: bool) -> dict:
    """The onset's interval, when the window begins or ends inside it: its total then hangs on the day the flow
    began, which the interval spreads over."""
    began = None if is_ratio else est.onset_interval(row["quantity"])
    edges = (row["start"], row["end"] or est.latest_report)
    if began is None or not any(day is not None and began[0] <= day <= began[1] for day in edges):
        return {}
    return {"onset_interval": [day.isoformat() for day in began]}


def _first_days(est: Estimates, row: dict, answer: dict) -> dict:
    """The total in a flow's first days, wherever each draw puts its start (inside the time axis)."""
    answer |= {"quantity": row["quantity"], "first_days": row["first_days"], "start": None, "end": None,
               "rating": row["rating"], "forecast_from": None}
    try:
        counted = est.first_days(row["quantity"], row["first_days"])
    except ReportedlyError as exc:
        return answer | {"error": str(exc)}
    return answer | _totals(est, counted.total, row["rating"]) | {
        "past_axis_end": float(counted.past_end.mean()), "axis_end": est.axis.last_day.isoformat()}


def _totals(est: Estimates, total, rating: str | None) -> dict:
    """A total's quantiles, and those of what a new report of this rating would print."""
    report = est.report_draws(total, rating=rating) if rating else None
    return {"total": quantile_keys(total), "report": quantile_keys(report) if report is not None else None}


def read_batch(path: Path) -> list[dict]:
    """The questions of a batch file (CSV with BATCH_COLUMNS); a row that cannot be read carries an 'error' instead."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or ())
            if columns not in (set(BATCH_COLUMNS), {*BATCH_COLUMNS, FIRST_DAYS_COLUMN}):
                raise ReportedlyError(
                    f"{path}: expected CSV columns {','.join(BATCH_COLUMNS)} (and optionally {FIRST_DAYS_COLUMN}); "
                    f"got {reader.fieldnames}"
                )
            records = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportedlyError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    rows = []
    for line, record in enumerate(records, start=2):
        rating = (record["rating"] or "").strip() or None
        try:
            start, end = (
                dt.date.fromisoformat(record[k].strip()) if (record[k] or "").strip() else None
                for k in ("start", "end")
            )
        except ValueError:
            rows.append({"line": line, "error": f"{path}: line {line}: dates must be YYYY-MM-DD or empty"})
            continue
        first_days = (record.get(FIRST_DAYS_COLUMN) or "").strip()
        if first_days and (not first_days.isdigit() or int(first_days) < 1 or start or end):
            rows.append({"line": line, "error": f"{path}: line {line}: {FIRST_DAYS_COLUMN} must be a whole number of "
                         f"days, 1 or more, with start and end empty; got {first_days!r}"})
            continue
        if rating not in (None, *RATINGS):
            rows.append(
                {
                    "line": line,
                    "error": f"{path}: line {line}: rating must be one of "
                    f"{RATINGS[0]}-{RATINGS[-1]} or empty, got {rating!r}",
                }
            )
            continue
        rows.append({"line": line, "quantity": (record["quantity"] or "").strip(), "start": start, "end": end,
                     "rating": rating, "first_days": int(first_days) if first_days else None})
    return rows

"""Time expressions in an article's sentences ('between January and mid-December 2024', 'since September 2023',
'late last year', 'in 2024 alone'), resolved against the article's date into the window a figure covers."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


MONTH = "(?:" + "|".join(MONTHS) + ")"


@dataclass(frozen=True)
class Window:
    """The window a time expression names, and the words it was read from."""

    kind: str                     # "period" or "cumulative"
    start: dt.date | None
    end: dt.date
    phrase: str | None            # the words it was read from; None when none was found


def nearest_window(clause: str, start: int, end: int, report_date: dt.date) -> Window:
    """The window of the time expression nearest the figure in its clause; cumulative to the date if none."""
    candidates = []
    for at, stop, window in time_expressions(clause, report_date):
        distance = start - stop if stop <= start else at - end if at >= end else 0
        candidates.append((distance, window))
    if not candidates:
        return Window("cumulative", None, report_date, None)
    return min(candidates, key=lambda c: c[0])[1]


def time_expressions(clause: str, today: dt.date) -> list[tuple[int, int, Window]]:
    """Every time expression of the clause with the window it names (a longer expression wins over its parts)."""
    found: list[tuple[int, int, Window]] = []

    def add(match: re.Match, kind: str, start: dt.date | None, end: dt.date) -> None:
        if any(a <= match.start() < b or match.start() <= a < match.end() for a, b, _ in found):
            return
        found.append((match.start(), match.end(), Window(kind, start, min(end, today) if kind == "cumulative" else end,
                                                         match.group().strip())))

    def year_of(text: str | None) -> int:
        if text is None or "this year" in text:
            return today.year
        return today.year - 1 if "last year" in text else int(text)

    for m in re.finditer(
        rf"\bbetween (?:(early|mid-|late) ?)?({MONTH})(?: (\d{{4}}))? and (mid-|early |late )?({MONTH}) (\d{{4}})",
        clause,
        re.I,
    ):
        y2 = int(m[6])
        y1 = int(m[3]) if m[3] else y2
        add(m, "period", _month_start(y1, m[2], m[1]), _month_end(y2, m[5], m[4]))
    for m in re.finditer(rf"\bsince (?:(early|mid-|late) ?)?(?:({MONTH}) )?(\d{{4}})", clause, re.I):
        month = m[2] or ("october" if (m[1] or "").startswith("late") else "july" if m[1] else "january")
        add(m, "cumulative", _month_start(int(m[3]), month, m[1] if m[2] else None), today)
    year = r"(\d{4}|this year|last year)"
    for m in re.finditer(rf"\b(?:in )?the (first|second) half of {year}", clause, re.I):
        y = year_of(m[2].lower())
        add(
            m,
            "period",
            dt.date(y, 1 if m[1].lower() == "first" else 7, 1),
            dt.date(y, 6 if m[1].lower() == "first" else 12, 30 if m[1].lower() == "first" else 31),
        )
    for m in re.finditer(rf"\b(?:in )?(?:the )?(early|late|end of)(?: months of)? {year}", clause, re.I):
        y = year_of(m[2].lower())
        late = m[1].lower() != "early"
        add(m, "period", dt.date(y, 10 if late else 1, 1), dt.date(y, 12 if late else 3, 31))
    for m in re.finditer(rf"\b(?:in|during) ({MONTH}) (?:or|and) ({MONTH})(?: (\d{{4}}))?", clause, re.I):
        y = int(m[3]) if m[3] else today.year
        add(m, "period", _month_start(y, m[1]), _month_end(y, m[2]))
    for m in re.finditer(rf"\b(?:in|during) ({MONTH}),? (\d{{4}})", clause, re.I):
        add(m, "period", _month_start(int(m[2]), m[1]), _month_end(int(m[2]), m[1]))
    for m in re.finditer(r"\b(?:over|in|during) the (?:past|last) (year|twelve months|12 months)", clause, re.I):
        add(m, "period", today.replace(year=today.year - 1), today)
    for m in re.finditer(r"\b(?:in )?(\d{4})(?: alone)?\b|\blast year\b|\bthis year\b", clause, re.I):
        text = m.group().lower()
        y = year_of(m[1] if m[1] else text)
        if not 1900 <= y <= today.year:
            continue
        add(m, "period", dt.date(y, 1, 1), today if y == today.year else dt.date(y, 12, 31))
    return found


def _month_start(year: int, month: str, part: str | None = None) -> dt.date:
    day = 15 if part and part.lower().startswith("mid") else 1
    return dt.date(year, MONTHS[month.lower()], day)


def _month_end(year: int, month: str, part: str | None = None) -> dt.date:
    m = MONTHS[month.lower()]
    day = 15 if part and part.strip().lower().startswith("mid") else calendar.monthrange(year, m)[1]
    return dt.date(year, m, day)

"""When a flow began, as a sentence says it ('the transfers began around October last year', 'troops had been
deployed to Kursk since at least November', 'the first shipments were sent out on Sunday'), read against the
article's date into the window of a claim that dates a start: a period the start fell in, or cumulative to the day
the flow had begun by."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from reportedly.inputs.time_phrases import MONTH, MONTHS, Window, month_part, time_expressions

# A past verb of starting, or the first of something arriving; 'since at least' dates a start by a day it had begun by.
STARTED = re.compile(
    r"\b(?:began|begun|started|commenced|kicked off)\b"
    r"|\bfirst\b[^.;]{0,200}?\b(?:arrived|went out|were sent|was sent|crossed|entered|landed|pulled out)\b",
    re.I,
)
BEGUN_BY = re.compile(r"\bsince at least\b", re.I)
# What begins without being a flow of things: 'the conflict ..., which began on October 7'.
EVENT = re.compile(r"\b(?:war|conflict|fighting|crisis|talks|negotiations|pandemic|epidemic|outbreak|drought|famine|"
                   r"flood(?:ing|s)?|storm|invasion|siege|offensive|"
                   r"ceasefire|truce|protests?|trial|season|campaign|operation)\b[^.;]{0,50}$", re.I)
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # a season's first month (meteorological)
PART = r"(?:(early|mid-?|late|the end of)\s*)?"
YEAR = r"(?:,?\s*(?:of\s+)?(\d{4})|\s+(last|this) year)?"
MONTH_PHRASE = re.compile(rf"\b{PART}({MONTH}){YEAR}(?![\w-]| ?\d)", re.I)
SEASON_PHRASE = re.compile(rf"\b{PART}({'|'.join(SEASONS)}){YEAR}\b", re.I)


@dataclass(frozen=True)
class Start:
    """A start a sentence dates: the words it was read from, where they begin, and the onset claim's window."""

    words: str
    at: int
    window: Window


def read_start(clause: str, report_date: dt.date) -> Start | None:
    """The start the clause dates, if it says something began: the time expression nearest the words of starting
    (after them first; one across a comma counts as farther), as the period the start fell in, or as the day the flow
    had begun by ('since at least November'); with no expression, begun by the article's date if it 'has begun'."""
    cue = BEGUN_BY.search(clause) or STARTED.search(clause)
    if cue is None or EVENT.search(clause[:cue.start()]):
        return None
    expressions = [e for e in [*month_expressions(clause, report_date), *time_expressions(clause, report_date)]
                   if not (e[0] < cue.end() and e[1] > cue.start())]
    if not expressions:   # 'have started', 'the first trucks crossed': begun by the article's date
        has_begun = cue.group().lower().startswith("first") or re.search(   # ('since the evacuations began': no date)
            r"(?<!may )(?<!might )(?<!could )(?<!would )\b(?:has|have)\s+(?:already\s+)?$", clause[:cue.start()], re.I)
        return Start(cue.group(), cue.start(), Window("cumulative", None, report_date, None)) if has_begun else None

    def distance(expression) -> int:
        at, stop, _ = expression
        between = clause[cue.end():at] if at >= cue.end() else clause[stop:cue.start()]
        return len(between) + (50 if "," in between else 0) + (20 if at < cue.end() else 0)

    at, stop, window = min(expressions, key=lambda e: (distance(e), -(e[1] - e[0])))
    words = clause[min(at, cue.start()):max(stop, cue.end())]
    if window.kind == "cumulative" and window.start is None:   # 'had begun by November 30'
        return Start(words, cue.start(), window)
    first, last = window.start, window.end
    if window.kind == "cumulative":   # 'since May 2023', 'since May 3': when what it names began
        last = first if re.search(r"\b\d{1,2}\b", window.phrase) else month_part(first.year, first.month, None)[1]
    if BEGUN_BY.match(cue.group()):   # 'since at least November': begun by its end
        return Start(words, cue.start(), Window("cumulative", None, last, window.phrase))
    return Start(words, cue.start(), Window("period", first, last, window.phrase))


def month_expressions(clause: str, today: dt.date) -> list[tuple[int, int, Window]]:
    """Months and seasons without a day, each a period ('around October last year', 'in late July', 'late summer of
    2007'): a month's parts as `month_part` says; early is a season's first month, mid its second, late its last.
    With no year, the latest that began by `today`."""
    found = []
    for m in MONTH_PHRASE.finditer(clause):
        if m[2][0].islower():   # 'may have begun': a month is capitalised
            continue
        month = MONTHS[m[2].lower().rstrip(".")]
        first, last = month_part(_year(m[3], m[4], month, today), month, m[1])
        found.append((m.start(), m.end(), Window("period", first, last, m.group())))
    for m in SEASON_PHRASE.finditer(clause):
        month = SEASONS[m[2].lower()]
        first = dt.date(_year(m[3], m[4], month, today), month, 1)
        part = (m[1] or "").lower().rstrip("-")
        months = {"early": (0, 0), "mid": (1, 1), "late": (2, 2), "the end of": (2, 2)}.get(part, (0, 2))
        last = _months_on(first, months[1])
        found.append((m.start(), m.end(), Window("period", _months_on(first, months[0]),
                                                 month_part(last.year, last.month, None)[1], m.group())))
    return found


def _months_on(day: dt.date, n: int) -> dt.date:
    months = day.month - 1 + n
    return day.replace(year=day.year + months // 12, month=months % 12 + 1)


def _year(digits: str | None, relative: str | None, month: int, today: dt.date) -> int:
    if digits:
        return int(digits)
    if relative:
        return today.year - (relative.lower() == "last")
    return today.year if month <= today.month else today.year - 1

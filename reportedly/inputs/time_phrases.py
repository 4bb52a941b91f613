"""Time expressions in an article's sentences ('between January and mid-December 2024', 'since September 2023',
'late last year', 'in 2024 alone'), resolved against the article's date into the window a figure covers."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name[:3]: i for name, i in list(MONTHS.items())} | {"sept": 9}  # 'Aug 25', 'Sept. 3'
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7}  # months and years are calendar months and years
SPEECH = r"\b(?:said|says|told|announced|reported|warned|tweeted|stated|added|confirmed)\b"
FUTURE = re.compile(r"\b(?:will|would|set to|poised|expects?|expected|plans?|next)\b", re.I)


@dataclass(frozen=True)
class Window:
    """The window a time expression names, and the words it was read from."""

    kind: str                     # "period" or "cumulative" ("day" only inside this module: a day, maybe when said)
    start: dt.date | None
    end: dt.date
    phrase: str | None            # the words it was read from; None when none was found


def nearest_window(clause: str, start: int, end: int, report_date: dt.date) -> Window:
    """The window of the time expression nearest the figure in its clause (one across a comma counts as farther);
    cumulative to the date if none.

    A day can date a figure rather than bound its window: when something was said ('officials said on Tuesday',
    'Earlier on September 3, the minister told reporters that ...', a dateline), or when the figure is a total
    ('the death toll rose to 29 on Tuesday', 'were still missing on Wednesday'). Such a day ends a cumulative
    window, or the window of the nearest other expression when that one runs to the article's date.
    """
    candidates, as_of = [], None
    for at, stop, window in time_expressions(clause, report_date):
        if window.kind == "day" and _said_on(clause, at, stop, start):
            as_of = Window("cumulative", None, window.end, window.phrase)
            continue
        if window.kind == "day" and _total(clause, at, stop, start, end):
            window = Window("cumulative", None, window.end, window.phrase)
        elif window.kind == "day":
            window = Window("period", window.start, window.end, window.phrase)
        if window.kind == "cumulative" and window.start is None and window.end < report_date:
            as_of = window
        between = clause[stop:start] if stop <= start else clause[end:at] if at >= end else ""
        distance = len(between) + (50 if "," in between else 0)
        candidates.append((distance, window))
    if not candidates:
        return as_of or Window("cumulative", None, report_date, None)
    nearest = min(candidates, key=lambda c: c[0])[1]
    opening = next((w for _, w in candidates if w.start is not None and w.end == report_date), None)
    if as_of and opening and nearest in (as_of, opening) and as_of.end < report_date:
        # 'until Friday ... this year'; 'since May, officials said on Monday'
        return Window(opening.kind, opening.start, as_of.end, f"{opening.phrase}; {as_of.phrase}")
    return nearest


TOTAL = re.compile(r"\b(?:toll|total|tally|rose to|risen to|climbed to|reached|still|remain(?:s|ed|ing)?)\b", re.I)


def _total(clause: str, at: int, stop: int, start: int, end: int) -> bool:
    """Whether the figure is a total on the day at:stop: a word of totals between them or just before the figure."""
    between = clause[stop:start] if stop <= start else clause[end:at]
    return bool(TOTAL.search(between) or TOTAL.search(clause[max(0, start - 25):start]))


def _said_on(clause: str, at: int, stop: int, figure: int) -> bool:
    """Whether the day at:stop is when the figure was said: a verb of saying just before it, or between it and
    the figure."""
    return _speech_just_before(clause[:at]) or (
        stop <= figure and re.search(SPEECH, clause[stop:figure], re.I) is not None
    ) or re.match(r"\s*(?:\([^)]*\))?\s*[-—–]", clause[stop:]) is not None  # a dateline: 'Miami, October 18 (RHC)--'


def _speech_just_before(text: str) -> bool:
    """Whether a verb of saying ends `text`, give or take three words ('officials said on', 'told reporters on')."""
    return re.search(SPEECH + r"(?:\W+\w+){0,3}\W*$", text, re.I) is not None


def time_expressions(clause: str, today: dt.date) -> list[tuple[int, int, Window]]:
    """Every time expression of the clause with the window it names (a longer expression wins over its parts)."""
    found: list[tuple[int, int, Window]] = []

    def add(match: re.Match, kind: str, start: dt.date | None, end: dt.date | None) -> None:
        if end is None or (start is None and kind == "period"):  # an impossible date ('June 31'): no expression
            return
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
    for m in re.finditer(rf"\b(?:in )?the (first|second) (?:half|six months)(?: of {year})?", clause, re.I):
        y = year_of(m[2].lower() if m[2] else None)
        add(
            m,
            "period",
            _date(y, 1 if m[1].lower() == "first" else 7, 1),
            _date(y, 6 if m[1].lower() == "first" else 12, 30 if m[1].lower() == "first" else 31),
        )
    for m in re.finditer(rf"\b(?:in )?(?:the )?(early|late|end of)(?: months of)? {year}", clause, re.I):
        y = year_of(m[2].lower())
        late = m[1].lower() != "early"
        add(m, "period", _date(y, 10 if late else 1, 1), _date(y, 12 if late else 3, 31))
    for m in re.finditer(rf"\b(?:in|during) ({MONTH}) (?:or|and) ({MONTH})(?: (\d{{4}}))?", clause, re.I):
        y = int(m[3]) if m[3] else today.year
        add(m, "period", _month_start(y, m[1]), _month_end(y, m[2]))
    for m in re.finditer(rf"\b(?:in|during)(?: the month of)? ({MONTH}),? (\d{{4}})", clause, re.I):
        add(m, "period", _month_start(int(m[2]), m[1]), _month_end(int(m[2]), m[1]))
    for m in re.finditer(r"\b(?:over|in|during) the (?:past|last) (year|twelve months|12 months)", clause, re.I):
        add(m, "period", today.replace(year=today.year - 1), today)
    for m in re.finditer(
        r"\b(?:in|over|during|within) (?:the )?(?:past|last|previous)? ?(?:just )?(?:over |under |about |nearly )?"
        r"(?:(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve) )?(hour|day|week|month|year)s?\b",
        clause, re.I,
    ):
        n = _count(m[1] or "one")
        if (m[1] or "a").lower() in ("a", "an", "one") or re.search(r"past|last|previous", m.group(), re.I):
            add(m, "period", _shift(today, -n, m[2].lower()), today)
    for m in re.finditer(r"\b(?:in )?the next (\w+) (day|week|month)s?\b", clause, re.I):
        if _count(m[1]):
            add(m, "period", today, _shift(today, _count(m[1]), m[2].lower()))
    monday = today - dt.timedelta(days=today.weekday())
    for m in re.finditer(r"\b(as of |by |until )?(last|next) week\b", clause, re.I):
        first = monday + dt.timedelta(days=7 if m[2].lower() == "next" else -7)
        add(m, "cumulative" if m[1] else "period", None if m[1] else first, first + dt.timedelta(days=6))
    for m in re.finditer(r"\b(?:over|at|during) the weekend\b|\blast weekend\b", clause, re.I):
        saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7)
        add(m, "period", saturday, saturday + dt.timedelta(days=1))
    for m in re.finditer(r"\blast month\b", clause, re.I):
        last = today.replace(day=1) - dt.timedelta(days=1)
        add(m, "period", last.replace(day=1), last)
    point = rf"(?:the end of )?{MONTH}(?: \d{{1,2}}\b)?(?:,? \d{{4}})?"
    for m in re.finditer(
        rf"\b(?:between|from) (the (?:start|beginning) of (?:the|this) year|{point})"
        rf" (?:and|to|until|through) ({point})",
        clause, re.I,
    ):
        if end_day := _point(m[2], today, as_end=True):
            first = _date(end_day.year, 1, 1) if m[1].lower().startswith("the ") else _point(m[1], end_day, False)
            add(m, "period", first, end_day)
    for m in re.finditer(rf"\bsince ({MONTH} \d{{1,2}}\b(?:,? \d{{4}})?)", clause, re.I):
        add(m, "cumulative", _point(m[1], today, as_end=False), today)
    for m in re.finditer(rf"\b(?:as of|by|until|till) (the end of |early |mid-|late )?({MONTH})(?:,? (\d{{4}}))?"
                         r"(?![\w-]| ?\d)", clause, re.I):   # 'by December': cumulative to its end
        if m[2][0].isupper():   # 'by may': not a month
            first = _point(f"{m[2]} 1{', ' + m[3] if m[3] else ''}", today, as_end=False)
            add(m, "cumulative", None, month_part(first.year, first.month, m[1])[1])
    day_of_month = rf"((?:{MONTH}) \d{{1,2}}\b(?:,? \d{{4}})?|\d{{1,2}} (?:{MONTH})(?:,? \d{{4}})?)"
    for m in re.finditer(rf"\b(?:(as of|by|until|till) |on )?(?:(?:late|early) )?(?:on )?{day_of_month}", clause, re.I):
        day = _point(m[2], today, as_end=False)
        add(m, "cumulative" if m[1] else "day", None, day)
    for m in re.finditer(
        rf"\b(?:(as of|by|until|till) |on )?(?:(?:late|early) )?(?:on )?({WEEKDAY}|yesterday|today)(?![’']s)"
        r"(?: (?:morning|afternoon|evening|night))?\b",
        clause, re.I,
    ):
        future = FUTURE.search(clause) is not None and not _speech_just_before(clause[:m.start()])
        day = _weekday(m[2].lower(), today, future)
        add(m, "cumulative" if m[1] else "day", None, day)
    for m in re.finditer(r"\b(?:in )?(\d{4})(?: alone)?\b|\blast year\b|\bthis year\b", clause, re.I):
        text = m.group().lower()
        y = year_of(m[1] if m[1] else text)
        if not 1900 <= y <= today.year:
            continue
        add(m, "period", dt.date(y, 1, 1), today if y == today.year else dt.date(y, 12, 31))
    return [(a, b, _since(clause[:a], Window(w.kind, w.end if w.kind == "day" else w.start, w.end, w.phrase), today))
            for a, b, w in found]


PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31), "the end of": (21, 31)}


def month_part(year: int, month: int, part: str | None) -> tuple[dt.date, dt.date]:
    """The first and last day of a month, or of its part ('early October' its 1st to 10th, 'mid-' the 11th to 20th,
    'late' and 'the end of' the 21st to its end)."""
    first, last = PARTS.get((part or "").strip().lower().rstrip("-"), (1, 31))
    return dt.date(year, month, first), dt.date(year, month, min(last, calendar.monthrange(year, month)[1]))


def _since(before: str, window: Window, today: dt.date) -> Window:
    """'since the war began in April 2023', 'since fighting broke out on April 15': cumulative from its start."""
    if window.start is not None and re.search(r"\bsince\b[^,.;]{0,40}$", before, re.I):
        return Window("cumulative", window.start, today, window.phrase)
    return window


def _shift(day: dt.date, n: int, unit: str) -> dt.date | None:
    """`day` moved by n units: calendar months and years, else whole days (48 hours -> 2 days); None past the
    calendar's ends."""
    if unit in ("month", "year"):
        months = day.month - 1 + n * (12 if unit == "year" else 1)
        year, month = day.year + months // 12, months % 12 + 1
        return _date(year, month, min(day.day, calendar.monthrange(year, month)[1]) if 1 <= year <= 9999 else 1)
    days = n * UNIT_DAYS[unit]
    try:
        return day + dt.timedelta(days=math.ceil(days) if days > 0 else -math.ceil(-days))
    except OverflowError:
        return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    """The date, or None where the text names one that does not exist ('June 31', 'May 45')."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _count(word: str) -> int:
    words = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "twelve": 12}
    return int(word) if word.isdigit() else words.get(word.lower(), 0)


def _point(text: str, near: dt.date, as_end: bool) -> dt.date | None:
    """'September 29' / 'the end of September' / 'Aug 25, 2017' / 'November 2017': a day, its year from the text or
    the latest that is not after `near` (None if there is no such day)."""
    if day_first := re.match(rf"(\d{{1,2}}) ({MONTH})(.*)", text, re.I):  # '10 March 2025' -> 'March 10 2025'
        text = f"{day_first[2]} {day_first[1]}{day_first[3]}"
    m = re.match(rf"(the end of )?({MONTH})(?: (\d{{1,2}})\b)?(?:,? (\d{{4}}))?", text, re.I)
    month = MONTHS[m[2].lower().rstrip(".")]
    year = int(m[4]) if m[4] else near.year - (1 if (month, int(m[3] or 1)) > (near.month, near.day) else 0)
    if m[3]:
        return _date(year, month, int(m[3]))
    return _date(year, month, calendar.monthrange(year, month)[1] if as_end or m[1] else 1)


def _weekday(name: str, today: dt.date, future: bool) -> dt.date:
    """The day a weekday names: the latest on or before the article's date, or the next after it in a sentence about
    what is to come."""
    if name in ("today", "yesterday"):
        return today - dt.timedelta(days=name == "yesterday")
    back = (today.weekday() - WEEKDAYS[name]) % 7
    return today + dt.timedelta(days=(7 - back) % 7 or 7) if future and back else today - dt.timedelta(days=back)


def _month_start(year: int, month: str, part: str | None = None) -> dt.date | None:
    day = 15 if part and part.lower().startswith("mid") else 1
    return _date(year, MONTHS[month.lower().rstrip(".")], day)


def _month_end(year: int, month: str, part: str | None = None) -> dt.date | None:
    m = MONTHS[month.lower().rstrip(".")]
    day = 15 if part and part.strip().lower().startswith("mid") else calendar.monthrange(year, m)[1]
    return _date(year, m, day)

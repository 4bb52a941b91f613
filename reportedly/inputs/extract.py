"""Propose draft claims from an article's text, for the analyst to confirm.

Rules, no statistical model and nothing downloaded: each figure the text prints (read as `quotes` reads a
quote) becomes a proposal when a word the case uses for one of its quantities follows it (or, failing that,
comes before it in the same clause). The qualifier is the phrase just before the figure; the window is the
time expression nearest the figure in its clause, resolved against the article's date; with none, the
figure is read as cumulative to that date. What the rules cannot decide (the source, whether a figure
counts a transfer or a plan, the basis of a conversion) is left marked for the analyst.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from reportedly.inputs.quotes import figure_spans
from reportedly.inputs.spec import ModelSpec

QUALIFIERS = [  # the phrase just before a figure, and the qualifier it prints
    (r"approximately|around|about|some|roughly|an estimated|nearly|almost|close to", "approximately"),
    (r"more than|over|exceeding|exceeded|exceed|in excess of|upwards of|above", "more_than"),
    (r"at least|no fewer than|no less than", "at_least"),
    (r"as many as|as much as", "as_many_as"),
    (r"up to", "up_to"),
]
VAGUE = [  # figures printed as words of magnitude: how they are read, always marked for the analyst
    (re.compile(r"\bseveral thousand\b", re.I), "range", (2_000, 9_000)),
    (re.compile(r"\bthousands of\b|\bthousands (?:more )?(?=\w)", re.I), "at_least", (2_000, None)),
    (re.compile(r"\bmillions of\b", re.I), "at_least", (2_000_000, None)),
]
PLAN = re.compile(r"\b(?:plans?|planning|planned|will send|to be sent|may be sent|expected to|intends?)\b", re.I)
CONVERSION = re.compile(r"\bconverted\b|\bwhen convert|\bif (?:those|the|these) \w+ (?:carried|were)\b", re.I)
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTH = "(?:" + "|".join(MONTHS) + ")"
PART_OF = re.compile(r"\s*(?:in|of|for|at|from|to)\b", re.I)   # '198 in construction': part of a figure before
NOW = re.compile(r"\b(?:now|currently|current)\b", re.I)
NOT_A_COUNT = re.compile(r"^\s*(?:-?\s*(?:mm|millimet|inch|-inch|km|kilomet|percent|per cent|year|month|day|week)|,\s*\d{4})", re.I)


@dataclass(frozen=True)
class Window:
    kind: str                     # "period" or "cumulative"
    start: dt.date | None
    end: dt.date
    phrase: str | None            # the words it was read from; None when none was found


@dataclass(frozen=True)
class Proposal:
    """One draft claim: the sentence it comes from and what the rules read in it."""

    quote: str
    figure: str                   # the figure as printed, with its qualifier
    quantity: str | None
    kind: str                     # count, share, plan or conversion
    qualifier: str
    value: float | None
    low: float | None
    high: float | None
    window: Window
    to_check: list[str] = field(default_factory=list)


def propose(text: str, report_date: dt.date, spec: ModelSpec) -> list[Proposal]:
    """Draft claims for every figure of `text` that counts one of the case's quantities."""
    words = spec.words()
    ratio_of_link = {name: link.product[1] for name, link in spec.links.items()}
    proposals = []
    for sentence in sentences(text):
        for clause_start, clause in clauses(sentence):
            for start, end, value, qualifier, bounds in figures(clause):
                if NOT_A_COUNT.match(clause[end:]) or _is_day_of_month(clause, start) or _is_designator(clause, start):
                    continue
                share = clause[end:end + 1] == "%" or clause[end:end + 8].lower().startswith(" percent")
                quantity = quantity_after(clause[end:], words) or quantity_before(clause[:start], clause[end:], words)
                if quantity is None:
                    continue
                to_check = []
                kind = "share" if share else "count"
                if is_planned(sentence, clause_start + start, clause_start + end):
                    kind = "plan"
                    to_check.append("the sentence speaks of a plan or intention: a plan is not a transfer")
                if CONVERSION.search(sentence) and quantity in ratio_of_link:
                    kind, quantity = "conversion", ratio_of_link[quantity]
                    to_check.append("a conversion: set 'basis' to the id of the claim whose figure was converted")
                low, high = bounds if bounds else (None, None)
                if bounds:
                    to_check.append(f"'{clause[start:end]}' is a word of magnitude, read as "
                                    f"{'at least ' if high is None else ''}{low:,.0f}{f' to {high:,.0f}' if high else ''}")
                window = nearest_window(clause, start, end, report_date)
                if share and (now := NOW.search(clause)):  # a share of what is needed now: this month to date
                    window = Window("period", report_date.replace(day=1), report_date, now.group())
                if window.phrase is None:
                    to_check.append("no time expression: read as cumulative to the article's date")
                proposals.append(Proposal(
                    quote=sentence, figure=_figure_text(clause, start, end), quantity=quantity, kind=kind,
                    qualifier=qualifier, value=None if qualifier == "range" else value,
                    low=low if qualifier == "range" else None, high=high if qualifier == "range" else None,
                    window=window, to_check=to_check,
                ))
    return proposals


def is_planned(sentence: str, start: int, end: int) -> bool:
    """Whether a plan word governs the figure at start:end: one before it, or one after it with no figure
    after the plan word ('5,000 workers and 1,000 sappers may be sent')."""
    later_figures = [a for a, _, _ in figure_spans(sentence)]
    for cue in PLAN.finditer(sentence):
        if cue.start() < start or (cue.start() >= end and not any(a > cue.start() for a in later_figures)):
            return True
    return False


def sentences(text: str) -> list[str]:
    """The text's sentences: split at line ends, and after a full stop, question or exclamation mark."""
    out = []
    for line in text.splitlines():
        for piece in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“‘(]?[A-Z])", line.strip()):
            if piece.strip():
                out.append(piece.strip())
    return out


def clauses(sentence: str) -> list[tuple[int, str]]:
    """The sentence cut at semicolons and colons, where lists of separate figures are joined."""
    out, start = [], 0
    for match in re.finditer(r"[;:]", sentence):
        out.append((start, sentence[start:match.start()]))
        start = match.end()
    out.append((start, sentence[start:]))
    return out


def figures(clause: str) -> list[tuple[int, int, float, str, tuple | None]]:
    """Each figure of the clause with its qualifier: (start, end, value, qualifier, bounds of a vague figure)."""
    found = []
    vague_spans = []
    for pattern, qualifier, bounds in VAGUE:
        for match in pattern.finditer(clause):
            if not any(a <= match.start() < b for a, b in vague_spans):
                vague_spans.append((match.start(), match.end()))
                found.append((match.start(), match.end(), float(bounds[0]), qualifier, bounds))
    for start, end, value in figure_spans(clause):
        if any(a <= start < b for a, b in vague_spans):
            continue
        found.append((start, end, value, qualifier_before(clause[:start]), None))
    return sorted(found)


def qualifier_before(text: str) -> str:
    before = text.lower().rstrip()
    for pattern, qualifier in QUALIFIERS:
        if re.search(rf"\b(?:{pattern})$", before):
            return qualifier
    return "none"


def quantity_after(text: str, words: dict[str, str], reach: int = 6) -> str | None:
    """The quantity named within `reach` words after a figure (the longest phrase where two start together)."""
    head = " ".join(re.findall(r"[\w'’-]+", text.lower())[:reach])
    best = None
    for word, quantity in words.items():
        match = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", head)
        if match and (best is None or (match.start(), -len(word)) < best[:2]):
            best = (match.start(), -len(word), quantity)
    return best[2] if best else None


def quantity_before(before: str, after: str, words: dict[str, str]) -> str | None:
    """For a figure no quantity follows: the quantity of 'the number of shells ... exceeded 12 million', or of
    the figure it is part of ('481 workers were sent, 198 in construction')."""
    number_of = re.search(r"\bnumber of (.*)$", before, re.I)
    if number_of:
        return quantity_after(number_of[1], words, reach=3)
    if not PART_OF.match(after):
        return None
    named = [quantity_after(before[end:], words, reach=4) for _, end, _ in figure_spans(before)]
    return next((q for q in reversed(named) if q), None)


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

    for m in re.finditer(rf"\bbetween (?:(early|mid-|late) ?)?({MONTH})(?: (\d{{4}}))? and (mid-|early |late )?({MONTH}) (\d{{4}})", clause, re.I):
        y2 = int(m[6])
        y1 = int(m[3]) if m[3] else y2
        add(m, "period", _month_start(y1, m[2], m[1]), _month_end(y2, m[5], m[4]))
    for m in re.finditer(rf"\bsince (?:(early|mid-|late) ?)?(?:({MONTH}) )?(\d{{4}})", clause, re.I):
        month = m[2] or ("october" if (m[1] or "").startswith("late") else "july" if m[1] else "january")
        add(m, "cumulative", _month_start(int(m[3]), month, m[1] if m[2] else None), today)
    year = r"(\d{4}|this year|last year)"
    for m in re.finditer(rf"\b(?:in )?the (first|second) half of {year}", clause, re.I):
        y = year_of(m[2].lower())
        add(m, "period", dt.date(y, 1 if m[1].lower() == "first" else 7, 1), dt.date(y, 6 if m[1].lower() == "first" else 12, 30 if m[1].lower() == "first" else 31))
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


def _is_day_of_month(clause: str, start: int) -> bool:
    return re.search(rf"\b{MONTH}\.? *$", clause[:start], re.I) is not None


def _is_designator(clause: str, start: int) -> bool:
    """'D-30', 'KN-23': a number in a name."""
    return re.search(r"[A-Za-z]-$", clause[:start]) is not None


def _figure_text(clause: str, start: int, end: int) -> str:
    before = re.search(r"(?:\b[\w-]+\s+){0,3}$", clause[:start])
    return (clause[before.start() if before else start:end]).strip()


def named_sources(text: str, sources: dict) -> list[str]:
    """The registry's sources the text names: by key, by three words of the name in a row ('Defense
    Intelligence Agency'), or by the initials of the name ('MSMT')."""
    found = []
    for key, source in sources.items():
        words = re.findall(r"[A-Za-z]+", source.name)
        initials = "".join(word[0] for word in words if word[0].isupper())
        names = [key.replace("_", " "), *(" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2)))]
        if any(re.search(rf"\b{re.escape(n)}\b", text, re.I) for n in names) or (
                len(initials) >= 3 and re.search(rf"\b{initials}\b", text)):
            found.append(key)
    return found


def draft_claims(article: str, report_date: dt.date, proposals: list[Proposal], candidates: list[str]) -> str:
    """A claims file (YAML) of the proposals, for the analyst to confirm: `origin` (and a conversion's `basis`)
    are left empty, so `reportedly claims --check` refuses the file until they are set."""
    import yaml

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", article.rsplit(".", 1)[0]).strip("-") or "article"
    claims = []
    for i, p in enumerate(proposals, start=1):
        claim = {"id": f"{stem}-{i}", "assessment": f"{stem}-{i}", "quote": p.quote, "quantity": p.quantity,
                 "kind": p.kind}
        claim |= {"low": p.low, "high": p.high} if p.qualifier == "range" else {"value": _number(p.value)}
        window = {"kind": p.window.kind, **({"start": p.window.start} if p.window.start else {}), "end": p.window.end}
        claim |= {"qualifier": p.qualifier, "window": window, "origin": ""}
        if p.kind == "conversion":
            claim["basis"] = ""
        if p.kind in ("plan", "share"):
            claim |= {"use": False, "reason": f"A {p.kind}, not a transfer: the model cannot use it as evidence."}
        read = f"read from '{p.figure}'" + (f" and '{p.window.phrase}'" if p.window.phrase else "")
        claim["notes"] = "; ".join(["Proposed by reportedly extract, " + read, *p.to_check])
        claims.append(claim)
    header = (f"# Draft claims proposed by `reportedly extract` from {article}. For each: confirm the quote, figure,\n"
              "# qualifier, quantity and window against the article; set `origin` (a key of sources.yaml"
              + (f"; the article names {', '.join(candidates)}" if candidates else "") + ");\n"
              "# set `relay` to the outlets that carried it; delete what is not a claim. Then: reportedly claims --check\n")
    body = {"article": article, "report_date": report_date, "relay": [], "claims": claims}
    return header + yaml.dump(body, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=10_000,
                              default_flow_style=None)


def _dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:  # write every date out, never as an anchor and alias
            return True

    return Dumper


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value

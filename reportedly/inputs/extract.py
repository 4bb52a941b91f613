"""Propose draft claims from an article's text, for the analyst to confirm.

Rules, no statistical model and nothing downloaded: each figure the text prints (read as `quotes` reads a
quote) becomes a proposal when a word the case uses for one of its quantities follows it (or, failing that,
comes before it in the same clause). The qualifier is the phrase just before the figure; the window is the
time expression nearest the figure in its clause, resolved against the article's date; with none, the
figure is read as cumulative to that date. What the rules cannot decide (the source, whether a figure
counts a transfer or a plan, the basis of a conversion) is left marked for the analyst.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from reportedly.inputs.quotes import figure_spans
from reportedly.inputs.spec import ModelSpec
from reportedly.inputs.time_phrases import MONTH, Window, nearest_window

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
PART_OF = re.compile(r"\s*(?:in|of|for|at|from|to)\b", re.I)   # '198 in construction': part of a figure before
NOW = re.compile(r"\b(?:now|currently|current)\b", re.I)
NOT_A_COUNT = re.compile(
    r"^\s*(?:-?\s*(?:mm|millimet|inch|-inch|km|kilomet|percent|per cent|year|month|day|week)|,\s*\d{4})", re.I
)


@dataclass(frozen=True)
class Proposal:
    """One draft claim: the sentence it comes from and what the rules read in it."""

    quote: str
    figure: str  # the figure as printed, with its qualifier
    quantity: str | None
    kind: str  # count, share, plan or conversion
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
                share = clause[end : end + 1] == "%" or clause[end : end + 8].lower().startswith(" percent")
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
                    to_check.append(
                        f"'{clause[start:end]}' is a word of magnitude, read as "
                        f"{'at least ' if high is None else ''}{low:,.0f}{f' to {high:,.0f}' if high else ''}"
                    )
                window = nearest_window(clause, start, end, report_date)
                if share and (now := NOW.search(clause)):  # a share of what is needed now: this month to date
                    window = Window("period", report_date.replace(day=1), report_date, now.group())
                if window.phrase is None:
                    to_check.append("no time expression: read as cumulative to the article's date")
                proposals.append(
                    Proposal(
                        quote=sentence,
                        figure=_figure_text(clause, start, end),
                        quantity=quantity,
                        kind=kind,
                        qualifier=qualifier,
                        value=None if qualifier == "range" else value,
                        low=low if qualifier == "range" else None,
                        high=high if qualifier == "range" else None,
                        window=window,
                        to_check=to_check,
                    )
                )
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
        out.append((start, sentence[start : match.start()]))
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
    """The qualifier the words just before a figure print ('more than' -> more_than), or 'none'."""
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


def _is_day_of_month(clause: str, start: int) -> bool:
    return re.search(rf"\b{MONTH}\.? *$", clause[:start], re.I) is not None


def _is_designator(clause: str, start: int) -> bool:
    """'D-30', 'KN-23': a number in a name."""
    return re.search(r"[A-Za-z]-$", clause[:start]) is not None


def _figure_text(clause: str, start: int, end: int) -> str:
    before = re.search(r"(?:\b[\w-]+\s+){0,3}$", clause[:start])
    return (clause[before.start() if before else start : end]).strip()

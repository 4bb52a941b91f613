"""Propose draft claims from an article's text, for the analyst to confirm.

Rules, no statistical model and nothing downloaded: each figure the text prints that counts something (read by
`numbers`, with its qualifier) becomes a proposal, and so does each clause that dates when something began
(`starts`). Its quantity is the one a word of the case names after it (or,
failing that, before it in the same clause, or in the sentence before for '8,000 of them'); with none, it is
proposed with no quantity and a note, for the analyst to decide whether the case needs one. The window is the
time expression nearest the figure in its clause, resolved against the article's date (`time_phrases`); with
none, the figure is read as cumulative to that date. What the rules cannot decide (the source, whether a figure
counts a transfer or a plan, the basis of a conversion) is left marked for the analyst.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from reportedly.inputs.numbers import Figure, read_figures
from reportedly.inputs.spec import ModelSpec
from reportedly.inputs.starts import Start, read_start
from reportedly.inputs.time_phrases import MONTH, Window, nearest_window

PLAN = re.compile(r"\b(?:plans?|planning|planned|will send|to be sent|may be sent|expected to|intends?)\b", re.I)
ALREADY = re.compile(r"^(?:\W*\w+){0,4}?\W+already\b", re.I)  # '... on top of the 180 already handed over': a fact
CONVERSION = re.compile(r"\bconverted\b|\bwhen convert|\bif (?:those|the|these) \w+ (?:carried|were)\b", re.I)
PART_OF = re.compile(r"\s*(?:in|of|for|at|from|to)\b", re.I)   # '198 in construction': part of a figure before
REFERS_BACK = re.compile(  # a figure whose noun is in the sentence before: 'Already 8,000 of them are ...'
    r"^\s*(?:more\s+)?(?:of (?:them|these|those)|are|were|have|had|has|is|was|already)\b"
    r"|^\s*more\s*(?:$|[,.;]|(?:in|by|during|this|next|last|to)\b)", re.I  # '8,000 workers ..., thousands more in 2025'
)
CASUALTIES = re.compile(  # '600 soldiers were killed': casualties, not a quantity of the case
    r"^(?:\W*[\w'’-]+){0,4}?\W*\b(?:killed|dead|died|wounded|injured|casualties|missing|captured)\b", re.I
)
NOW = re.compile(r"\b(?:now|currently|current)\b", re.I)
SHARE = re.compile(r"^\s*(?:%|percent\b|per cent\b)", re.I)
NOT_A_COUNT = re.compile(  # what follows a number that measures or dates rather than counts
    r"^(?:[A-Za-z]|\s*-?\s*(?:mm\b|millimet|cm\b|centimet|inch|km\b|kph|km/h|kilomet|mph|miles?\b|metres?\b"
    r"|meters?\b|feet\b|ft\b|foot\b|°|magnitude|years?\b|months?\b|days?\b|weeks?\b|hours?\b|minutes?\b"
    r"|seconds?\b|[ap]\.m\.|gmt\b|utc\b)|,\s*\d{4})",
    re.I,
)
NOT_A_COUNT_BEFORE = re.compile(  # 'Category 2', 'Resolution 2375', 'D-30'
    r"(?:\b(?:category|magnitude|no\.|chapter|article|aged?|resolutions?)|[A-Za-z]-)\s*$", re.I
)


@dataclass(frozen=True)
class Proposal:
    """One draft claim: the sentence it comes from and what the rules read in it."""

    quote: str
    figure: str  # the figure as printed, with its qualifier
    quantity: str | None
    kind: str  # count, share, plan, conversion or onset
    qualifier: str
    value: float | None
    low: float | None
    high: float | None
    window: Window
    to_check: list[str] = field(default_factory=list)


def propose(text: str, report_date: dt.date, spec: ModelSpec) -> list[Proposal]:
    """Draft claims for every figure `text` prints that counts something: with the case's quantity where a word
    the case uses for one names it, with no quantity and a note where none does."""
    words = spec.words()
    ratio_of_link = {name: link.product[1] for name, link in spec.links.items()}
    proposals = []
    named_before = None  # the quantity the sentence before names last: for '8,000 of them'
    for sentence in sentences(text):
        named_here = None
        for clause_start, clause in clauses(sentence):
            for figure in read_figures(clause):
                start, end = figure.start, figure.end
                if not _counts(clause, start, end):
                    continue
                named = last_named(clause[:start], words) or named_here or named_before
                quantity, to_check = quantity_of(clause, start, end, words, named)
                named_here = quantity or named_here
                kind = "share" if SHARE.match(clause[end:]) else "count"
                if kind == "count" and is_planned(sentence, clause_start + start, clause_start + end):
                    kind = "plan"
                    to_check.append("the sentence speaks of a plan or intention: a plan is not a transfer")
                if CONVERSION.search(sentence) and quantity in ratio_of_link:
                    kind, quantity = "conversion", ratio_of_link[quantity]
                    to_check.append("a conversion: set 'basis' to the id of the claim whose figure was converted")
                if figure.vague:
                    to_check.append(
                        f"'{clause[start:end]}' is a word of magnitude, read as "
                        f"{'at least ' if figure.high is None else ''}{figure.value:,.0f}"
                        f"{f' to {figure.high:,.0f}' if figure.high else ''}"
                    )
                if re.match(r"[$€£]", clause[start:end]):
                    to_check.append("an amount of money")
                window = nearest_window(clause, start, end, report_date)
                if kind == "share" and (now := NOW.search(clause)):  # a share of what is needed now: month to date
                    window = Window("period", report_date.replace(day=1), report_date, now.group())
                if window.phrase is None:
                    to_check.append("no time expression: read as cumulative to the article's date")
                proposals.append(_proposal(sentence, clause, figure, quantity, kind, window, to_check))
            if started := read_start(clause, report_date):
                proposals.append(_start_proposal(sentence, clause, started, spec))
        named_before = named_here or last_named(sentence, words)
    return proposals


def last_named(sentence: str, words: dict[str, str]) -> str | None:
    """The quantity a word of the case names last in the sentence ('The first troops arrived' -> troops)."""
    found = [(m.start(), quantity) for word, quantity in words.items() for m in _word(word).finditer(sentence.lower())]
    return max(found)[1] if found else None


def quantity_of(clause: str, start: int, end: int, words: dict[str, str], named: str | None
                ) -> tuple[str | None, list[str]]:
    """The quantity the figure at start:end counts (`named`: the one named last before it, for '8,000 of them'), or
    None, with the notes the analyst needs."""
    notes = []
    quantity = quantity_after(clause[end:], words) or quantity_before(clause[:start], clause[end:], words)
    if quantity is None and named and REFERS_BACK.match(clause[end:]):
        quantity = named
        notes.append("the figure's noun is a figure or sentence before it: check the quantity")
    if quantity is not None and CASUALTIES.match(clause[end:]):
        quantity = None
        notes.append("counts casualties (killed, wounded, missing), not a transfer")
    if quantity is None:
        notes.append("no quantity of the case is named: set one of " + ", ".join(sorted(set(words.values())))
                     + ", or add a quantity to the model file if the case needs it")
    return quantity, notes


def _proposal(sentence: str, clause: str, figure: Figure, quantity: str | None, kind: str, window: Window,
              to_check: list[str]) -> Proposal:
    ranged = figure.qualifier == "range"
    return Proposal(
        quote=sentence,
        figure=_figure_text(clause, figure.start, figure.end),
        quantity=quantity,
        kind=kind,
        qualifier=figure.qualifier,
        value=None if ranged else figure.value,
        low=figure.value if ranged else None,
        high=figure.high if ranged else None,
        window=window,
        to_check=to_check,
    )


def _start_proposal(sentence: str, clause: str, started: Start, spec: ModelSpec) -> Proposal:
    """A claim that dates when a flow began: the flow a word of the case names before the words of starting (or after
    them), or the flow of the link it names."""
    words = spec.words()
    named = last_named(clause[:started.at], words) or quantity_after(clause[started.at:], words)
    to_check = ["dates a start: confirm that it is when the flow began, not a part of it or another flow"]
    if named is None:
        to_check.append("no flow of the case is named: set one of " + ", ".join(spec.flows))
    elif named not in spec.flows:
        to_check.append(f"'{named}' moves with the flow '{spec.base_flow(named)}': a start is dated for a flow")
    if started.window.phrase is None:
        to_check.append("no time expression: read as begun by the article's date")
    return Proposal(quote=sentence, figure=started.words, quantity=named and spec.base_flow(named), kind="onset",
                    qualifier="none", value=None, low=None, high=None, window=started.window, to_check=to_check)


def _counts(clause: str, start: int, end: int) -> bool:
    """Whether the number at start:end counts something: not a measure, a duration, a date, or part of a name."""
    return not (
        NOT_A_COUNT.match(clause[end:])
        or NOT_A_COUNT_BEFORE.search(clause[:start])
        or clause[start:end].lower() in ("one", "two") and re.search(r"\bthe\s*$", clause[:start], re.I)  # 'the two'
        or re.search(rf"\b{MONTH} *$", clause[:start], re.I)  # 'May 13'
        or re.match(rf"\s*{MONTH}", clause[end:], re.I) and re.fullmatch(r"[0-3]?\d", clause[start:end])  # '10 March'
    )


def is_planned(sentence: str, start: int, end: int) -> bool:
    """Whether a plan word governs the figure at start:end: one before it (unless the figure is 'already' done), or
    one after it with no figure after the plan word ('5,000 workers and 1,000 sappers may be sent')."""
    if ALREADY.match(sentence[end:]):
        return False
    later_figures = [f.start for f in read_figures(sentence)]
    for cue in PLAN.finditer(sentence):
        if cue.start() < start or (cue.start() >= end and not any(a > cue.start() for a in later_figures)):
            return True
    return False


ABBREVIATIONS = re.compile(  # a full stop that ends a word, not a sentence: 'the U.N. High Commissioner', 'Gen. Perna'
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Sgt|Capt|Gov|Sen|Rep|St|No|Inc|Corp|Co|Jan|Feb|Mar|Apr|Jun|Jul"
    r"|Aug|Sep|Sept|Oct|Nov|Dec|Calif|Fla|Ga|Mich|Ariz|Mass|Va|[ap]\.m))\.$"
)


def sentences(text: str) -> list[str]:
    """The text's sentences: split at line ends, and after a full stop, question or exclamation mark that does not
    end an abbreviation."""
    out = []
    for line in text.splitlines():
        pieces: list[str] = []
        for piece in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“‘(]?[A-Z0-9])", line.strip()):
            if pieces and ABBREVIATIONS.search(pieces[-1]):
                pieces[-1] += " " + piece
            elif piece.strip():
                pieces.append(piece)
        out.extend(p.strip() for p in pieces if p.strip())
    return out


def clauses(sentence: str) -> list[tuple[int, str]]:
    """The sentence cut at semicolons and colons, where lists of separate figures are joined."""
    out, start = [], 0
    for match in re.finditer(r"[;:]", sentence):
        out.append((start, sentence[start : match.start()]))
        start = match.end()
    out.append((start, sentence[start:]))
    return out


def quantity_after(text: str, words: dict[str, str], reach: int = 6) -> str | None:
    """The quantity named within `reach` words after a figure (the longest phrase where two start together)."""
    head = " ".join(re.findall(r"[\w'’-]+", text.lower())[:reach])
    best = None
    for word, quantity in words.items():
        match = _word(word).search(head)
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
    named = [quantity_after(before[f.end:], words, reach=4) for f in read_figures(before)]
    return next((q for q in reversed(named) if q), None)


def _figure_text(clause: str, start: int, end: int) -> str:
    before = re.search(r"(?:\b[\w-]+\s+){0,3}$", clause[:start])
    return (clause[before.start() if before else start : end]).strip()


def _word(word: str) -> re.Pattern:
    """A word of the case as a whole word ('troops', not 'troopship'); the text it searches is lower-cased."""
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")

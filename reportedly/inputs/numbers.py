"""Figures as people print them, read in one place for `extract` and for the check of a claim's value against its
quote: digits with separators ('28,000', '78 784', '1.500.000'), scale words and abbreviations ('4.5 million',
'$436.1m', '12-hundred'), number words ('two and a half million', 'half a million', 'two-point-three million'),
ranges that may share one scale word ('8,000 to 10,000', '2 to 3 million', 'between 10,000 and 20,000'), words of
magnitude ('thousands of') and the qualifying words before or after a figure ('more than', 'fewer than',
'has surpassed', 'or more', '400-plus').

Years (four bare digits from 1800 to 2199) are dates, not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9,
          "trillion": 1e12}
ATTACHED_SCALES = {"k": 1e3, "m": 1e6, "bn": 1e9}  # '$436.1m', '20k': only written against the digits
UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
FRACTIONS = {"half": 0.5, "quarter": 0.25, "quarters": 0.25}

QUALIFIERS_BEFORE = [  # the words just before a figure and the qualifier they print; the first that ends the text wins
    (r"as many as|as much as", "as_many_as"),
    (r"at least|no fewer than|no less than|not less than|a minimum of", "at_least"),
    (r"up to|upto|fewer than|less than|no more than|not more than|at most|a maximum of|just under|under|below",
     "up_to"),
    (r"more than|over|upwards? of|in excess of|exceeding|exceeded|exceeds?|above|surpass(?:ed|es)?|topped|tops?"
     r"|(?:has |have )?passed(?: the)?|pass(?:es)?|past|beyond", "more_than"),
    (r"approximately|approx\.|around|about|some|roughly|an estimated|estimated|nearly|almost|close to|circa",
     "approximately"),
    (r"exactly|precisely", "exactly"),
]
QUALIFIERS_AFTER = [  # the words just after a figure, which win over those before ('some 2,000 or more')
    (r"-?\s*plus\b|\+|\s+or more\b|\s+or above\b|\s+and (?:more|above|upwards)\b", "at_least"),
    (r"\s+or so\b|-odd\b", "approximately"),
]
VAGUE = [  # words of magnitude: how they are read (low, high), always marked for the analyst
    (r"hundreds of thousands", (200_000, None)),
    (r"tens of thousands", (20_000, None)),
    (r"several thousand", (2_000, 9_000)),
    (r"a few thousand", (2_000, 5_000)),
    (r"several hundred", (200, 900)),
    (r"a few hundred", (200, 500)),
    (r"thousands of|thousands(?= (?:more )?\w)", (2_000, None)),
    (r"millions of", (2_000_000, None)),
]


@dataclass(frozen=True)
class Figure:
    """One figure as printed: where its number stands, its value (a range's low end) and how it is qualified."""

    start: int
    end: int
    value: float
    qualifier: str  # a claim's qualifier: none, approximately, more_than, at_least, as_many_as, up_to, exactly, range
    high: float | None = None  # a range's high end (None when open)
    vague: bool = False  # a word of magnitude ('thousands of'), read as value..high

    @property
    def values(self) -> list[float]:
        """The numbers it prints (both ends of a range)."""
        return [self.value] if self.high is None else [self.value, self.high]


_SEPARATED = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d,.]\d)|\d{1,3}(?:\.\d{3}){2,}"
_DIGITS = re.compile(
    rf"(?<![\d.,A-Za-z])(?<!\d\d\d\d-)(?P<currency>[$€£])?(?P<number>{_SEPARATED}|\d+(?:\.\d+)?)"
    r"(?:(?P<attached>k|m|bn)\b|(?:[\s-]*(?P<scale>hundred|thousand|million|billion|trillion|mln|mn|bn)\b))?",
    re.IGNORECASE,
)
_NUMBER_WORD = "|".join([*UNITS, *TENS, "hundred", "thousand", "million", "billion", "trillion", "dozen", *FRACTIONS,
                         "point", "a", "an", "and", "of"])
_WORDS = re.compile(rf"\b(?:{_NUMBER_WORD})(?:[\s-]+(?:{_NUMBER_WORD}))*\b", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|and)\s*$", re.IGNORECASE)


def read_figures(text: str) -> list[Figure]:
    """Every figure `text` prints, in order, with ranges joined and qualifiers read."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for pattern, (low, high) in VAGUE:
        for match in re.finditer(rf"\b(?:{pattern})", text, re.IGNORECASE):
            if not _overlaps(match.start(), match.end(), taken):
                taken.append((match.start(), match.end()))
                qualifier = "at_least" if high is None else "range"
                found.append(Figure(match.start(), match.end(), float(low), qualifier, high, vague=True))
    for start, end, value in _numbers(text):
        if not _overlaps(start, end, taken):
            found.append(Figure(start, end, value, _qualifier(text, start, end)))
    return _join_ranges(text, sorted(found, key=lambda f: f.start))


def figures_in(text: str) -> list[float]:
    """Every number a quote prints: '9 million' -> 9e6, '28,000' -> 28000, 'three brigades' -> 3, '40%' -> 40,
    '8,000 to 10,000' -> 8000 and 10000. Words of magnitude ('thousands of') print no number: how they are read is
    the analyst's."""
    return [value for figure in read_figures(text) if not figure.vague for value in figure.values]


def _numbers(text: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of each number printed in digits or in words."""
    found = []
    for match in _DIGITS.finditer(text):
        number, scale, attached = match["number"], (match["scale"] or "").lower(), (match["attached"] or "").lower()
        if not (scale or attached) and re.fullmatch(r"1[89]\d\d|2[01]\d\d", number):
            continue  # a year
        if attached and not (match["currency"] or attached == "k"):
            continue  # '12m' without a currency is more likely metres
        value = _digits_value(number, has_scale=bool(scale or attached))
        found.append((match.start(), match.end(), value * SCALES.get(scale, ATTACHED_SCALES.get(attached, 1.0))))
    for match in _WORDS.finditer(text):
        start, end, value = _words_span(text, match)
        if value is not None and not _overlaps(start, end, [(a, b) for a, b, _ in found]):
            found.append((start, end, value))
    return sorted(found)


def _digits_value(number: str, has_scale: bool) -> float:
    """'28,000' -> 28000; '78 784' -> 78784; '1.500.000' -> 1500000; '1.500' (no scale after it) -> 1500."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", number) or (
        not has_scale and re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", number)
    ):
        return float(number.replace(".", ""))
    return float(re.sub(r"[,\s\u00a0\u2009\u202f]", "", number))


def _words_span(text: str, match: re.Match) -> tuple[int, int, float | None]:
    """A run of number words trimmed of the glue words at its ends, and its value (None if it is not a number)."""
    tokens = [(m.start() + match.start(), m.end() + match.start(), m.group().lower())
              for m in re.finditer(r"[A-Za-z]+", match.group())]
    while tokens and tokens[-1][2] in ("a", "an", "and", "of", "point"):
        tokens.pop()
    while tokens and tokens[0][2] in ("and", "of", "point") or (
        tokens and tokens[0][2] in ("a", "an") and (len(tokens) == 1 or tokens[1][2] in ("and", "of"))
    ):
        tokens.pop(0)
    if not tokens:
        return 0, 0, None
    value = _words_value([t for _, _, t in tokens])
    if value is None:
        return 0, 0, None
    start, end = tokens[0][0], tokens[-1][1]
    if value == 1 and re.match(r"\s+of\b", text[end:]):  # 'one of the most powerful storms'
        return 0, 0, None
    return start, end, value


def _words_value(words: list[str]) -> float | None:
    """'two hundred thousand' -> 200000; 'two and a half million' -> 2.5e6; 'half a million' -> 5e5;
    'three-quarters of a million' -> 7.5e5; 'two point three million' -> 2.3e6; a lone 'a' or 'million' -> None."""
    total, group, decimals, counted, whole = 0.0, 0.0, None, False, False
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in UNITS or word in TENS:
            number = UNITS.get(word, TENS.get(word))
            if decimals is not None:
                decimals += str(number)
            else:
                group += number
            counted = whole = True
        elif word in ("a", "an"):
            if not group and following in ("hundred", "thousand", "million", "billion", "trillion", "dozen",
                                           "quarter"):
                group = 1.0
        elif word == "point":
            decimals = ""
        elif word in FRACTIONS:
            group = group * FRACTIONS[word] if word != "half" and group else group + FRACTIONS[word]
            counted = True
        elif word == "dozen":
            group, counted, whole = (group or 1.0) * 12, True, True
        elif word in SCALES:
            if not group and not counted and word != "hundred":
                return None  # a lone scale word
            group += float(f"0.{decimals}") if decimals else 0.0
            decimals = None
            if word == "hundred":
                group *= 100
            else:
                total, group = total + group * SCALES[word], 0.0
            counted = whole = True
    if decimals:
        group += float(f"0.{decimals}")
    return total + group if whole and total + group > 0 else None  # 'half' alone is a share, not a figure


def _qualifier(text: str, start: int, end: int) -> str:
    """The qualifier the words around a figure print; words after it win over words before."""
    after = text[end:]
    for pattern, qualifier in QUALIFIERS_AFTER:
        if re.match(pattern, after, re.IGNORECASE):
            return qualifier
    before = text[:start].lower().rstrip()
    for pattern, qualifier in QUALIFIERS_BEFORE:
        if re.search(rf"\b(?:{pattern})$", before):
            return qualifier
    return "none"


def _join_ranges(text: str, figures: list[Figure]) -> list[Figure]:
    """'8,000 to 10,000', '250-300', 'between 10,000 and 20,000', '2 to 3 million' -> one range; 'from 7 million
    to 6.8 million' is a change, not a range."""
    out: list[Figure] = []
    for figure in figures:
        last = out[-1] if out else None
        if (
            last is not None and not last.vague and not figure.vague and last.high is None
            and _RANGE_JOIN.match(text[last.end:figure.start])
            and figure.qualifier == "none"
            and not re.search(r"\bfrom\s*$", text[:last.start], re.IGNORECASE)
            and (text[last.end:figure.start].strip().lower() != "and"
                 or re.search(r"\bbetween\s*$", text[:last.start], re.IGNORECASE))
        ):
            low = last.value
            shared = _scale_of(text, figure)
            if shared and low < figure.value / shared and not _scale_of(text, last):
                low *= shared  # '2 to 3 million'
            if low < figure.value:
                out[-1] = Figure(last.start, figure.end, low, "range", figure.value)
                continue
        out.append(figure)
    return out


def _scale_of(text: str, figure: Figure) -> float | None:
    match = re.search(r"(thousand|million|billion|trillion|mn|bn)\s*$", text[figure.start:figure.end], re.I)
    return SCALES[match[1].lower()] if match else None


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)

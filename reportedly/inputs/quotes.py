"""Read a quote: the figures it prints, and where it stands in its article when only typography differs."""

from __future__ import annotations

import re

SCALES = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

_SCALE = r"(?:[\s-]*(?P<scale>thousand|million|billion|trillion|mn|bn)\b)?"
_DIGITS = re.compile(r"(?<![\d.,])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)" + _SCALE, re.IGNORECASE)
_WORD = "|".join([*UNITS, *TENS, "hundred", *SCALES])
_WORDS = re.compile(rf"\b(?:{_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_WORD}))*\b", re.IGNORECASE)

# Typography that differs between an article and a quote typed by hand.
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def figures_in(text: str) -> list[float]:
    """Every figure a quote prints: '9 million' -> 9e6, '28,000' -> 28000, 'three brigades' -> 3, '40%' -> 40.

    Years ('2024': four bare digits from 1800 to 2199) are dates, not figures.
    """
    return [value for _, _, value in figure_spans(text)]


def figure_spans(text: str) -> list[tuple[int, int, float]]:
    """Where each figure of `text` is printed and its value, in order (see `figures_in`)."""
    found = []
    for match in _DIGITS.finditer(text):
        if match["scale"] is None and re.fullmatch(r"1[89]\d\d|2[01]\d\d", match["number"]):
            continue
        value = float(match["number"].replace(",", ""))
        found.append((match.start(), match.end(), value * SCALES.get((match["scale"] or "").lower(), 1.0)))
    for match in _WORDS.finditer(text):
        value = _words_value(re.split(r"[\s-]+", match.group().lower()))
        if value:
            found.append((match.start(), match.end(), value))
    return sorted(found)


def _words_value(words: list[str]) -> float:
    """'two hundred thousand' -> 200000; 'nine million' -> 9e6; a lone scale word ('million') -> 0."""
    total, group = 0.0, 0.0
    for word in words:
        if word in UNITS or word in TENS:
            group += UNITS.get(word, 0) + TENS.get(word, 0)
        elif word == "hundred" and group:
            group *= 100
        elif word in SCALES and group:
            total += group * SCALES[word]
            group = 0.0
    return total + group


def matches_a_figure(value: float, figures: list[float]) -> bool:
    """Whether `value` is one of `figures` (to rounding error)."""
    return any(abs(value - f) <= 1e-9 * max(abs(value), 1.0) for f in figures)


def normalise(text: str) -> tuple[str, list[int]]:
    """Text with typography unified and runs of white space collapsed; with each character's index in `text`."""
    out, where = [], []
    for i, char in enumerate(text.translate(_TYPOGRAPHY)):
        if char.isspace():
            if out and out[-1] == " ":
                continue
            char = " "
        out.append(char)
        where.append(i)
    return "".join(out), where


def near_verbatim(quote: str, article: str) -> str | None:
    """The article's own text for a quote that differs from it only in quotes, apostrophes, dashes or spacing."""
    wanted = normalise(quote)[0].strip()
    text, where = normalise(article)
    at = text.find(wanted)
    if not wanted or at < 0:
        return None
    return article[where[at]:where[at + len(wanted) - 1] + 1]

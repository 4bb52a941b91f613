"""Where a quote stands in its article when only typography differs, and whether a value is one of its figures."""

from __future__ import annotations

# Typography that differs between an article and a quote typed by hand.
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


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

"""Number-reading libraries against `reportedly`'s own reader, on the labelled corpus (tests/corpus/sentences.yaml).

Not part of the package: run it in a separate environment that has the libraries,

    python -m venv /tmp/readers && /tmp/readers/bin/pip install pyyaml text2num==3.1.0 number-parser==0.3.2 \
        numerizer==0.2.4 quantulum3==0.10.0
    /tmp/readers/bin/python bench/number_readers.py

A figure is found when the reader gives its value (both ends of a range) from its sentence. text2num, number-parser
and numerizer turn number words into digits inside the text, so each is followed by the same plain reader of
digits and scale words ("28,000", "4.5 million"); quantulum3 gives values itself. Qualifiers are not scored here:
none of the libraries reads them.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def plain_digits(text: str) -> list[float]:
    """Digits with comma separators and an optional scale word: what a short regular expression reads."""
    out = []
    for m in re.finditer(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion)\b)?", text, re.I):
        out.append(float(m[1].replace(",", "")) * SCALES.get((m[2] or "").lower(), 1.0))
    return out


def readers() -> dict:
    from number_parser import parse as number_parser_parse
    from numerizer import numerize
    from quantulum3 import parser as quantulum
    from text_to_num import alpha2digit

    from reportedly.inputs.numbers import figures_in

    return {
        "reportedly (own rules)": figures_in,
        "plain digits only": plain_digits,
        "text2num + plain digits": lambda t: plain_digits(alpha2digit(t, "en")),
        "number-parser + plain digits": lambda t: plain_digits(number_parser_parse(t)),
        "numerizer + plain digits": lambda t: plain_digits(numerize(t)),
        "quantulum3": lambda t: [q.value for q in quantulum.parse(t)],
    }


def main() -> None:
    pages = yaml.safe_load((ROOT / "tests" / "corpus" / "sentences.yaml").read_text(encoding="utf-8"))["pages"]
    figures = [(s["text"], f["value"] if isinstance(f["value"], list) else [f["value"]], f["phrasing"])
               for p in pages for s in p["sentences"] for f in s["figures"]]
    print(f"{len(figures)} figures\n")
    print("| reader | figures found | words | scale | range | separator | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, read in readers().items():
        clock = time.perf_counter()
        hits = []
        for text, wanted, phrasing in figures:
            try:
                got = read(text)
            except Exception:  # a library that fails on a sentence finds nothing in it
                got = []
            hits.append((phrasing, all(any(abs(g - w) <= 1e-6 * w for g in got) for w in wanted)))
        seconds = time.perf_counter() - clock
        found = sum(h for _, h in hits)
        kinds = " | ".join(_share(hits, kind) for kind in ("words", "scale", "range", "separator"))
        print(f"| {name} | {found} ({found / len(hits):.0%}) | {kinds} | {seconds:.2f} |")


def _share(hits: list[tuple[str, bool]], kind: str) -> str:
    return f"{sum(h for p, h in hits if p == kind)}/{sum(p == kind for p, _ in hits)}"


if __name__ == "__main__":
    main()

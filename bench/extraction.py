"""How well `reportedly extract` reads figures: in real sentences it was not written against, and in the seed
articles it was.

    python bench/extraction.py [-v]

The corpus (tests/corpus/sentences.yaml), its held-out pages apart: each page's sentences are given as one small
article with the page's date; a labelled figure is found when a proposal from its sentence has its value (both ends of a range); then
whether the proposal's qualifier and window agree (a window with a start compares by its start and end, one with
none by its end; windows labelled null are rates or plans and are not scored). Scored per kind of phrasing.

Dated starts (tests/corpus/starts.yaml): for each sentence, whether `extract` proposes a claim that dates a start
where the label dates one, with its window, and whether it proposes one where the label dates none.

The seed articles: for every shipped claim (used or not), the proposal from the same article whose sentence holds the
claim's quote and whose figure has the claim's value (for a claim that dates a start, a proposal that dates one); then
whether its qualifier, window and quantity agree. Proposals that match no shipped claim are counted as not claims.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from reportedly.inputs.case import load_case
from reportedly.inputs.extract import propose
from reportedly.inputs.quotes import normalise
from reportedly.inputs.schema import ClaimKind

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "sentences.yaml"
STARTS = ROOT / "tests" / "corpus" / "starts.yaml"


def score_corpus(corpus: Path = CORPUS, root: Path = ROOT) -> list[dict]:
    """One row per labelled figure: its phrasing, whether it was found, with its qualifier, and its window."""
    spec = load_case(root).spec
    rows = []
    for page in yaml.safe_load(corpus.read_text(encoding="utf-8"))["pages"]:
        day = page["date"]
        proposals = propose("\n".join(s["text"] for s in page["sentences"]), day, spec)
        for sentence in page["sentences"]:
            text = _plain(sentence["text"])
            mine = [p for p in proposals if _plain(p.quote) in text]
            for figure in sentence["figures"]:
                wanted = figure["value"] if isinstance(figure["value"], list) else [figure["value"], None]
                match = next((p for p in mine if _printed(p) == tuple(float(v) if v is not None else None
                                                                      for v in wanted)), None)
                window = figure.get("window", ["cumulative", None, day])
                rows.append({
                    "held_out": page.get("held_out", False), "page": page["source"], "sentence": sentence["text"], "figure": figure, "proposal": match,
                    "phrasing": figure["phrasing"], "found": match is not None,
                    "qualifier": match is not None and match.qualifier == figure["qualifier"],
                    "window": None if window is None else match is not None and _window_key(*window) == _window_key(
                        match.window.kind, match.window.start, match.window.end),
                })
    return rows


def score_starts(corpus: Path = STARTS, root: Path = ROOT) -> list[dict]:
    """One row per labelled sentence: whether it dates a start, whether a start was proposed, and with its window."""
    spec = load_case(root).spec
    rows = []
    for page in yaml.safe_load(corpus.read_text(encoding="utf-8"))["pages"]:
        for sentence in page["sentences"]:
            started = [p for p in propose(sentence["text"], page["date"], spec) if p.kind == ClaimKind.onset]
            label = sentence["start"]
            rows.append({"page": page["source"], "sentence": sentence["text"], "dated": label is not None,
                         "proposed": bool(started), "proposal": started[0] if started else None,
                         "window": label is not None and bool(started) and _window_key(*label) == _window_key(
                             started[0].window.kind, started[0].window.start, started[0].window.end)})
    return rows


def starts_proposed(corpus: Path, root: Path = ROOT) -> list:
    """The proposals that date a start among those of a corpus's pages."""
    spec = load_case(root).spec
    return [p for page in yaml.safe_load(corpus.read_text(encoding="utf-8"))["pages"]
            for p in propose("\n".join(s["text"] for s in page["sentences"]), page["date"], spec)
            if p.kind == ClaimKind.onset]


def render_starts(rows: list[dict]) -> str:
    dated = [r for r in rows if r["dated"]]
    undated = [r for r in rows if not r["dated"]]
    found, right = sum(r["proposed"] for r in dated), sum(r["window"] for r in dated)
    wrong = sum(r["proposed"] for r in undated)
    return "\n".join([
        "| sentences dating a start | proposed | with the right window | sentences dating none | proposed anyway |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(dated)} | {found} ({found / len(dated):.0%}) | {right} ({right / len(dated):.0%}) | {len(undated)} | "
        f"{wrong} |",
    ])


def _plain(text: str) -> str:
    return normalise(text)[0].strip()


def _printed(p) -> tuple[float | None, float | None]:
    return (p.value, None) if p.low is None else (p.low, p.high)


def _window_key(kind: str, start: dt.date | None, end: dt.date) -> tuple:
    return (start, end) if start is not None else ("cumulative", end)


def render_corpus(rows: list[dict]) -> str:
    groups = defaultdict(list)
    for r in rows:
        groups[r["phrasing"]].append(r)
    lines = [
        "| phrasing | figures | found | found with the right qualifier | windows scored | right window |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, group in [*sorted(groups.items()), ("all", rows)]:
        n = len(group)
        found, qualified = sum(r["found"] for r in group), sum(r["qualifier"] for r in group)
        scored = [r for r in group if r["window"] is not None]
        right = sum(r["window"] for r in scored)
        lines.append(
            f"| {name} | {n} | {found} ({found / n:.0%}) | {qualified} ({qualified / n:.0%}) | {len(scored)} | "
            f"{right} ({right / len(scored):.0%}) |" if scored else
            f"| {name} | {n} | {found} ({found / n:.0%}) | {qualified} ({qualified / n:.0%}) | 0 | - |"
        )
    return "\n".join(lines)


def score(root: Path = ROOT) -> dict:
    case = load_case(root)
    by_article: dict[str, list] = {}
    rows = []
    claims = case.evidence.claims
    for claim in claims:
        article = claim.article
        if article not in by_article:
            dated = max(c.report_date for c in claims if c.article == article)  # the article's own date
            by_article[article] = propose(case.evidence.articles[article], dated, case.spec)
        quote = normalise(claim.quote)[0].strip()
        value = claim.value if claim.value is not None else claim.low
        match = next((p for p in by_article[article] if quote in normalise(p.quote)[0] and (p.kind == claim.kind
                      if claim.kind == ClaimKind.onset else (p.value if p.value is not None else p.low) == value)), None)
        window = claim.window
        rows.append({
            "claim": claim.id, "found": match is not None,
            "qualifier": match is not None and match.qualifier == claim.qualifier,
            "window": match is not None and (match.window.kind, match.window.start, match.window.end)
            == (window.kind, window.start, window.end),
            "quantity": match is not None and match.quantity == claim.quantity,
            "proposal": match,
        })
    matched = {id(r["proposal"]) for r in rows if r["proposal"] is not None}
    proposals = [p for ps in by_article.values() for p in ps]
    return {"rows": rows, "claims": len(rows), "proposals": len(proposals),
            "not_claims": sum(id(p) not in matched for p in proposals),
            "unmatched": [p for p in proposals if id(p) not in matched]}


def render(result: dict) -> str:
    n = result["claims"]
    count = lambda key: sum(r[key] for r in result["rows"])  # noqa: E731
    both = sum(r["found"] and r["qualifier"] for r in result["rows"])
    return "\n".join(
        [
            "| shipped claims | found with the right value and qualifier | right window | right quantity | proposals | proposals that were not claims |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {n} | {both} ({both / n:.0%}) | {count('window')} ({count('window') / n:.0%}) | "
            f"{count('quantity')} ({count('quantity') / n:.0%}) | {result['proposals']} | {result['not_claims']} |",
        ]
    )


if __name__ == "__main__":
    all_rows = score_corpus()
    for held_out in (False, True):
        corpus_rows = [r for r in all_rows if r["held_out"] == held_out]
        pages = {r["page"] for r in corpus_rows}
        sentences = {r["sentence"] for r in corpus_rows}
        print(f"{'Held-out pages' if held_out else 'Corpus'}: {len(corpus_rows)} figures in {len(sentences)} "
              f"sentences from {len(pages)} pages\n")
        print(render_corpus(corpus_rows) + "\n")
    start_rows = score_starts()
    print(f"Dated starts: {len(start_rows)} sentences from {len({r['page'] for r in start_rows})} pages\n")
    print(render_starts(start_rows) + "\n")
    elsewhere = starts_proposed(CORPUS)
    print(f"Starts proposed from the figures' corpus ({len({r['sentence'] for r in all_rows})} sentences, none "
          f"labelled as dating one): {len(elsewhere)}\n")
    if "-v" in sys.argv:
        for r in start_rows:
            if r["dated"] != r["proposed"] or r["dated"] and not r["window"]:
                print("START", r["dated"], r["proposal"] and r["proposal"].window, "|", r["sentence"][:150])
        for p in elsewhere:
            print("START IN THE FIGURES' CORPUS", p.window, "|", p.quote[:150])
        for r in all_rows:
            if not (r["qualifier"] and r["window"] is not False):
                p = r["proposal"]
                print("MISS" if p is None else "QUAL" if not r["qualifier"] else "WINDOW", r["figure"],
                      (p.value, p.low, p.high, p.qualifier, p.window) if p else "", "|", r["sentence"][:150])
    root = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), ROOT)
    result = score(root)
    print(f"\nShipped claims in their articles ({root.name}):\n")
    print(render(result))
    if "-v" in sys.argv:
        for r in result["rows"]:
            p = r["proposal"]
            print(
                r["claim"],
                "found" if r["found"] else "MISSING",
                "" if r["qualifier"] else "QUAL",
                "" if r["window"] else "WINDOW",
                "" if r["quantity"] else "QUANTITY",
                (p.qualifier, p.window, p.quantity, p.kind) if p else "",
            )
        for p in result["unmatched"]:
            print("NOT A CLAIM:", p.figure, p.quantity, p.qualifier, "|", p.quote[:100])

"""How well `reportedly extract` finds the shipped claims in the five seed articles.

For every shipped claim (used or not), the proposal from the same article whose sentence holds the claim's
quote and whose figure has the claim's value; then whether its qualifier, window and quantity agree.
Proposals that match no shipped claim are counted as not claims.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportedly.inputs.case import load_case
from reportedly.inputs.extract import propose
from reportedly.inputs.quotes import normalise

ROOT = Path(__file__).resolve().parents[1]


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
        match = next((p for p in by_article[article]
                      if quote in normalise(p.quote)[0] and (p.value if p.value is not None else p.low) == value), None)
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
    result = score(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
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

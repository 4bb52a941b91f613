"""A claims file drafted from `extract`'s proposals, for the analyst to confirm, and the sources an article names."""

from __future__ import annotations

import datetime as dt
import re

from reportedly.inputs.extract import Proposal


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
    """A claims file (YAML) of the proposals, for the analyst to confirm: `origin` (and a conversion's `basis`, and
    the quantity of a figure no word of the case names) are left empty, so `reportedly claims --check` refuses the
    file until they are set."""
    import yaml

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", article.rsplit(".", 1)[0]).strip("-") or "article"
    claims = []
    for i, p in enumerate(proposals, start=1):
        claim = {"id": f"{stem}-{i}", "assessment": f"{stem}-{i}", "quote": p.quote, "quantity": p.quantity or "",
                 "kind": p.kind}
        if p.kind != "onset":
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
    header = (
        f"# Draft claims proposed by `reportedly extract` from {article}. For each: confirm the quote, figure,\n"
        "# qualifier, quantity and window against the article; set `origin` (a key of sources.yaml"
        + (f"; the article names {', '.join(candidates)}" if candidates else "")
        + ");\n"
        "# set an empty `quantity` (or delete the claim); set `relay` to the outlets that carried it; delete what\n"
        "# is not a claim. Then: reportedly claims --check\n"
    )
    body = {"article": article, "report_date": report_date, "relay": [], "claims": claims}
    return header + yaml.dump(
        body, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None
    )


def _dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:  # write every date out, never as an anchor and alias
            return True

    return Dumper


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value

"""`reportedly extract`: draft claims from an article, and the draft written into the case's seeds/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportedly.errors import InputError, ReportedlyError
from reportedly.files import atomic_write
from reportedly.inputs.case import model_file
from reportedly.inputs.claims import load_evidence, load_sources
from reportedly.inputs.drafts import draft_claims, named_sources
from reportedly.inputs.extract import Proposal, propose
from reportedly.inputs.spec import load_spec


def read_article(path: Path) -> str:
    """An article's text, or an error saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ReportedlyError(f"{path}: is not UTF-8 text; save the article as UTF-8 and try again") from None
    except OSError as exc:
        raise ReportedlyError(
            f"{path}: cannot be read ({exc.strerror or exc}); give the article as a text file"
        ) from None


def article_date(root: Path, article: Path, given: dt.date | None) -> dt.date:
    """The date the article's windows are read against: as given, or its claims file's report date."""
    try:
        dated = [c.report_date for c in load_evidence(root / "seeds").claims if c.article == article.name]
    except InputError:
        dated = []
    if given is None and not dated:
        raise ReportedlyError(
            f"give the date of {article.name} with --date YYYY-MM-DD: windows such as 'last year' "
            "or 'since September' are read against it"
        )
    return given or max(dated)


def proposals_for(root: Path, case: str | None, article: Path, text: str, day: dt.date) -> tuple[list[Proposal], str]:
    """The proposals for an article of the case, and the claims file drafted from them."""
    spec, _ = load_spec(model_file(root, case))  # the claims need not be valid: a draft may be in progress
    proposals = propose(text, day, spec)
    sources = load_sources(root / "seeds" / "sources.yaml")
    return proposals, draft_claims(article.name, day, proposals, named_sources(text, sources))


def write_draft(root: Path, article: Path, text: str, draft: str) -> Path:
    """The draft into seeds/claims/ and the article into seeds/articles/, never over an existing file."""
    seeds = root / "seeds"
    target = seeds / "claims" / f"{article.stem}.yaml"
    copy = seeds / "articles" / article.name
    if target.exists():
        raise ReportedlyError(
            f"{target} exists and extract never overwrites; edit it, or move it away and extract again"
        )
    if copy.exists() and copy.read_text(encoding="utf-8", errors="replace") != text:
        raise ReportedlyError(f"{copy} exists with other text; rename the new article and extract again")
    if not copy.exists():
        atomic_write(copy, lambda p: p.write_text(text, encoding="utf-8"))
    atomic_write(target, lambda p: p.write_text(draft, encoding="utf-8"))
    return target

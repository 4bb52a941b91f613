"""`reportedly extract`: draft claims proposed from an article's text."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from reportedly.cli.common import case_root, date
from reportedly.workflows.extract import article_date, proposals_for, read_article, write_draft


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("extract", help="propose draft claims from an article's text, for you to confirm")
    p.add_argument("article", type=Path, help="the article, as a UTF-8 text file")
    p.add_argument("case", nargs="?")
    p.add_argument("--date", type=date, help="the article's date, against which 'last year' or 'since' are read "
                   "(default: the report date of the claims file for this article, if there is one)")
    p.add_argument("--write", action="store_true",
                   help="write the draft into seeds/claims/ (and the article into seeds/articles/); never overwrites")
    p.add_argument("--json", action="store_true", help="print the proposals as JSON")
    p.set_defaults(command=extract)


def extract(args) -> int:
    """Print the draft claims file of an article (or its proposals as JSON), or write it into the case."""
    root = case_root(args)
    text = read_article(args.article)
    day = article_date(root, args.article, args.date)
    proposals, draft = proposals_for(root, args.case, args.article, text, day)
    if args.json:
        print(json.dumps([dataclasses.asdict(p) for p in proposals], indent=1, default=str))
        return 0
    print(f"{len(proposals)} proposed claim(s) from {args.article.name}, read against {day}; confirm each and set its "
          "origin before using it", file=sys.stderr)
    if not args.write:
        print(draft, end="")
        return 0
    target = write_draft(root, args.article, text, draft)
    print(f"wrote {target}; set each claim's origin, then: reportedly claims --check", file=sys.stderr)
    return 0

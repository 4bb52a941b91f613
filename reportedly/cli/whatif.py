"""`reportedly whatif`: the headlines if a source were rated otherwise, or left out, beside the saved fit."""

from __future__ import annotations

import argparse
import json
import sys

from reportedly.cli.common import saved_fit


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("whatif", help="the headlines if a source were rated otherwise or left out (a refit; "
                            "nothing is written)")
    p.add_argument("case", nargs="?")
    p.add_argument("--rate", action="append", default=[], type=rating, metavar="SOURCE=LETTER",
                   help="rate a source with another Admiralty letter, e.g. --rate msmt=D (repeatable)")
    p.add_argument("--without", action="append", default=[], metavar="SOURCE",
                   help="leave out the claims a source originated (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=whatif)


def rating(text: str) -> tuple[str, str]:
    """SOURCE=LETTER."""
    source, _, letter = text.partition("=")
    if not source or not letter:
        raise argparse.ArgumentTypeError(f"expected SOURCE=LETTER, e.g. msmt=D; got {text!r}")
    return source, letter.upper()


def whatif(args) -> int:
    """Refit with the changes and print each headline as fitted and as it would be."""
    from reportedly.levels import WIDEST, percent
    from reportedly.results.render import interval_text, number, provenance_lines
    from reportedly.workflows.whatif import rated_anew, what_if

    case, saved, _ = saved_fit(args)
    ratings = dict(args.rate)
    changed = rated_anew(case, ratings, args.without)
    print("refitting with " + "; ".join([*(f"{s} rated {letter} (was {case.evidence.sources[s].rating})"
                                           for s, letter in ratings.items()), *(f"without {s}" for s in args.without)])
          + " ...", file=sys.stderr)
    table, diagnostics = what_if(changed, saved.headlines)
    passed = "converged" if diagnostics.passed else "NOT CONVERGED: " + "; ".join(diagnostics.failures)
    if args.json:
        print(json.dumps({"ratings": ratings, "without": args.without, "diagnostics": passed,
                          "headlines": table.to_dict("records")}, indent=2))
        return 0 if diagnostics.passed else 1
    wide = f"{percent(WIDEST)}%"
    for row in table.itertuples():
        print(f"{row.label}\n  as fitted {number(row.median)} ({wide} {interval_text(row.q05, row.q95)}); what if "
              f"{number(row.what_if_median)} ({wide} {interval_text(row.what_if_q05, row.what_if_q95)}), "
              f"{row.shift:+.0%}")
    print(f"as fitted: {provenance_lines(saved.attrs)[0]}")
    print(f"what if: the same seed; diagnostics: {passed}")
    return 0 if diagnostics.passed else 1

"""`reportedly query`: any window's total, a ratio, or what a new report would print, from saved estimates."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from reportedly.cli.common import add_as_of, date, saved_estimates
from reportedly.errors import ReportedlyError
from reportedly.inputs.schema import RATINGS
from reportedly.levels import LEVELS, WIDEST, bounds, percent


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("query", help="posterior of a total over any window, or of what a new report would print")
    p.add_argument("case")
    p.add_argument("quantity", nargs="?")
    p.add_argument("--from", dest="start", type=date, help="first day (default: since the flow began)")
    p.add_argument("--to", dest="end", type=date, help="last day (default: the latest report)")
    p.add_argument("--first-days", type=days, metavar="N",
                   help="the total in the first N days after the flow began, wherever each draw puts its start")
    p.add_argument("--rating", choices=RATINGS, help="also predict what a source with this rating would print")
    p.add_argument("--batch", type=Path, help="CSV with columns quantity,start,end,rating (and optionally "
                   "first_days, instead of start and end): one answer per row")
    p.add_argument("--horizon", type=date, help="forecast up to this day (default: the model file's [time] horizon)")
    add_as_of(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=query)


def days(text: str) -> int:
    """A number of days, 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, 1 or more; got {text!r}")
    return int(text)


def _interval(quantiles: dict, level: float) -> str:
    from reportedly.results.render import interval_text

    return f"{percent(level)}% " + interval_text(*(quantiles[str(q)] for q in bounds(level)))


def query(args) -> int:
    """Answer one question, or each row of a batch file (exit 2 if any row cannot be answered)."""
    from reportedly.results.query import answer, read_batch
    from reportedly.results.render import number

    case, est, _ = saved_estimates(args, light=True)
    if args.horizon:
        est = dataclasses.replace(est, forecast_horizon=args.horizon)
    if args.batch:
        rows = read_batch(args.batch)
    elif args.quantity:
        if args.first_days and (args.start or args.end):
            raise ReportedlyError("--first-days counts from where the flow began: leave out --from and --to")
        rows = [{"quantity": args.quantity, "start": args.start, "end": args.end, "rating": args.rating,
                 "first_days": args.first_days}]
    else:
        raise ReportedlyError("query needs a QUANTITY or --batch FILE.csv")
    answers = [answer(est, row) for row in rows]
    if not args.batch and "error" in answers[0]:
        raise ReportedlyError(answers[0]["error"])
    failed = [a for a in answers if "error" in a]
    if args.json:
        print(json.dumps(answers if args.batch else answers[0], indent=2))
    for a in [] if args.json else answers:
        if "error" in a:
            print(f"line {a['line']}: {a['error']}")
            continue
        window = (f"first {a['first_days']} days after it began" if a.get("first_days")
                  else f"{a['start'] or 'onset'} to {a['end']}" if a["end"] else "(ratio)")
        total = a["total"]
        print(f"{a['quantity']} {window}: median {number(total['0.5'])}, "
              + ", ".join(_interval(total, level) for level in LEVELS))
        if a.get("past_axis_end"):
            print(f"  in {a['past_axis_end']:.1%} of draws these days run past the end of the time axis "
                  f"({a['axis_end']}) and count nothing there; --from and --to forecast past it")
        if a.get("onset_interval"):
            print(f"  the window begins or ends while the flow may not yet have begun (its onset, {percent(WIDEST)}%: "
                  f"{' to '.join(a['onset_interval'])}): the interval spans both; for its first N days wherever it "
                  "began: --first-days N")
        if a["forecast_from"]:
            print(f"  a forecast past the latest report ({a['forecast_from']}): the flows go on under the model's own "
                  "dynamics, so the interval widens with every month")
        if a["report"]:
            print(f"  a new {a['rating']}-rated report would print: median {number(a['report']['0.5'])}, "
                  f"{_interval(a['report'], WIDEST)}")
    if failed:
        print(f"error: {len(failed)} of {len(answers)} rows could not be answered "
              f"(lines {', '.join(str(a['line']) for a in failed)}); see each row's error", file=sys.stderr)
        return 2
    return 0

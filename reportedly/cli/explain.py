"""`reportedly explain`: which claims drive which headline."""

from __future__ import annotations

import json
import sys

from reportedly.cli.common import saved_estimates
from reportedly.errors import ReportedlyError, did_you_mean
from reportedly.levels import WIDEST, percent
from reportedly.results.psis import PARETO_K_GOOD


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("explain", help="which claims drive which headline: each headline without each used claim")
    p.add_argument("case", nargs="?")
    p.add_argument("headline", nargs="?", help="only this headline (default: all)")
    p.add_argument("--no-refit", action="store_true",
                   help=f"importance sampling only; do not refit where its Pareto k is above {PARETO_K_GOOD}")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", action="store_true", help="if another run is writing this case's estimates, wait for it")
    p.set_defaults(command=explain)


def explain(args) -> int:
    """Print each headline without each claim, largest moves first."""
    from reportedly.results.render import driver_lines, interval_text, number
    from reportedly.workflows.explain import explain as explained

    case, est, _ = saved_estimates(args)
    names = [h.name for h in est.spec.headlines]
    if args.headline is not None and args.headline not in names:
        raise ReportedlyError(f"no headline '{args.headline}'{did_you_mean(args.headline, names)}; "
                              f"the model file has {', '.join(names)}")
    table = explained(case, est, refit=not args.no_refit, wait=args.wait, refitting=lambda claim: print(
        f"refitting without {claim} (Pareto k above {PARETO_K_GOOD}) ...", file=sys.stderr))
    if args.headline is not None:
        table = table[table["headline"] == args.headline]
    if args.json:
        print(json.dumps(table.to_dict("records"), indent=2))
        return 0
    labels = {h.name: h.label for h in est.spec.headlines}
    ranked = table.assign(size=table["shift"].abs()).sort_values("size", ascending=False, kind="stable")
    for name in dict.fromkeys(table["headline"]):
        group = ranked[ranked["headline"] == name]
        first = group.iloc[0]
        print(f"{labels[name]}: median {number(first['median'])}, {percent(WIDEST)}% "
              f"{interval_text(first['q05'], first['q95'])}")
        print("\n".join(driver_lines(group)))
    return 0

"""`reportedly claims` and `reportedly sources`: the evidence, listed and checked."""

from __future__ import annotations

import json
import sys
from collections import Counter

from reportedly.cli.common import case_of
from reportedly.inputs.claims import relay_differences


def add_parsers(commands) -> None:
    """The commands' arguments."""
    p = commands.add_parser("claims", help="list and validate the claims, with provenance")
    p.add_argument("--check", action="store_true", help="validate everything; exit non-zero on any error")
    p.add_argument("--json", action="store_true", help="print the claims as a JSON list")
    p.add_argument("--quantity", help="only claims about this quantity")
    p.add_argument("--origin", help="only claims from this origin")
    p.add_argument("--article", help="only claims from this article file")
    p.add_argument("case", nargs="?", help="case name (default: the only model file)")
    p.set_defaults(command=claims)

    p = commands.add_parser("sources", help="the source registry with ratings and claim counts")
    p.add_argument("case", nargs="?")
    p.set_defaults(command=sources)


def claims(args) -> int:
    """List the claims (those asked for), with where each comes from and whether it is used."""
    case = case_of(args)
    shown = [c for c in case.evidence.claims
             if (args.quantity is None or c.quantity == args.quantity)
             and (args.origin is None or c.origin == args.origin)
             and (args.article is None or c.article == args.article)]
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in shown], indent=2, ensure_ascii=False))
        return 0
    for c in shown:
        start = c.window.start.isoformat() if c.window.start else "onset"
        used = "used" if c.use else f"not used: {c.reason}"
        print(f"{c.id:32} {c.quantity:20} {c.figure:>22}  {c.window.kind} {start}..{c.window.end}")
        print(f"{'':32} {c.origin} via {', '.join(c.relay) or 'direct'}; assessment {c.assessment}; {used}")
    used = case.evidence.used
    print(f"\n{len(shown)} claims shown; {len(case.evidence.claims)} in all, {len(used)} used as evidence "
          f"({len({c.assessment for c in case.evidence.claims})} assessments).")
    if args.check:
        from reportedly.inputs.sanity import check_settings

        findings = check_settings(case)
        for finding in findings:
            print(f"{'error' if finding.refuse else 'warning'}: {finding}", file=sys.stderr)
        if any(f.refuse for f in findings):
            return 2
        ids = {c.id for c in shown}
        differences = [d for d in relay_differences(case.evidence.claims) if {d.used, d.relay} & ids]
        if differences:
            print(
                f"\n{len(differences)} relay difference(s), kept for provenance (the model uses the first claim named):"
            )
            for d in differences:
                print(f"  {d.assessment}: {d.used} {d.field}={d.used_value}  vs  {d.relay} {d.field}={d.relay_value}")
        print("\nall claims valid.")
    return 0


def sources(args) -> int:
    """The source registry: each source's rating and type, and how many claims name it."""
    case = case_of(args)
    as_origin = Counter(c.origin for c in case.evidence.claims)
    as_relay = Counter(r for c in case.evidence.claims for r in c.relay)
    used = Counter(c.origin for c in case.evidence.used)
    print(f"{'source':20} {'rating':6} {'type':24} {'origin of':>9} {'used':>5} {'relayed':>8}  name")
    for key, s in case.evidence.sources.items():
        print(
            f"{key:20} {s.rating:6} {s.type.value:24} {as_origin[key]:>9} {used[key]:>5} {as_relay[key]:>8}  {s.name}"
        )
        print(f"{'':20} {s.rationale}")
    return 0

"""`reportedly summary`, `plot` and `report`: the saved estimates as text, figures, or one page to share."""

from __future__ import annotations

import json
from pathlib import Path

from reportedly.cli.common import add_as_of, saved_estimates, saved_fit
from reportedly.locks import exclusive
from reportedly.results import store


def add_parsers(commands) -> None:
    """The commands' arguments."""
    p = commands.add_parser("summary", help="posterior summary from saved estimates")
    p.add_argument("case", nargs="?")
    add_as_of(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=summary)

    p = commands.add_parser("plot", help="draw the figures into estimates/<case>/figures/ from saved estimates")
    p.add_argument("case", nargs="?")
    p.set_defaults(command=plot)

    p = commands.add_parser("report", help="one self-contained HTML page of the estimates, to share")
    p.add_argument("case", nargs="?")
    p.add_argument("--out", type=Path, help="where to write it (default: estimates/<case>/report.html)")
    p.set_defaults(command=report)


def summary(args) -> int:
    """Print the headlines and the sources' learned reliability, from the tables `estimate` saved."""
    from reportedly.results.render import render_summary_text

    case, saved, warnings = saved_fit(args)
    if args.json:
        print(json.dumps({"case": case.name, "warnings": warnings, "headlines": saved.headlines,
                          "onsets": saved.onsets, "sources": saved.sources}, indent=2))
    else:
        print(render_summary_text(case.spec.case.title, saved.attrs, saved.headlines, saved.sources, [], saved.onsets))
    return 0


def plot(args) -> int:
    """Draw the figures anew and print where each went."""
    from reportedly.results.influence import influence_table
    from reportedly.results.tables import claim_fit_table
    from reportedly.workflows.estimate import draw_figures

    case, est, _ = saved_estimates(args)
    claims = list(case.evidence.claims)
    influence = influence_table(est) if "log_likelihood" in est.posterior else None
    claims_fit = claim_fit_table(est, claims, int(est.attrs["random_seed"]))
    with exclusive(store.folder(case), "write", wait=True):
        written = draw_figures(store.folder(case), est, claims, claims_fit, influence)
    for path in written:
        print(path)
    return 0


def report(args) -> int:
    """Write the HTML page and print where it went."""
    from reportedly.files import atomic_write
    from reportedly.workflows.page import page_of

    case, est, warnings = saved_estimates(args)
    page = page_of(case, est, warnings)
    out = args.out or store.folder(case) / store.PAGE
    with exclusive(store.folder(case), "write", wait=True):
        atomic_write(out, lambda path: path.write_text(page, encoding="utf-8"))
    print(out)
    return 0

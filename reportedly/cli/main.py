"""Command line: `reportedly claims | sources | extract | estimate | summary | query | explain | check | plot | report`.
Renders what the library returns."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from reportedly.inputs.case import Case, check_root, find_root, load_case, model_file
from reportedly.inputs.claims import relay_differences
from reportedly.errors import InputError, ReportedlyError, did_you_mean

log = logging.getLogger("reportedly")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failed gate or check, 2 bad input)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("reportedly").setLevel(logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    try:
        return args.command(args)
    except InputError as exc:
        print(f"error: {len(exc.problems)} problem(s) in the input:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ReportedlyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=_date, metavar="DATE", help="the case as it stood on DATE: only the claims "
                        "reported by then (estimates in estimates/<case>-as-of-DATE/)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reportedly", description=__doc__)
    parser.add_argument("--root", type=Path, help="case folder holding seeds/ and models/ (default: found from here upward)")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("claims", help="list and validate the claims, with provenance")
    p.add_argument("--check", action="store_true", help="validate everything; exit non-zero on any error")
    p.add_argument("--json", action="store_true", help="print the claims as a JSON list")
    p.add_argument("--quantity", help="only claims about this quantity")
    p.add_argument("--origin", help="only claims from this origin")
    p.add_argument("--article", help="only claims from this article file")
    p.add_argument("case", nargs="?", help="case name (default: the only model file)")
    p.set_defaults(command=cmd_claims)

    p = sub.add_parser("sources", help="the source registry with ratings and claim counts")
    p.add_argument("case", nargs="?")
    p.set_defaults(command=cmd_sources)

    p = sub.add_parser("estimate", help="fit the case, gate on diagnostics, write estimates/<case>/")
    p.add_argument("case", nargs="?")
    p.add_argument("--seed", type=int, help="override the model file's random_seed")
    p.add_argument("--allow-unconverged", action="store_true",
                   help="write estimates even if the diagnostics gate fails (they are marked NOT CONVERGED)")
    _add_as_of(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(command=cmd_estimate)

    p = sub.add_parser("check", help="validate: calibration, leave-one-out, sensitivity; writes validation.md")
    p.add_argument("case", nargs="?")
    p.add_argument("--sims", type=int, default=200, help="simulations for calibration (default 200)")
    p.add_argument("--draws", type=int, default=500, help="draws per chain in each refit (default 500)")
    p.add_argument("--tune", type=int, default=500, help="tuning steps per chain in each refit (default 500)")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stress-sims", type=int, help="simulations per shape of calibration under misspecification "
                   "(default: a tenth of --sims)")
    p.add_argument("--workers", type=int, help="local Dask worker processes for the refits (default: one per two "
                   "cores; 0: in this process); the results do not depend on it")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the refits on the Dask cluster of this scheduler "
                   "(e.g. tcp://10.0.0.5:8786) instead of local workers")
    p.set_defaults(command=cmd_check)

    p = sub.add_parser("summary", help="posterior summary from saved estimates")
    p.add_argument("case", nargs="?")
    _add_as_of(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=cmd_summary)

    p = sub.add_parser("plot", help="draw the figures into estimates/<case>/figures/ from saved estimates")
    p.add_argument("case", nargs="?")
    p.set_defaults(command=cmd_plot)

    p = sub.add_parser("report", help="one self-contained HTML page of the estimates, to share")
    p.add_argument("case", nargs="?")
    p.add_argument("--out", type=Path, help="where to write it (default: estimates/<case>/report.html)")
    p.set_defaults(command=cmd_report)

    p = sub.add_parser("explain", help="which claims drive which headline: each headline without each used claim")
    p.add_argument("case", nargs="?")
    p.add_argument("headline", nargs="?", help="only this headline (default: all)")
    p.add_argument("--no-refit", action="store_true",
                   help="importance sampling only; do not refit where its Pareto k is above 0.7")
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=cmd_explain)

    p = sub.add_parser("extract", help="propose draft claims from an article's text, for you to confirm")
    p.add_argument("article", type=Path, help="the article, as a UTF-8 text file")
    p.add_argument("case", nargs="?")
    p.add_argument("--date", type=_date, help="the article's date, against which 'last year' or 'since' are read "
                   "(default: the report date of the claims file for this article, if there is one)")
    p.add_argument("--write", action="store_true",
                   help="write the draft into seeds/claims/ (and the article into seeds/articles/); never overwrites")
    p.add_argument("--json", action="store_true", help="print the proposals as JSON")
    p.set_defaults(command=cmd_extract)

    p = sub.add_parser("query", help="posterior of a total over any window, or of what a new report would print")
    p.add_argument("case")
    p.add_argument("quantity", nargs="?")
    p.add_argument("--from", dest="start", type=_date, help="first day (default: since the flow began)")
    p.add_argument("--to", dest="end", type=_date, help="last day (default: the latest report)")
    p.add_argument("--rating", choices=list("ABCDEF"), help="also predict what a source with this rating would print")
    p.add_argument("--batch", type=Path, help="CSV with columns quantity,start,end,rating: one answer per row")
    p.add_argument("--horizon", type=_date, help="forecast up to this day (default: the model file's [time] horizon)")
    _add_as_of(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(command=cmd_query)
    return parser


def _case(args) -> Case:
    root = check_root(args.root) if args.root else find_root()
    case = load_case(root, args.case)
    return case.known_by(args.as_of) if getattr(args, "as_of", None) else case


def cmd_claims(args) -> int:
    case = _case(args)
    claims = [c for c in case.evidence.claims
              if (args.quantity is None or c.quantity == args.quantity)
              and (args.origin is None or c.origin == args.origin)
              and (args.article is None or c.article == args.article)]
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in claims], indent=2, ensure_ascii=False))
        return 0
    for c in claims:
        start = c.window.start.isoformat() if c.window.start else "onset"
        used = "used" if c.use else f"not used: {c.reason}"
        print(f"{c.id:32} {c.quantity:20} {c.figure:>22}  {c.window.kind} {start}..{c.window.end}")
        print(f"{'':32} {c.origin} via {', '.join(c.relay) or 'direct'}; assessment {c.assessment}; {used}")
    used = case.evidence.used
    print(f"\n{len(claims)} claims shown; {len(case.evidence.claims)} in all, {len(used)} used as evidence "
          f"({len({c.assessment for c in case.evidence.claims})} assessments).")
    if args.check:
        shown = {c.id for c in claims}
        differences = [d for d in relay_differences(case.evidence.claims) if {d.used, d.relay} & shown]
        if differences:
            print(f"\n{len(differences)} relay difference(s), kept for provenance (the model uses the first claim named):")
            for d in differences:
                print(f"  {d.assessment}: {d.used} {d.field}={d.used_value}  vs  {d.relay} {d.field}={d.relay_value}")
        print("\nall claims valid.")
    return 0


def cmd_sources(args) -> int:
    case = _case(args)
    as_origin = Counter(c.origin for c in case.evidence.claims)
    as_relay = Counter(r for c in case.evidence.claims for r in c.relay)
    used = Counter(c.origin for c in case.evidence.used)
    print(f"{'source':20} {'rating':6} {'type':24} {'origin of':>9} {'used':>5} {'relayed':>8}  name")
    for key, s in case.evidence.sources.items():
        print(f"{key:20} {s.rating:6} {s.type.value:24} {as_origin[key]:>9} {used[key]:>5} {as_relay[key]:>8}  {s.name}")
        print(f"{'':20} {s.rationale}")
    return 0


def cmd_estimate(args) -> int:
    from reportedly.workflows.estimate import run_estimate
    from reportedly.results.estimates import stale_validation
    from reportedly.results.render import number, render_summary_text
    from reportedly.results.tables import unreconciled

    case = _case(args)
    print(f"fitting {case.name}: {len(case.evidence.used)} claims, {case.spec.sampler.chains} chains ...", file=sys.stderr)
    result = run_estimate(case, seed=args.seed, progress=not args.quiet, allow_unconverged=args.allow_unconverged)
    failures = result.diagnostics.failures
    print(f"compiled in {result.timings.compile_seconds:.1f} s, sampled in {result.timings.sampling_seconds:.1f} s",
          file=sys.stderr)
    log.info("timings %s", json.dumps(result.report()))
    if failures:
        print("diagnostics gate FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        if result.written is None:
            print("nothing was written. Try more draws or tune in the model file's [sampler], a different --seed, or "
                  "look for a claim the model cannot reconcile (reportedly claims --check); "
                  "--allow-unconverged writes the estimates marked NOT CONVERGED.", file=sys.stderr)
            return 1
    print(f"wrote {result.written}", file=sys.stderr)
    warnings = [w for w in [stale_validation(result.written, case.fingerprint())] if w]
    for row in unreconciled(result.tables.claims).itertuples():
        warnings.append(f"claim {row.id} ({row.printed} {row.quantity}, {row.origin}) is hard to reconcile with the rest "
                        f"of the evidence: its source would print {number(row.pred_q05)} – {number(row.pred_q95)} "
                        f"(90%), tail probability {row.p_tail:.3f}. Check its figure, window and qualifier.")
    print(render_summary_text(result.estimates, result.tables.headlines, result.tables.sources, warnings))
    return 1 if failures else 0


def cmd_check(args) -> int:
    from reportedly.workflows.check import CheckSettings, run_check, too_few_simulations, write_check

    case = _case(args)
    from reportedly.validation.sweep import default_workers

    workers = default_workers() if args.workers is None else args.workers
    settings = CheckSettings(args.sims, args.draws, args.tune, args.chains, args.seed, args.stress_sims, workers,
                             args.scheduler)
    if min(settings.sims, settings.draws, settings.tune, settings.chains, settings.sims_per_shape) < 1:
        raise ReportedlyError("--sims, --stress-sims, --draws, --tune and --chains must be at least 1")
    if workers < 0:
        raise ReportedlyError("--workers must be 0 (in this process) or more")

    def progress(stage: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{stage}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    results = run_check(case, settings, progress)
    path = write_check(case, results)
    print(f"wrote {path}", file=sys.stderr)
    loo = results.loo
    print(f"leave one assessment out: {int(loo['inside_50'].sum())}/{len(loo)} in the 50% and "
          f"{int(loo['inside_90'].sum())}/{len(loo)} in the 90% predictive intervals")
    for _, r in results.coverage.iterrows():
        print(f"SBC {r['headline']:28} 50%: {r['coverage_50']:.2f}  90%: {r['coverage_90']:.2f}"
              f"{'' if r['ok_50'] and r['ok_90'] else '  OUTSIDE BAND'}")
    for shape, group in results.stress.groupby("shape", sort=False):
        print(f"misspecified truth, {shape:14} 90% coverage: " + ", ".join(
            f"{r['kind']} {r['coverage_90']:.2f}" for _, r in group.iterrows()))
    if too_few_simulations(results.coverage):
        print(f"note: {settings.sims} simulations can catch only gross miscalibration (the 90% band reaches below "
              f"{results.coverage['band_90_low'].min():.2f}); run --sims 200 to tell")
    return 0 if results.calibrated else 1


def _load_saved(args):
    from reportedly.results.estimates import load_estimates, stale_validation, staleness

    case = _case(args)
    est = load_estimates(case.estimates_dir)
    warnings = staleness(est, case.fingerprint())
    if warnings:
        warnings.append(f"re-run 'reportedly estimate {case.name}' to refresh")
    elif stale := stale_validation(case.estimates_dir, case.fingerprint()):
        warnings.append(stale)
    if not est.converged:
        warnings.append("these estimates did NOT pass the diagnostics gate")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return case, est, warnings


def cmd_summary(args) -> int:
    from reportedly.results.render import render_summary_text
    from reportedly.results.tables import headline_table, source_table

    case, est, warnings = _load_saved(args)
    headlines, sources = headline_table(est), source_table(est)
    if args.json:
        print(json.dumps({"case": case.name, "warnings": warnings, "headlines": headlines.to_dict("records"),
                          "sources": sources.to_dict("records")}, indent=2))
    else:
        print(render_summary_text(est, headlines, sources, []))
    return 0


def cmd_plot(args) -> int:
    from reportedly.results.influence import influence_table
    from reportedly.results.figures import write_figures
    from reportedly.results.tables import claim_fit_table

    case, est, _ = _load_saved(args)
    claims = list(case.evidence.claims)
    influence = influence_table(est) if "log_likelihood" in est.posterior else None
    written = write_figures(case.estimates_dir, est, claims, claim_fit_table(est, claims, int(est.attrs["random_seed"])),
                            influence)
    for path in written:
        print(path)
    return 0


def cmd_report(args) -> int:
    import pandas as pd

    from reportedly.files import atomic_write
    from reportedly.results.influence import influence_table, top_drivers
    from reportedly.workflows.page import figure_pngs, read_validation, render_page
    from reportedly.results.tables import claim_fit_table, headline_table, source_table

    case, est, warnings = _load_saved(args)
    claims_fit = claim_fit_table(est, case.evidence.claims, int(est.attrs["random_seed"]))
    influence = influence_table(est) if "log_likelihood" in est.posterior else None
    tables = {"headlines": headline_table(est), "sources": source_table(est), "claims": claims_fit,
              "drivers": top_drivers(influence) if influence is not None else pd.DataFrame()}
    page = render_page(case, est, warnings, tables, figure_pngs(case, est, claims_fit, influence),
                       read_validation(case.estimates_dir))
    out = args.out or case.estimates_dir / "report.html"
    atomic_write(out, lambda path: path.write_text(page, encoding="utf-8"))
    print(out)
    return 0


def cmd_explain(args) -> int:
    from reportedly.files import atomic_write
    from reportedly.results.influence import INFLUENCE_FILE, influence_table, refit_unreliable
    from reportedly.results.estimates import staleness
    from reportedly.results.render import driver_lines, number

    case, est, _ = _load_saved(args)
    names = [h.name for h in est.spec.headlines]
    if args.headline is not None and args.headline not in names:
        raise ReportedlyError(f"no headline '{args.headline}'{did_you_mean(args.headline, names)}; "
                              f"the model file has {', '.join(names)}")
    if "log_likelihood" not in est.posterior:
        raise ReportedlyError(f"these estimates keep no pointwise log-likelihood; run 'reportedly estimate {case.name}' again")
    table = influence_table(est)
    if not args.no_refit and not table["reliable"].all():
        if staleness(est, case.fingerprint()):
            raise ReportedlyError("the estimates do not match the current claims or model file, so claims cannot be "
                                  f"refitted; run 'reportedly estimate {case.name}' first, or pass --no-refit")
        from reportedly.validation.refit import make_refitter

        refitter = make_refitter(case, case.spec.sampler)
        seed = int(est.attrs["random_seed"])

        def refit_without(claim: str):
            print(f"refitting without {claim} (Pareto k above 0.7) ...", file=sys.stderr)
            return refitter.fit(seed, refitter.design.without([claim]))[0].headline_draws()

        table = refit_unreliable(table, refit_without)
        atomic_write(case.estimates_dir / INFLUENCE_FILE,
                     lambda path: table.to_csv(path, index=False, float_format="%.6g"))
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
        print(f"{labels[name]}: median {number(first['median'])}, 90% {number(first['q05'])} – {number(first['q95'])}")
        print("\n".join(driver_lines(group)))
    return 0


def cmd_extract(args) -> int:
    from reportedly.inputs.claims import load_evidence, load_sources
    from reportedly.inputs.extract import draft_claims, named_sources, propose
    from reportedly.files import atomic_write
    from reportedly.inputs.spec import load_spec

    root = check_root(args.root) if args.root else find_root()
    spec, _ = load_spec(model_file(root, args.case))  # the claims need not be valid: a draft may be in progress
    sources = load_sources(root / "seeds" / "sources.yaml")
    path: Path = args.article
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ReportedlyError(f"{path}: is not UTF-8 text; save the article as UTF-8 and try again") from None
    except OSError as exc:
        raise ReportedlyError(f"{path}: cannot be read ({exc.strerror or exc}); give the article as a text file") from None
    try:
        dated = [c.report_date for c in load_evidence(root / "seeds").claims if c.article == path.name]
    except InputError:
        dated = []
    if args.date is None and not dated:
        raise ReportedlyError(f"give the date of {path.name} with --date YYYY-MM-DD: windows such as 'last year' "
                              "or 'since September' are read against it")
    date = args.date or max(dated)
    proposals = propose(text, date, spec)
    if args.json:
        print(json.dumps([dataclasses.asdict(p) for p in proposals], indent=1, default=str))
        return 0
    draft = draft_claims(path.name, date, proposals, named_sources(text, sources))
    print(f"{len(proposals)} proposed claim(s) from {path.name}, read against {date}; confirm each and set its "
          "origin before using it", file=sys.stderr)
    if not args.write:
        print(draft, end="")
        return 0
    seeds = root / "seeds"
    target = seeds / "claims" / f"{path.stem}.yaml"
    article = seeds / "articles" / path.name
    if target.exists():
        raise ReportedlyError(f"{target} exists and extract never overwrites; edit it, or move it away and extract again")
    if article.exists() and article.read_text(encoding="utf-8", errors="replace") != text:
        raise ReportedlyError(f"{article} exists with other text; rename the new article and extract again")
    if not article.exists():
        atomic_write(article, lambda p: p.write_text(text, encoding="utf-8"))
    atomic_write(target, lambda p: p.write_text(draft, encoding="utf-8"))
    print(f"wrote {target}; set each claim's origin, then: reportedly claims --check", file=sys.stderr)
    return 0


def cmd_query(args) -> int:
    from reportedly.results.render import number

    case, est, _ = _load_saved(args)
    if args.horizon:
        est = dataclasses.replace(est, forecast_horizon=args.horizon)
    if args.batch:
        rows = _read_batch(args.batch)
    elif args.quantity:
        rows = [{"quantity": args.quantity, "start": args.start, "end": args.end, "rating": args.rating}]
    else:
        raise ReportedlyError("query needs a QUANTITY or --batch FILE.csv")
    answers = [_answer(est, row) for row in rows]
    if not args.batch and "error" in answers[0]:
        raise ReportedlyError(answers[0]["error"])
    failed = [a for a in answers if "error" in a]
    if args.json:
        print(json.dumps(answers if args.batch else answers[0], indent=2))
    for a in [] if args.json else answers:
        if "error" in a:
            print(f"line {a['line']}: {a['error']}")
            continue
        window = f"{a['start'] or 'onset'} to {a['end']}" if a["end"] else "(ratio)"
        t = a["total"]
        print(f"{a['quantity']} {window}: median {number(t['0.5'])}, 50% {number(t['0.25'])} – {number(t['0.75'])}, "
              f"90% {number(t['0.05'])} – {number(t['0.95'])}")
        if a["forecast_from"]:
            print(f"  a forecast past the latest report ({a['forecast_from']}): the flows go on under the model's own "
                  "dynamics, so the interval widens with every month")
        if a["report"]:
            r = a["report"]
            print(f"  a new {a['rating']}-rated report would print: median {number(r['0.5'])}, "
                  f"90% {number(r['0.05'])} – {number(r['0.95'])}")
    if failed:
        print(f"error: {len(failed)} of {len(answers)} rows could not be answered "
              f"(lines {', '.join(str(a['line']) for a in failed)}); see each row's error", file=sys.stderr)
        return 2
    return 0


def _answer(est, row: dict) -> dict:
    """One query row answered, or the row with an 'error' saying why it cannot be."""
    from reportedly.results.estimates import quantiles

    answer = {key: row[key] for key in ("line",) if key in row}
    if "error" in row:
        return answer | {"error": row["error"]}
    is_ratio = row["quantity"] in est.spec.ratios
    answer |= {"quantity": row["quantity"], "start": row["start"].isoformat() if row["start"] else None,
               "end": None if is_ratio else (row["end"] or est.latest_report).isoformat(), "rating": row["rating"]}
    try:
        total = est.draws_of(row["quantity"], row["start"], row["end"])
    except ReportedlyError as exc:
        return answer | {"error": str(exc)}
    report = est.report_draws(total, rating=row["rating"]) if row["rating"] else None
    forecast_from = None if is_ratio else est.forecast_from(row["end"] or est.latest_report)
    return answer | {"total": quantiles(total), "report": quantiles(report) if report is not None else None,
                     "forecast_from": forecast_from.isoformat() if forecast_from else None}


def _read_batch(path: Path) -> list[dict]:
    """The rows of a batch file; a row that cannot be read carries an 'error' instead."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or set(reader.fieldnames) != {"quantity", "start", "end", "rating"}:
                raise ReportedlyError(f"{path}: expected CSV columns quantity,start,end,rating; got {reader.fieldnames}")
            records = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportedlyError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    rows = []
    for line, record in enumerate(records, start=2):
        rating = (record["rating"] or "").strip() or None
        try:
            start, end = (dt.date.fromisoformat(record[k].strip()) if (record[k] or "").strip() else None
                          for k in ("start", "end"))
        except ValueError:
            rows.append({"line": line, "error": f"{path}: line {line}: dates must be YYYY-MM-DD or empty"})
            continue
        if rating not in (None, *"ABCDEF"):
            rows.append({"line": line, "error": f"{path}: line {line}: rating must be one of A-F or empty, got {rating!r}"})
            continue
        rows.append({"line": line, "quantity": (record["quantity"] or "").strip(), "start": start, "end": end,
                     "rating": rating})
    return rows


if __name__ == "__main__":
    sys.exit(main())

"""`reportedly estimate`: fit the case, gate on diagnostics, write its estimates and print their summary."""

from __future__ import annotations

import json
import logging
import sys

from reportedly.cli.common import add_as_of, add_run_flags, case_of, settings_checked
from reportedly.levels import WIDEST, percent

log = logging.getLogger("reportedly")


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("estimate", help="fit the case, gate on diagnostics, write estimates/<case>/")
    p.add_argument("case", nargs="?")
    p.add_argument("--seed", type=int, help="override the model file's random_seed")
    p.add_argument("--allow-unconverged", action="store_true",
                   help="write estimates even if the diagnostics gate fails (they are marked NOT CONVERGED)")
    add_as_of(p)
    add_run_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(command=estimate)


def estimate(args) -> int:
    """Fit, write, and print the summary with what a reader must know about it."""
    from reportedly.results import store
    from reportedly.results.render import interval_text, render_summary_text
    from reportedly.results.tables import unreconciled
    from reportedly.workflows.estimate import run_estimate

    case = settings_checked(case_of(args), args.force)
    print(
        f"fitting {case.name}: {len(case.evidence.used)} claims, {case.spec.sampler.chains} chains ...", file=sys.stderr
    )
    result = run_estimate(case, seed=args.seed, progress=not args.quiet, allow_unconverged=args.allow_unconverged,
                          wait=args.wait)
    failures = result.diagnostics.failures
    print(
        f"compiled in {result.timings.compile_seconds:.1f} s, sampled in {result.timings.sampling_seconds:.1f} s",
        file=sys.stderr,
    )
    log.info("timings %s", json.dumps(result.report()))
    if failures:
        print("diagnostics gate FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        if result.written is None:
            print(
                "nothing was written. Try more draws or tune in the model file's [sampler], a different --seed, or "
                "look for a claim the model cannot reconcile (reportedly claims --check); "
                "--allow-unconverged writes the estimates marked NOT CONVERGED.",
                file=sys.stderr,
            )
            return 1
    print(f"wrote {result.written}", file=sys.stderr)
    warnings = [w for w in [store.stale_validation(result.written, case.fingerprint())] if w]
    for row in unreconciled(result.tables.claims).itertuples():
        warnings.append(
            f"claim {row.id} ({row.printed} {row.quantity}, {row.origin}) is hard to reconcile with the rest "
            f"of the evidence: its source would print {interval_text(row.pred_q05, row.pred_q95)} "
            f"({percent(WIDEST)}%), tail probability {row.p_tail:.3f}. Check its figure, window and qualifier."
        )
    est, tables = result.estimates, result.tables
    print(render_summary_text(est.spec.case.title, est.attrs, tables.headlines.to_dict("records"),
                              tables.sources.to_dict("records"), warnings, tables.onsets.to_dict("records")))
    return 1 if failures else 0

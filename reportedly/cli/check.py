"""`reportedly check`: validate the case and write validation.md and validation.json beside its estimates."""

from __future__ import annotations

import sys

from reportedly.cli.common import add_run_flags, case_of, settings_checked
from reportedly.errors import ReportedlyError
from reportedly.validation.settings import CheckSettings


def add_parsers(commands) -> None:
    """The command's arguments."""
    p = commands.add_parser("check", help="validate: calibration, leave-one-out, sensitivity; writes validation.md")
    p.add_argument("case", nargs="?")
    p.add_argument("--sims", type=int, default=CheckSettings.sims,
                   help="simulations for calibration (default %(default)s)")
    p.add_argument("--draws", type=int, default=CheckSettings.draws,
                   help="draws per chain in each refit (default %(default)s)")
    p.add_argument("--tune", type=int, default=CheckSettings.tune,
                   help="tuning steps per chain in each refit (default %(default)s)")
    p.add_argument("--chains", type=int, default=CheckSettings.chains)
    p.add_argument("--seed", type=int, default=CheckSettings.seed)
    p.add_argument("--stress-sims", type=int, help="simulations per shape of calibration under misspecification "
                   "(default: a tenth of --sims)")
    p.add_argument("--workers", type=int, help="local Dask worker processes for the refits (default: one per two "
                   "cores; 0: in this process); the results do not depend on it")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the refits on the Dask cluster of this scheduler "
                   "(e.g. tcp://10.0.0.5:8786) instead of local workers")
    add_run_flags(p)
    p.set_defaults(command=check)


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{stage}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)


def check(args) -> int:
    """Run every validation, write it, and print its headline figures; exit 1 when calibration is off."""
    from reportedly.validation.report import too_few_simulations
    from reportedly.validation.sweep import default_workers
    from reportedly.workflows.check import check_case

    case = settings_checked(case_of(args), args.force)
    workers = default_workers() if args.workers is None else args.workers
    settings = CheckSettings(args.sims, args.draws, args.tune, args.chains, args.seed, args.stress_sims, workers,
                             args.scheduler)
    if min(settings.sims, settings.draws, settings.tune, settings.chains, settings.sims_per_shape) < 1:
        raise ReportedlyError("--sims, --stress-sims, --draws, --tune and --chains must be at least 1")
    if workers < 0:
        raise ReportedlyError("--workers must be 0 (in this process) or more")
    results, path = check_case(case, settings, _progress, args.wait)
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

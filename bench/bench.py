"""Benchmark: where the seconds go, cold and warm, against a plain PyMC script; and how the fit scales.

    ./run.sh bench [--runs 3] [--scale]      writes bench/results.json and bench/results.md
    ./run.sh bench --only-seeds [--seeds N]  only the seed sweep (bench/seeds.py, 100 seeds), merged into results.json
    ./run.sh bench --only-samplers           only the sweep under other sampler settings (10 seeds each)

Every figure is whole-process wall time of a fresh process unless named otherwise. "Cold" runs get an
empty PyTensor/numba compile cache (a fresh base_compiledir); "warm" runs reuse one filled by a first run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CASE = "dprk_russia"

PLAIN_PYMC = """
import sys, time, json
t0 = time.perf_counter()
import pymc as pm
from pathlib import Path
from reportedly.inputs.case import load_case
from reportedly.model.design import build_design
from reportedly.results.estimates import kept
from reportedly.workflows.estimate import reported_quantities
from reportedly.fitting.gate import diagnose
from reportedly.model.builder import build_model
from reportedly.results.estimates import Estimates
case = load_case(Path(sys.argv[1]))
model = build_model(case.spec, build_design(case))
with model:
    tree = pm.sample(random_seed=1, progressbar=False)   # PyMC defaults
wall = time.perf_counter() - t0
est = Estimates(kept(tree["posterior"].to_dataset()), {"latest_report": case.latest_report.isoformat()}, case.spec)
d = diagnose(reported_quantities(est), tree["sample_stats"].to_dataset())
print(json.dumps({"in_process_seconds": wall, "min_ess_bulk": min(d.min_ess_bulk.values()), "divergences": d.divergences}))
"""


def run(
    args: list[str], env: dict | None = None, timeout: float | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(
        args, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False, timeout=timeout
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{args} failed:\n{done.stderr[-2000:]}")
    return elapsed, done


def cache_env(folder: Path) -> dict:
    return {"PYTENSOR_FLAGS": f"base_compiledir={folder}", "NUMBA_CACHE_DIR": str(folder / "numba")}


def estimate_runs(case_dir: Path, runs: int, cold: bool) -> list[dict]:
    results = []
    warm_cache = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    if not cold:
        run([PYTHON, "-m", "reportedly.cli", "--root", str(case_dir), "estimate", "--quiet"], cache_env(warm_cache))
    for _ in range(runs):
        cache = Path(tempfile.mkdtemp(prefix="bench-cold-")) if cold else warm_cache
        wall, done = run(
            [PYTHON, "-m", "reportedly.cli", "--root", str(case_dir), "estimate", "--quiet", "--verbose"],
            cache_env(cache),
        )
        timings = json.loads(re.search(r"^timings (\{.*\})$", done.stderr, re.M).group(1))
        results.append(
            {
                "wall_seconds": wall,
                **timings,
                "ess_per_sampling_second": timings["min_ess_bulk"] / timings["sampling_seconds"],
                "ess_per_wall_second": timings["min_ess_bulk"] / wall,
            }
        )
        if cold:
            shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(warm_cache, ignore_errors=True)
    return results


def edited_runs(case_dir: Path, runs: int) -> list[dict]:
    """Warm `estimate` runs, each after moving one claim's window end: the claims are data of the compiled
    model, so an edited case reuses it. The first run (not counted) fits the case unedited."""
    edited = Path(tempfile.mkdtemp(prefix="bench-edited-")) / "case"
    shutil.copytree(case_dir, edited)
    cache = Path(tempfile.mkdtemp(prefix="bench-edit-"))
    command = [PYTHON, "-m", "reportedly.cli", "--root", str(edited), "estimate", "--quiet", "--verbose"]
    run(command, cache_env(cache))
    claims_file = sorted((edited / "seeds" / "claims").glob("*.yaml"))[0]
    results = []
    for i in range(runs):
        text = claims_file.read_text(encoding="utf-8")
        claims_file.write_text(
            re.sub(r"end: (\d{4}-\d\d)-\d\d", rf"end: \g<1>-{10 + i:02d}", text, count=1), encoding="utf-8"
        )
        wall, done = run(command, cache_env(cache))
        timings = json.loads(re.search(r"^timings (\{.*\})$", done.stderr, re.M).group(1))
        results.append({"wall_seconds": wall, **timings})
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(edited.parent, ignore_errors=True)
    return results


def median_of(rows: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rows) for key in rows[0] if isinstance(rows[0][key], (int, float))}


def timed_command(args: list[str], runs: int) -> float:
    return statistics.median(run(args)[0] for _ in range(runs))


def benchmark(runs: int) -> dict:
    case_dir = Path(tempfile.mkdtemp(prefix="bench-case-"))
    for folder in ("seeds", "models"):
        shutil.copytree(ROOT / folder, case_dir / folder)
    out: dict = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]}, "runs": runs}
    out["import_seconds"] = timed_command([PYTHON, "-c", "import reportedly.workflows.estimate"], runs)
    out["estimate_warm"] = median_of(estimate_runs(case_dir, runs, cold=False))
    out["estimate_cold"] = median_of(estimate_runs(case_dir, runs, cold=True))
    out["estimate_edited"] = median_of(edited_runs(case_dir, runs))
    cli = [PYTHON, "-m", "reportedly.cli", "--root", str(case_dir)]
    out["summary_seconds"] = timed_command([*cli, "summary"], runs)
    out["query_seconds"] = timed_command(
        [*cli, "query", CASE, "shells", "--from", "2024-01-01", "--to", "2024-12-31", "--rating", "B"], runs
    )
    sims = 10
    wall, _ = run([*cli, "check", "--sims", str(sims)])
    out["check"] = {"sims": sims, "wall_seconds": wall}
    plain = []
    for _ in range(runs):
        wall, done = run([PYTHON, "-c", PLAIN_PYMC, str(case_dir)])
        row = json.loads(done.stdout.strip().splitlines()[-1])
        plain.append({"wall_seconds": wall, **row, "ess_per_wall_second": row["min_ess_bulk"] / wall})
    out["plain_pymc_warm"] = median_of(plain)
    out["ess_per_wall_second_ratio"] = (
        out["estimate_warm"]["ess_per_wall_second"] / out["plain_pymc_warm"]["ess_per_wall_second"]
    )
    shutil.rmtree(case_dir, ignore_errors=True)
    return out


# --- Scale ---------------------------------------------------------------------------------------

SCALE_ONE = """
import json, sys
sys.path.insert(0, sys.argv[4])
from scale import fit_synthetic
print(json.dumps(fit_synthetic(int(sys.argv[1]), int(sys.argv[2]), adaptation=sys.argv[3])))
"""
# Measurements taken by hand (experiments, paired timings), kept below the rendered ones in results.md.
BY_HAND = Path(__file__).parent / "by_hand.md"
SCALE_TIMEOUT = 900  # seconds a scale fit may take before it is stopped and reported as such


def scale(claims=(20, 200, 2_000, 20_000), months=(120,)) -> list[dict]:
    """Fit synthetic cases with the shipped sampler settings (diag mass-matrix adaptation)."""
    rows = []
    adaptation = "diag"
    for m in months:
        for n in claims:
            row = {"claims": n, "months": m, "adaptation": adaptation, "timeout_seconds": SCALE_TIMEOUT}
            try:
                wall, done = run(
                    [PYTHON, "-c", SCALE_ONE, str(n), str(m), adaptation, str(Path(__file__).parent)],
                    timeout=SCALE_TIMEOUT,
                )
                row |= {"wall_seconds": wall, **json.loads(done.stdout.strip().splitlines()[-1])}
            except subprocess.TimeoutExpired:
                row["wall_seconds"] = None
            rows.append(row)
            print(f"scale {n} claims x {m} months: {row['wall_seconds']}", file=sys.stderr, flush=True)
    return rows


def render_seeds(sweep: dict) -> list[str]:
    rows, s = sweep["rows"], sweep["settings"]
    rhat = sorted(r["worst_rhat"] for r in rows)
    ess = sorted(r["worst_ess_bulk"] for r in rows)
    quantile = lambda values, q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    failed = [r for r in rows if not r["passed"]]
    ess_rate = statistics.median(r["worst_ess_bulk"] / r["sampling_seconds"] for r in rows)
    lines = [
        "## Seed sweep",
        "",
        f"`./run.sh bench --only-seeds --seeds {len(rows)}`: the shipped case, one compiled model, seeds 0 to "
        f"{len(rows) - 1}, {s['chains']} chains after {s['tune']:,} tuning steps, each stopping as `estimate` does "
        f"(at a multiple of {s['check_every']} draws a chain, once the gate passes with room; at most {s['draws']:,}). "
        f"**{len(rows) - len(failed)} of {len(rows)} seeds pass the gate.**",
        "",
        "| over the seeds | worst R-hat of a seed | worst bulk ESS of a seed |",
        "|---|---:|---:|",
        f"| best | {rhat[0]:.4f} | {ess[-1]:.0f} |",
        f"| median | {quantile(rhat, 0.5):.4f} | {quantile(ess, 0.5):.0f} |",
        f"| 95th percentile (R-hat) / 5th (ESS) | {quantile(rhat, 0.95):.4f} | {quantile(ess[::-1], 0.95):.0f} |",
        f"| worst | {rhat[-1]:.4f} | {ess[0]:.0f} |",
        "",
        f"- draws a chain: {_spread(r['draws'] for r in rows)}",
        f"- divergences: {sum(r['divergences'] for r in rows)} in all; sampling {statistics.median(r['sampling_seconds'] for r in rows):.1f} s "
        f"per fit (median); worst bulk ESS per second of sampling {ess_rate:.0f} (median over seeds)",
        "- quantities with the worst R-hat: "
        + ", ".join(f"{k} ({v})" for k, v in _counts(r["worst_rhat_of"] for r in rows)),
        "- quantities with the worst ESS: "
        + ", ".join(f"{k} ({v})" for k, v in _counts(r["worst_ess_of"] for r in rows)),
    ]
    if failed:
        lines.append(
            "- failed: "
            + "; ".join(
                f"seed {r['seed']} (R-hat {r['worst_rhat']:.4f} for {r['worst_rhat_of']}, "
                f"ESS {r['worst_ess_bulk']:.0f} for {r['worst_ess_of']})"
                for r in failed
            )
        )
    retried = [r for r in rows if "passed_again" in r]
    if retried:
        changes = ", ".join(f"{n} with {change}" for change, n in _counts(r["sampled_again_with"] for r in retried))
        lines.append(
            f"- sampled again as `estimate` does when the gate fails (`fit.next_try`: {changes}): "
            f"{sum(r['passed_again'] for r in retried)} of {len(retried)} then pass, so "
            f"**{len(rows) - len(failed) + sum(r['passed_again'] for r in retried)} of {len(rows)} "
            "seeds give estimates**"
        )
    return lines


def render_samplers(samplers: dict) -> list[str]:
    lines = [
        "## Sampler settings",
        "",
        "`./run.sh bench --only-samplers`: the shipped case sampled with other settings, the same seeds each.",
        "",
        "| settings | seeds passing the gate | with divergences | sampling per fit (median) | worst bulk ESS (median "
        "over seeds) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, sweep in samplers.items():
        rows, s = sweep["rows"], sweep["settings"]
        lines.append(
            f"| {name} ({s['adaptation']}, {s['chains']} chains × up to {s['draws']:,} draws after {s['tune']:,} "
            f"tuning steps, target acceptance {s['target_accept']:g}) | {sum(r['passed'] for r in rows)} of "
            f"{len(rows)} | {sum(r['divergences'] > 0 for r in rows)} | "
            f"{statistics.median(r['sampling_seconds'] for r in rows):.1f} s | "
            f"{statistics.median(r['worst_ess_bulk'] for r in rows):.0f} |"
        )
    return lines


def _spread(values) -> str:
    values = sorted(values)
    return f"median {statistics.median(values):,.0f}, fewest {values[0]:,}, most {values[-1]:,}"


def _counts(values) -> list[tuple[str, int]]:
    from collections import Counter

    return Counter(values).most_common()


def render(results: dict) -> str:
    w, c, p = results["estimate_warm"], results["estimate_cold"], results["plain_pymc_warm"]
    lines = [
        "# Benchmark",
        "",
        f"`./run.sh bench` on {results['machine']['cores']} cores, "
        f"Python {results['machine']['python']}; medians of {results['runs']} fresh processes.",
        "",
        "| what | cold | warm |",
        "|---|---:|---:|",
        f"| `reportedly estimate`, whole process | {c['wall_seconds']:.1f} s | {w['wall_seconds']:.1f} s |",
        f"| of which: the claims' design | {c['build_seconds']:.1f} s | {w['build_seconds']:.1f} s |",
        f"| of which: model built and compiled (cold), loaded from the compile cache (warm) | "
        f"{c['compile_seconds']:.1f} s | {w['compile_seconds']:.1f} s |",
        f"| of which: sampling | {c['sampling_seconds']:.1f} s | {w['sampling_seconds']:.1f} s |",
        f"| of which: writing estimates (figures drawn again only if what they show changed) | {c['write_seconds']:.1f} s | {w['write_seconds']:.1f} s |",
        f"| min bulk ESS per second of sampling | {c['ess_per_sampling_second']:.0f} | {w['ess_per_sampling_second']:.0f} |",
        f"| min bulk ESS per second of wall time | {c['ess_per_wall_second']:.1f} | {w['ess_per_wall_second']:.1f} |",
        "",
        f"- `reportedly estimate` after editing one claim (its window's end moved; warm cache): "
        f"{results['estimate_edited']['wall_seconds']:.1f} s whole process, of which "
        f"{results['estimate_edited']['compile_seconds']:.1f} s loading the compiled model: "
        f"**{results['estimate_edited']['wall_seconds'] / w['wall_seconds']:.2f}×** the warm unchanged run",
        f"- `import reportedly.workflows.estimate`: {results['import_seconds']:.1f} s",
        f"- `reportedly summary`: {results['summary_seconds']:.2f} s; `reportedly query ... --rating B`: "
        f"{results['query_seconds']:.2f} s (whole process)",
        f"- `reportedly check --sims {results['check']['sims']}` (and its other refits: one simulation per misspecified shape, leave one out, rolling origin, sensitivity): "
        f"{results['check']['wall_seconds']:.0f} s",
        f"- plain PyMC script (`pm.sample()` defaults on the same model, warm): {p['wall_seconds']:.1f} s, min bulk "
        f"ESS {p['min_ess_bulk']:.0f}, {p['ess_per_wall_second']:.1f} ESS per wall second; `reportedly estimate` "
        f"gets **{results['ess_per_wall_second_ratio']:.2f}×** that.",
    ]
    if "seeds" in results:
        lines += ["", *render_seeds(results["seeds"])]
    if "samplers" in results:
        lines += ["", *render_samplers(results["samplers"])]
    if "sweep" in results:
        rows = results["sweep"]
        lines += [
            "",
            "## Validation sweeps on Dask",
            "",
            f"`./run.sh bench --only-sweep`: {rows[0]['sims']} simulation-based-calibration refits of the shipped "
            "case (4 chains × 500 draws after 500 tuning steps), in one process (0 workers) or on a local Dask "
            "cluster; every worker loads the compiled model from the cache.",
            "",
            "| workers | seconds | simulations per minute | results identical to one process |",
            "|---:|---:|---:|---|",
        ]
        lines += [
            f"| {r['workers']} | {r['seconds']:.0f} | {r['sims_per_minute']:.1f} | "
            f"{'yes' if r['same_results_as_in_process'] else 'NO'} |"
            for r in rows
        ]
    if "scale" in results and not any("most_draws" in r for r in results["scale"]):
        lines += ["", "## Scale", "", "Not measured since sampling stops when the gate passes: "
                  "`./run.sh bench --only-scale`."]
    elif "scale" in results:
        fitted = next(r for r in results["scale"] if r["wall_seconds"] is not None)
        lines += [
            "",
            "## Scale",
            "",
            "`./run.sh bench --only-scale`: synthetic cases (claims simulated from a truth drawn from the model's prior, "
            "each about a window that begins while its flow runs; the shipped model's quantities and priors on a "
            f"120-month axis), 4 chains after {fitted['tune']:,} tuning steps, stopping "
            f"as `estimate` does (at most {fitted['most_draws']:,} draws a chain), one fresh process each with the "
            "compile cache as it was (a "
            "case fitted before loads its compiled model), "
            f"stopped after {fitted['timeout_seconds']} s; the shipped sampler settings.",
            "",
            "| claims | months | adaptation | whole process | compile | sampling | draws a chain | leapfrog steps per draw "
            "| peak memory | divergences | min ESS | gate |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in results["scale"]:
            if r["wall_seconds"] is None:
                lines.append(
                    f"| {r['claims']:,} | {r['months']} | {r['adaptation']} | stopped after {r['timeout_seconds']} s "
                    "| | | | | | | | |"
                )
                continue
            lines.append(
                f"| {r['claims']:,} | {r['months']} | {r['adaptation']} | {r['wall_seconds']:.0f} s | "
                f"{r['compile_seconds']:.0f} s | {r['sampling_seconds']:.0f} s | {r['draws']:,} | "
                f"{r['steps_per_draw']:.0f} | {r['peak_rss_mb']:.0f} MB | {r['divergences']} | {r['min_ess_bulk']:.0f} | "
                f"{'passed' if r['passed'] else 'failed'} |"
            )
    text = "\n".join(lines) + "\n"
    return text + ("\n" + BY_HAND.read_text(encoding="utf-8") if BY_HAND.exists() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", action="store_true", help="also fit synthetic cases of 20 to 20,000 claims")
    parser.add_argument("--only-scale", action="store_true", help="only the scale curve (merged into results.json)")
    parser.add_argument("--seeds", type=int, help="run the seed sweep over this many seeds (--only-seeds: 100)")
    parser.add_argument("--only-seeds", action="store_true", help="only the seed sweep (merged into results.json)")
    parser.add_argument(
        "--only-samplers",
        action="store_true",
        help="only the seed sweep under other sampler settings, 10 seeds each (merged into results.json)",
    )
    parser.add_argument(
        "--only-sweep",
        action="store_true",
        help="only calibration refits per minute against Dask workers (merged into results.json)",
    )
    args = parser.parse_args()
    results_file = Path(__file__).parent / "results.json"
    previous = json.loads(results_file.read_text()) if results_file.exists() else {}
    only = args.only_scale or args.only_seeds or args.only_sweep or args.only_samplers
    results = previous if only else benchmark(args.runs)
    if args.only_sweep:
        from sweep_rate import sweep_rates

        results["sweep"] = sweep_rates(ROOT)
    elif "sweep" in previous:
        results["sweep"] = previous["sweep"]  # kept until measured again
    if args.scale or args.only_scale:
        results["scale"] = scale()
    elif "scale" in previous:
        results["scale"] = previous["scale"]  # the last scale curve stays until it is measured again
    if args.only_seeds or args.seeds:
        from seeds import sweep

        results["seeds"] = sweep(ROOT, args.seeds or 100)
    elif "seeds" in previous:
        results["seeds"] = previous["seeds"]  # the last seed sweep stays until it is run again
    if args.only_samplers:
        from seeds import alternatives

        results["samplers"] = alternatives(ROOT)
    elif "samplers" in previous:
        results["samplers"] = previous["samplers"]
    results_file.write_text(json.dumps(results, indent=1))
    (Path(__file__).parent / "results.md").write_text(render(results))
    print(render(results))


if __name__ == "__main__":
    main()

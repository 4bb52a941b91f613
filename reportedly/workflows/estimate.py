"""Fit a case end to end and write estimates/<case>/ atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from reportedly import __version__
from reportedly.errors import ReportedlyError
from reportedly.files import check_writable, make_shareable
from reportedly.fitting.gate import Diagnostics, diagnose, next_try
from reportedly.fitting.sampling import Timings, posterior_of, sample
from reportedly.inputs.case import Case
from reportedly.inputs.schema import Claim
from reportedly.locks import exclusive
from reportedly.model.design import Design, build_design
from reportedly.results import store
from reportedly.results.estimates import RECORDED_LIBRARIES, Estimates, kept
from reportedly.results.influence import claim_log_likelihood, influence_table
from reportedly.results.render import render_summary_markdown
from reportedly.results.tables import claim_fit_table, headline_table, onset_table, source_table
from reportedly.source import source_of

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Tables:
    """What summary.csv, sources_fit.csv, claims_fit.csv and onsets.csv hold, from the estimates as saved."""

    headlines: pd.DataFrame
    sources: pd.DataFrame
    claims: pd.DataFrame
    onsets: pd.DataFrame


@dataclass(frozen=True)
class EstimateResult:
    """A fit's estimates, diagnostics and timings, and where they were written (None when the gate failed)."""

    estimates: Estimates
    diagnostics: Diagnostics
    timings: Timings
    written: Path | None
    write_seconds: float
    tables: Tables | None = None

    def report(self) -> dict:
        """Phase timings and sampling efficiency, for logs and the benchmark."""
        return {
            **asdict(self.timings),
            "write_seconds": self.write_seconds,
            "min_ess_bulk": min(self.diagnostics.min_ess_bulk.values()),
            "divergences": self.diagnostics.divergences,
        }


def fit_case(case: Case, seed: int | None = None, progress: bool = False) -> tuple[Estimates, Diagnostics, Timings]:
    """Build and sample the case's model; return the estimates (in memory) and their diagnostics.

    A fit that fails the gate is sampled again as `next_try` says (smaller steps after divergences, more draws
    after slow mixing); the saved sampler settings are those of the last try.
    """
    seed = case.spec.sampler.random_seed if seed is None else seed
    first = case.spec.sampler
    est, diagnostics, timings = _fit_once(case, seed, progress)
    while retry := next_try(diagnostics, case.spec.sampler, first):
        sampler, change = retry
        log.warning(
            "the fit did not pass the diagnostics gate (%s); sampling again with %s",
            "; ".join(diagnostics.failures),
            change,
        )
        case = case.with_sampler(**sampler.model_dump())
        est, diagnostics, again = _fit_once(case, seed, progress)
        timings = dataclasses.replace(
            again,
            compile_seconds=timings.compile_seconds + again.compile_seconds,
            sampling_seconds=timings.sampling_seconds + again.sampling_seconds,
        )
    return est, diagnostics, timings


def _fit_once(case: Case, seed: int, progress: bool) -> tuple[Estimates, Diagnostics, Timings]:
    started = time.perf_counter()
    design = build_design(case)
    judged = gate_of(case, design)
    last: dict = {}  # the verdict on the draws sampling stopped at, kept so the gate runs once on them

    def settled(tree: xr.DataTree) -> bool:
        last.update(tree=tree, diagnostics=judged(tree))
        return last["diagnostics"].settled

    tree, timings = sample(
        case.spec, design, seed, progress, build_seconds=time.perf_counter() - started, stop_when=settled
    )
    posterior = kept(posterior_of(tree, design))
    posterior["log_likelihood"] = claim_log_likelihood(posterior, design)
    claims_per_source = Counter(c.origin for c in case.evidence.used)
    attrs = {
        "case": case.name,
        "random_seed": seed,
        "reportedly_version": __version__,
        **{f"{lib}_version": importlib.metadata.version(lib) for lib in RECORDED_LIBRARIES},
        **case.fingerprint(),
        "spec": case.spec_text,
        "claims_used": ",".join(design.claim_ids),
        "latest_report": case.latest_report.isoformat(),
        **({"as_of": case.as_of.isoformat()} if case.as_of else {}),
        "source_ratings": json.dumps(case.origin_ratings()),
        "claims_per_source": json.dumps(dict(claims_per_source)),
        "sampler": json.dumps(
            case.spec.sampler.model_dump()
            | {
                "random_seed": seed,
                "draws": posterior.sizes["draw"],
                "most_draws": case.spec.sampler.draws,
                "backend": "nutpie/numba",
            }
        ),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    diagnostics = last["diagnostics"] if last.get("tree") is tree else judged(tree)
    attrs["diagnostics"] = json.dumps(
        {"passed": diagnostics.passed, "divergences": diagnostics.divergences, "failures": diagnostics.failures}
    )
    return Estimates(posterior=posterior, attrs=attrs, spec=case.spec), diagnostics, timings


def gate_of(case: Case, design: Design) -> Callable[[xr.DataTree], Diagnostics]:
    """The diagnostics gate's verdict on draws of `case` sampled for `design`'s claims."""
    reading = {"latest_report": case.latest_report.isoformat()}

    def judged(tree: xr.DataTree) -> Diagnostics:
        draft = Estimates(kept(posterior_of(tree, design)), reading, case.spec)
        return diagnose(reported_quantities(draft), tree["sample_stats"].to_dataset())

    return judged


def reported_quantities(est: Estimates) -> xr.Dataset:
    """The quantities the gate judges, as (chain, draw) arrays: headlines, ratios, source scales."""
    return est.headline_draws().assign(capacity=est.posterior["capacity"], sigma=est.posterior["sigma"])


def run_estimate(case: Case, seed: int | None = None, progress: bool = False, allow_unconverged: bool = False,
                 wait: bool = False) -> EstimateResult:
    """Fit, gate on diagnostics, and write estimates/<case>/ (all files or none); one such run on a case at a time
    (another is refused at once, or waits with `wait`)."""
    folder = store.folder(case)
    check_writable(folder)
    with exclusive(folder, "estimate", wait):
        est, diagnostics, timings = fit_case(case, seed, progress)
        if not diagnostics.passed and not allow_unconverged:
            return EstimateResult(est, diagnostics, timings, None, 0.0)
        started = time.perf_counter()
        tables = write_estimates(folder, est, case)
    return EstimateResult(est, diagnostics, timings, folder, time.perf_counter() - started, tables)


def write_estimates(folder: Path, est: Estimates, case: Case) -> Tables:
    """Write every file into a temporary folder beside `folder`, then swap it in.

    A run killed at any point leaves the previous estimates readable; what it left behind (a hidden
    staging folder, or the previous set parked mid-swap) is cleared or restored by the next write.
    """
    with exclusive(folder, "write", wait=True):
        return _write_estimates(folder, est, case)


def _write_estimates(folder: Path, est: Estimates, case: Case) -> Tables:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _clear_interrupted(folder)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging.", dir=folder.parent))
        make_shareable(staging)
    except OSError as exc:
        raise ReportedlyError(f"cannot write estimates under {folder.parent}: {exc.strerror or exc}") from None
    try:
        # Validation results (from `reportedly check`, stamped with the claims they ran on) are carried over.
        for carried in folder.glob(f"{store.VALIDATION_PREFIX}*") if folder.exists() else ():
            shutil.copy2(carried, staging / carried.name)
        tables = _write_files(staging, est, case, previous=folder)
        _swap_in(staging, folder)
        return tables
    except (OSError, ReportedlyError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ReportedlyError(
            f"cannot write estimates to {folder}: {reason}; the previous estimates are unchanged"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _clear_interrupted(folder: Path) -> None:
    """Restore a previous set parked by an interrupted swap; remove abandoned staging folders."""
    parked = folder.with_name(f".{folder.name}.old")
    if parked.exists() and not folder.exists():
        os.replace(parked, folder)
    for abandoned in folder.parent.glob(f".{folder.name}.staging.*"):
        shutil.rmtree(abandoned, ignore_errors=True)


def _write_files(staging: Path, est: Estimates, case: Case, previous: Path) -> Tables:
    posterior = est.posterior.astype(np.float32).assign_attrs(est.attrs)
    encoding = {name: {"zlib": True, "complevel": 6} for name in posterior.data_vars}
    posterior.to_netcdf(staging / store.POSTERIOR, engine="h5netcdf", encoding=encoding)
    with xr.open_dataset(staging / store.POSTERIOR, engine="h5netcdf") as written:
        saved = Estimates(posterior=written.load(), attrs=est.attrs, spec=est.spec)
    headlines = headline_table(saved)
    sources = source_table(saved)
    claims = claim_fit_table(saved, case.evidence.claims, seed=int(est.attrs["random_seed"]))
    influence = influence_table(saved)
    onsets = onset_table(saved)
    for table, name in (
        (headlines, store.SUMMARY),
        (claims, store.CLAIMS_FIT),
        (sources, store.SOURCES_FIT),
        (influence, store.INFLUENCE),
        (onsets, store.ONSETS),
    ):
        table.to_csv(staging / name, index=False, float_format="%.6g")
    (staging / store.RECORD).write_text(json.dumps(est.attrs, indent=1, default=str), encoding="utf-8")
    (staging / store.SUMMARY_TEXT).write_text(
        render_summary_markdown(saved, headlines, sources, claims, influence, onsets), encoding="utf-8"
    )
    _write_figures(staging, saved, case, claims, influence, previous)
    return Tables(headlines, sources, claims, onsets)


def _write_figures(
    staging: Path, est: Estimates, case: Case, claims_fit: pd.DataFrame, influence: pd.DataFrame, previous: Path
) -> None:
    """Draw the figures, or copy the previous estimates' when they show exactly the same (a refit with the same
    seed, claims and compiled model draws the same posterior)."""
    key = _figures_key(est, claims_fit, influence, staging)
    try:
        unchanged = (previous / store.FIGURES / store.FIGURES_KEY).read_text(encoding="utf-8") == key
    except OSError:
        unchanged = False
    if unchanged:
        shutil.copytree(previous / store.FIGURES, staging / store.FIGURES)
        return
    draw_figures(staging, est, list(case.evidence.claims), claims_fit, influence)
    (staging / store.FIGURES / store.FIGURES_KEY).write_text(key, encoding="utf-8")


def draw_figures(
    folder: Path, est: Estimates, claims: list[Claim], claims_fit: pd.DataFrame, influence: pd.DataFrame | None
) -> list[Path]:
    """Draw every figure of the estimates, and of the validation beside them, into folder/figures/."""
    from reportedly.results.figures import estimate_figures, save_figures
    from reportedly.validation.figures import validation_figures

    return save_figures(folder, estimate_figures(est, claims, claims_fit, influence) | validation_figures(folder))


def _figures_key(est: Estimates, claims_fit: pd.DataFrame, influence: pd.DataFrame, folder: Path) -> str:
    """A hash of what the figures show: the draws and what they came from, the claims' fit, the influence of
    each claim, the validation results in `folder`, and the code that draws them (this package's source)."""
    digest = hashlib.sha256()
    for name in sorted(est.posterior.data_vars):
        digest.update(name.encode() + np.ascontiguousarray(est.posterior[name].values).tobytes())
    digest.update(
        json.dumps({k: v for k, v in est.attrs.items() if k != "created"}, sort_keys=True, default=str).encode()
    )
    digest.update(claims_fit.to_csv().encode() + influence.to_csv().encode())
    for path in sorted(folder.glob(f"{store.VALIDATION_PREFIX}*")):
        digest.update(path.read_bytes())
    digest.update(source_of())
    return digest.hexdigest()


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace `folder` by `staging` so a reader sees the old set or the new one, never a mix."""
    old = folder.with_name(f".{folder.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)

"""`reportedly check`: run every validation and write estimates/<case>/validation.md and validation.json."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from reportedly.errors import ReportedlyError
from reportedly.files import atomic_write
from reportedly.inputs.case import Case
from reportedly.locks import exclusive
from reportedly.results import store
from reportedly.results.figures import save_figures
from reportedly.validation.calibration import prior_headlines, run_sbc, sbc_coverage
from reportedly.validation.figures import validation_figures
from reportedly.validation.leave_one_out import leave_one_out
from reportedly.validation.refit import Progress, make_refitter, no_progress
from reportedly.validation.report import CheckResults, render_validation
from reportedly.validation.rolling import rolling_origin
from reportedly.validation.sensitivity import power_scaling, sensitivity
from reportedly.validation.settings import CheckSettings
from reportedly.validation.stress import run_stress, stress_coverage
from reportedly.validation.sweep import cluster


def run_check(case: Case, settings: CheckSettings, progress: Progress = no_progress) -> CheckResults:
    """Every validation of the case, its refits on local Dask workers, a cluster's, or in this process."""
    sampler = case.spec.sampler.model_copy(
        update={"draws": settings.draws, "tune": settings.tune, "chains": settings.chains}
    )
    with cluster(settings.workers, settings.scheduler) as client:
        refitter = make_refitter(case, sampler, client)
        sbc = run_sbc(refitter, settings.sims, settings.seed, progress)
        return CheckResults(
            settings=settings,
            sbc=sbc,
            coverage=sbc_coverage(sbc),
            loo=leave_one_out(refitter, settings.seed, progress),
            sensitivity=sensitivity(refitter, settings.seed, progress),
            power_scaling=power_scaling(refitter, settings.seed),
            prior=prior_headlines(refitter, seed=settings.seed),
            rolling=rolling_origin(refitter, settings.seed, progress),
            stress=stress_coverage(run_stress(refitter, settings.sims_per_shape, settings.seed, progress)),
        )


def write_check(case: Case, results: CheckResults) -> Path:
    """Write validation.md and validation.json into estimates/<case>/, each atomically."""
    folder = store.folder(case)
    stamp = {
        "case": case.name,
        **case.fingerprint(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {k: v for k, v in results.settings.__dict__.items() if k not in ("workers", "scheduler")},
        "calibrated": results.calibrated,
    }
    tables = {
        "coverage": results.coverage,
        "loo": results.loo,
        "sensitivity": results.sensitivity,
        "power_scaling": results.power_scaling,
        "prior": results.prior,
        "sbc": results.sbc,
        "rolling_predictions": results.rolling.predictions,
        "rolling_headlines": results.rolling.headlines,
        "stress": results.stress,
    }
    payload = json.dumps(stamp | {k: v.to_dict("records") for k, v in tables.items()}, indent=1, default=str)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportedlyError(f"cannot write validation to {folder}: {exc.strerror or exc}") from None
    with exclusive(folder, "write", wait=True):
        texts = ((store.VALIDATION, payload), (store.VALIDATION_TEXT, render_validation(case, results, stamp)))
        for name, text in texts:
            atomic_write(folder / name, lambda path, text=text: path.write_text(text, encoding="utf-8"))
        save_figures(folder, validation_figures(folder))
    return folder / store.VALIDATION_TEXT


def check_case(case: Case, settings: CheckSettings, progress: Progress = no_progress,
               wait: bool = False) -> tuple[CheckResults, Path]:
    """Run every validation and write it; one check of a case at a time (another is refused at once, or waits with
    `wait`). The results, and where validation.md went."""
    with exclusive(store.folder(case), "check", wait):
        results = run_check(case, settings, progress)
        return results, write_check(case, results)

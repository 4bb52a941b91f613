"""Faults: killed runs, failed writes, stale estimates, unconverged fits, determinism. Nothing is lost."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import xarray as xr
from conftest import edit, estimates_entries

from reportedly.cli import main
from reportedly.errors import ReportedlyError
from reportedly.inputs.case import load_case
from reportedly.results import store
from reportedly.results.estimates import load_estimates
from reportedly.workflows.estimate import write_estimates

pytestmark = pytest.mark.slow
FOLDER = "estimates/dprk_russia"


@pytest.fixture
def fitted_copy(fitted_case, tmp_path):
    """A private copy of the fitted case, with its estimates, to break."""
    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    return copy


def snapshot(root):
    """Every file of the estimates folder, by relative path."""
    folder = root / FOLDER
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killed_estimate_leaves_previous_estimates_intact(fitted_copy):
    before = snapshot(fitted_copy)
    run = subprocess.Popen([sys.executable, "-m", "reportedly.cli", "--root", str(fitted_copy), "estimate", "--quiet"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)  # loading the compiled model, or sampling
    assert run.poll() is None, "the run ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert snapshot(fitted_copy) == before
    # A staging folder it may have begun is hidden, and the next write clears it (test_next_write_recovers...).
    assert {p.name for p in (fitted_copy / "estimates").iterdir() if not p.name.startswith(".")} == {"dprk_russia"}
    assert main(["--root", str(fitted_copy), "summary"]) == 0


def test_next_write_recovers_from_a_run_killed_mid_swap(fitted_copy):
    case = load_case(fitted_copy)
    est = load_estimates(store.folder(case))
    # What a kill between the two renames of the swap leaves: the previous set parked, a staging folder abandoned.
    os.replace(store.folder(case), fitted_copy / "estimates/.dprk_russia.old")
    (fitted_copy / "estimates/.dprk_russia.staging.x1").mkdir()
    (fitted_copy / "estimates/.dprk_russia.staging.x1/posterior.nc").write_bytes(b"half")
    write_estimates(store.folder(case), est, case)
    assert estimates_entries(fitted_copy) == ["dprk_russia"]
    assert load_estimates(store.folder(case)).attrs["claims_hash"] == est.attrs["claims_hash"]


def test_full_disk_gives_a_clear_error_and_keeps_previous_estimates(fitted_copy, monkeypatch):
    case = load_case(fitted_copy)
    est = load_estimates(store.folder(case))
    before = snapshot(fitted_copy)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", disk_full)
    with pytest.raises(ReportedlyError, match="No space left on device; the previous estimates are unchanged"):
        write_estimates(store.folder(case), est, case)
    assert snapshot(fitted_copy) == before
    assert estimates_entries(fitted_copy) == ["dprk_russia"]


def test_unwritable_estimates_location_gives_a_clear_error(fitted_copy):
    case = load_case(fitted_copy)
    est = load_estimates(store.folder(case))
    shutil.rmtree(fitted_copy / "estimates")
    (fitted_copy / "estimates").write_text("not a folder")
    with pytest.raises(ReportedlyError, match="cannot write estimates to .*nothing was written"):
        write_estimates(store.folder(case), est, case)
    assert (fitted_copy / "estimates").read_text() == "not a folder"


def test_bad_input_writes_nothing(fitted_copy, capsys):
    before = snapshot(fitted_copy)
    edit(fitted_copy / "seeds/claims/000_31607b5f6cd77ebe.yaml", "    value: 9000000\n", "    value: -9\n")
    assert main(["--root", str(fitted_copy), "estimate", "--quiet"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(fitted_copy) == before


@pytest.mark.parametrize("command", [["summary"], ["query", "dprk_russia", "shells"], ["plot"]])
def test_stale_estimates_are_flagged_on_load(fitted_copy, capsys, command):
    edit(fitted_copy / "models/dprk_russia.toml", "bias_sd = 0.1", "bias_sd = 0.12")
    assert main(["--root", str(fitted_copy), *command]) == 0
    err = capsys.readouterr().err
    assert "the model file changed since these estimates were fitted" in err
    assert "re-run 'reportedly estimate dprk_russia'" in err


def test_unconverged_fit_is_sampled_again_then_written_only_on_request_and_marked(fitted_copy, capsys, caplog):
    # the shipped tuning and seed, whose first 20 draws do not diverge: the fit fails on mixing alone
    edit(fitted_copy / "models/dprk_russia.toml", "draws = 2000", "draws = 20")
    assert main(["--root", str(fitted_copy), "estimate", "--quiet", "--allow-unconverged"]) == 1
    capsys.readouterr()
    assert "the fit did not pass the diagnostics gate (R-hat" in caplog.text
    assert "sampling again with 40 draws a chain" in caplog.text
    with xr.open_dataset(fitted_copy / FOLDER / "posterior.nc", engine="h5netcdf") as saved:
        assert saved.sizes["draw"] == 40 and json.loads(saved.attrs["sampler"])["draws"] == 40
    assert main(["--root", str(fitted_copy), "summary"]) == 0
    captured = capsys.readouterr()
    assert "NOT CONVERGED" in captured.out
    assert "did NOT pass the diagnostics gate" in captured.err
    assert "NOT CONVERGED" in (fitted_copy / FOLDER / "summary.md").read_text()
    assert main(["--root", str(fitted_copy), "summary", "--json"]) == 0
    assert any("NOT" in w for w in json.loads(capsys.readouterr().out)["warnings"])


def test_a_seed_gives_identical_draws_whether_the_model_was_just_compiled_or_loaded(tmp_path):
    """Empty compile cache, fit, fit again (each a fresh process): the same summary.csv, byte for byte, and the
    figures copied, not drawn again. Another seed gives other draws that agree within Monte Carlo error."""
    from conftest import ROOT

    from reportedly.results.regression import compare

    case = tmp_path / "case"
    shutil.copytree(ROOT / "tests/cases/aid_convoys", case)
    edit(case / "models/aid_convoys.toml", "draws = 2000\ntune = 500", "draws = 400\ntune = 300")
    caches = tmp_path / "caches"
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={caches}", "NUMBA_CACHE_DIR": str(caches / "numba")}
    summaries, figures = [], []
    for seed in ("5", "5", "6"):
        done = subprocess.run([sys.executable, "-m", "reportedly.cli", "--root", str(case), "estimate", "--quiet",
                               "--allow-unconverged", "--seed", seed], capture_output=True, text=True, env=env, check=False)
        assert done.returncode in (0, 1), done.stderr[-3000:]
        folder = case / "estimates/aid_convoys"
        summaries.append(((folder / "summary.csv").read_bytes(), load_estimates(folder)))
        figures.append(
            (
                (folder / "figures" / store.FIGURES_KEY).read_text(),
                (folder / "figures/cumulative.png").stat().st_mtime_ns,
            )
        )
    assert summaries[0][0] == summaries[1][0]
    assert summaries[0][0] != summaries[2][0]
    assert figures[0] == figures[1], "the same posterior's figures are copied"
    assert figures[2][0] != figures[0][0] and figures[2][1] > figures[0][1], "another posterior's are drawn"
    assert compare(summaries[0][1], summaries[2][1]) == []


def test_an_unwritable_estimates_folder_is_refused_before_fitting(fitted_copy, capsys):
    shutil.rmtree(fitted_copy / "estimates")
    (fitted_copy / "estimates").write_text("not a folder")
    started = time.perf_counter()
    assert main(["--root", str(fitted_copy), "estimate", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot write estimates to" in err and "(nothing was fitted)" in err and "Traceback" not in err
    assert time.perf_counter() - started < 60, "refused only after fitting"


def test_plot_into_an_unwritable_figures_folder(fitted_copy, capsys):
    shutil.rmtree(fitted_copy / FOLDER / "figures")
    (fitted_copy / FOLDER / "figures").write_text("not a folder")
    assert main(["--root", str(fitted_copy), "plot"]) == 2
    err = capsys.readouterr().err
    assert "cannot write figures to" in err and "Traceback" not in err


def test_a_claim_that_makes_the_log_density_infinite_is_named_before_sampling():
    import dataclasses

    from conftest import ROOT

    from reportedly.fitting.sampling import sample
    from reportedly.model.design import build_design

    case = load_case(ROOT / "tests/cases/aid_convoys")
    design = build_design(case)
    i = design.claim_ids.index("bw-trucks")
    lower = design.log_lower.copy()
    lower[i] = design.log_upper[i] + 1.0  # an empty interval: probability 0 whatever the truth
    with pytest.raises(ReportedlyError, match="not finite at its starting point, because of claim\\(s\\) bw-trucks: "):
        sample(case.spec, dataclasses.replace(design, log_lower=lower), seed=1)


def test_a_forecast_from_estimates_an_earlier_version_saved_asks_for_a_refit(fitted_copy, capsys):
    path = fitted_copy / FOLDER / "posterior.nc"
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        older = ds.load().drop_vars("last_trend")
    older.to_netcdf(path, engine="h5netcdf")
    assert main(["--root", str(fitted_copy), "query", "dprk_russia", "troops", "--to", "2025-11-25"]) == 2
    err = capsys.readouterr().err
    assert "keep no trend to forecast from" in err and "run 'reportedly estimate dprk_russia' again" in err

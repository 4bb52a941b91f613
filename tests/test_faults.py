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

from conftest import edit
from reportedly.case import load_case
from reportedly.cli import main
from reportedly.errors import ReportedlyError
from reportedly.estimate import write_estimates
from reportedly.posterior import load_estimates

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
    time.sleep(8)  # compiling or sampling
    assert run.poll() is None, "the run ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert snapshot(fitted_copy) == before
    assert [p.name for p in (fitted_copy / "estimates").iterdir()] == ["dprk_russia"]
    assert main(["--root", str(fitted_copy), "summary"]) == 0


def test_next_write_recovers_from_a_run_killed_mid_swap(fitted_copy):
    case = load_case(fitted_copy)
    est = load_estimates(case.estimates_dir)
    # What a kill between the two renames of the swap leaves: the previous set parked, a staging folder abandoned.
    os.replace(case.estimates_dir, fitted_copy / "estimates/.dprk_russia.old")
    (fitted_copy / "estimates/.dprk_russia.staging.x1").mkdir()
    (fitted_copy / "estimates/.dprk_russia.staging.x1/posterior.nc").write_bytes(b"half")
    write_estimates(case.estimates_dir, est, case)
    assert sorted(p.name for p in (fitted_copy / "estimates").iterdir()) == ["dprk_russia"]
    assert load_estimates(case.estimates_dir).attrs["claims_hash"] == est.attrs["claims_hash"]


def test_full_disk_gives_a_clear_error_and_keeps_previous_estimates(fitted_copy, monkeypatch):
    case = load_case(fitted_copy)
    est = load_estimates(case.estimates_dir)
    before = snapshot(fitted_copy)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", disk_full)
    with pytest.raises(ReportedlyError, match="No space left on device; the previous estimates are unchanged"):
        write_estimates(case.estimates_dir, est, case)
    assert snapshot(fitted_copy) == before
    assert [p.name for p in (fitted_copy / "estimates").iterdir()] == ["dprk_russia"]


def test_unwritable_estimates_location_gives_a_clear_error(fitted_copy):
    case = load_case(fitted_copy)
    est = load_estimates(case.estimates_dir)
    shutil.rmtree(fitted_copy / "estimates")
    (fitted_copy / "estimates").write_text("not a folder")
    with pytest.raises(ReportedlyError, match="cannot write estimates under"):
        write_estimates(case.estimates_dir, est, case)
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


def test_unconverged_fit_is_written_only_on_request_and_marked(fitted_copy, capsys):
    edit(fitted_copy / "models/dprk_russia.toml", "draws = 1000\ntune = 500", "draws = 20\ntune = 30")
    assert main(["--root", str(fitted_copy), "estimate", "--quiet", "--allow-unconverged"]) == 1
    capsys.readouterr()
    assert main(["--root", str(fitted_copy), "summary"]) == 0
    captured = capsys.readouterr()
    assert "NOT CONVERGED" in captured.out
    assert "did NOT pass the diagnostics gate" in captured.err
    assert "NOT CONVERGED" in (fitted_copy / FOLDER / "summary.md").read_text()
    assert main(["--root", str(fitted_copy), "summary", "--json"]) == 0
    assert any("NOT" in w for w in json.loads(capsys.readouterr().out)["warnings"])


def test_same_seed_gives_identical_summary_and_another_seed_agrees_within_mc_error(fitted_copy):
    from reportedly.regression import compare

    edit(fitted_copy / "models/dprk_russia.toml", "draws = 1000\ntune = 500", "draws = 400\ntune = 400")
    summaries = []
    for seed in ("5", "5", "6"):
        main(["--root", str(fitted_copy), "estimate", "--quiet", "--allow-unconverged", "--seed", seed])
        summaries.append(((fitted_copy / FOLDER / "summary.csv").read_bytes(), load_estimates(fitted_copy / FOLDER)))
    assert summaries[0][0] == summaries[1][0]
    assert summaries[0][0] != summaries[2][0]
    assert compare(summaries[0][1], summaries[2][1]) == []

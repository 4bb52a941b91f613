"""Two runs on one case, and settings no one means: a second run is refused at once or waits, a stale lock is taken
over, a compile child dies with its parent, two processes compile one model once, an axis typo is refused at once."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, edit

from reportedly.cli import main

pytestmark = pytest.mark.slow
CASE = "aid_convoys"


def second_case(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    shutil.copytree(ROOT / "tests/cases" / CASE, root)
    edit(root / f"models/{CASE}.toml", "draws = 2000\ntune = 500", "draws = 500\ntune = 300")
    return root


def reportedly(root: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reportedly.cli", "--root", str(root), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float = 240.0):
    """The first true value of `condition()`, asked every tenth of a second."""
    until = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < until, "timed out"
        time.sleep(0.1)
    return found


def compile_children(pid: int) -> list[psutil.Process]:
    """The running children of process `pid` that compile a model; one that has just ended is not among them."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "compile_cache" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:   # ended (ZombieProcess is one) between the listing and the look
            continue
    return found


def test_a_second_run_on_a_case_is_refused_at_once_or_waits(tmp_path):
    root = second_case(tmp_path)
    holder = root / "estimates" / f".{CASE}.estimate.lock.json"
    first = reportedly(root, "estimate", "--quiet")
    wait_for(holder.exists)
    started = time.monotonic()
    refused = reportedly(root, "estimate", "--quiet")
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and time.monotonic() - started < 30
    assert f"is being written by process {first.pid} ('reportedly --root {root} estimate --quiet'" in err
    assert "pass --wait" in err and "nothing was started" in err
    waiting = reportedly(root, "estimate", "--quiet", "--wait")
    _, err = waiting.communicate(timeout=600)
    _, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err[-2000:]
    assert waiting.returncode == 0 and f"waiting for process {first.pid}" in err
    assert not holder.exists()
    assert main(["--root", str(root), "summary"]) == 0


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path, capsys):
    root = second_case(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = root / "estimates"
    folder.mkdir()
    (folder / f".{CASE}.estimate.lock").write_text("")
    (folder / f".{CASE}.estimate.lock.json").write_text(json.dumps({"pid": gone.pid, "command": "reportedly estimate",
                                                                    "started": "2026-01-01T00:00:00"}))
    assert main(["--root", str(root), "estimate", "--quiet"]) == 0
    assert not (folder / f".{CASE}.estimate.lock.json").exists()


def test_a_compile_child_dies_with_its_parent_and_two_processes_compile_a_model_once(tmp_path):
    root = second_case(tmp_path)
    caches = tmp_path / "caches"
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={caches}", "NUMBA_CACHE_DIR": str(caches / "numba")}
    parent = reportedly(root, "estimate", "--quiet", env=env)
    try:
        children = wait_for(lambda: compile_children(parent.pid))
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.communicate()
    for child in children:
        child.wait(timeout=10)   # raises psutil.TimeoutExpired if the orphan lives on

    script = ("import sys, logging; logging.basicConfig(level=logging.INFO)\n"
              "from pathlib import Path; from reportedly.inputs.case import load_case\n"
              "from reportedly.model.design import build_design; from reportedly.fitting.compile_cache import compile_design\n"
              "case = load_case(Path(sys.argv[1])); print(compile_design(case.spec, build_design(case)).n_dim)")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(root)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err[-2000:] for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    assert sum("waiting for" in err for _, err in outputs) == 1, "the second waits for the first, then loads"


def test_an_axis_of_millennia_is_refused_at_once(case_dir, capsys):
    edit(case_dir / "models/dprk_russia.toml", "start = 2023-01-01", "start = 0001-01-01")
    started = time.monotonic()
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert ("error: models/dprk_russia.toml: [time] start 0001-01-01 to end 2025-07-31 spans 24,295 months; an axis "
            "may span at most 600 (50 years): correct [time] start or end (or pass --force)") in err
    assert main(["--root", str(case_dir), "estimate", "--quiet"]) == 2
    assert "spans 24,295 months" in capsys.readouterr().err and time.monotonic() - started < 30
    assert not (case_dir / "estimates").exists()


def test_a_horizon_decades_away_a_far_onset_and_a_far_prior_are_named(case_dir, capsys):
    from reportedly.inputs.case import load_case
    from reportedly.inputs.sanity import check_settings

    edit(case_dir / "models/dprk_russia.toml", "horizon = 2026-12-31", "horizon = 2075-12-31")
    edit(case_dir / "models/dprk_russia.toml", "start = 2023-01-01", "start = 2019-01-01")
    edit(case_dir / "models/dprk_russia.toml", "mean = 2024-10-10", "mean = 2019-06-01")
    edit(case_dir / "models/dprk_russia.toml", 'level = { dist = "lognormal", median = 5,',
         'level = { dist = "lognormal", median = 50000,')
    findings = check_settings(load_case(case_dir))
    text = "\n".join(map(str, findings))
    assert [f.refuse for f in findings] == [True, False, False], text
    assert "[time] horizon 2075-12-31 is 50 years past the axis end" in text
    assert "[flows.troops] onset mean 2019-06-01 is more than 24 months from every claim about troops" in text
    assert "[flows.ballistic_missiles] level median 50000 a month puts every claim" in text
    assert main(["--root", str(case_dir), "estimate", "--quiet"]) == 2
    assert "pass --force if you mean it" in capsys.readouterr().err

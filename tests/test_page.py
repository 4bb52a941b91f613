"""`reportedly report`: one self-contained HTML page, loaded in a real headless browser."""

import re
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import edit

from reportedly.cli import main
from reportedly.results.render import number

pytestmark = pytest.mark.slow


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "the browser test needs chromium; ./run.sh test installs Debian's package when it is missing"
    return found


def test_the_page_loads_in_a_browser_and_shows_the_headlines(fitted_case, tmp_path, capsys):
    page = tmp_path / "report.html"
    assert main(["--root", str(fitted_case), "report", "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "src='data:image/png;base64," in text and "http" not in text.split("<body>")[1]
    browser = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    )
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    headlines = pd.read_csv(fitted_case / "estimates/dprk_russia/summary.csv")
    for row in headlines.itertuples():
        assert row.label in dom.stdout and number(row.median) in dom.stdout, row.label
    assert len(re.findall(r"<img ", dom.stdout)) >= 5
    for claim in ("kh-shells-2024", "ai-troops-early-2024"):  # every claim, used or not, with its quote
        assert claim in dom.stdout
    assert "Multilateral Sanctions Monitoring Team" in dom.stdout and "Not validated yet" in dom.stdout
    onsets = pd.read_csv(fitted_case / "estimates/dprk_russia/onsets.csv")   # when each flow began, as saved
    assert "When each flow began" in dom.stdout
    for row in onsets.itertuples():
        assert f"{row.q05} – {row.q95}" in dom.stdout and f"{row.prior_q05} – {row.prior_q95}" in dom.stdout, row.flow
    shot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 50_000
    print(f"screenshot of the page: {shot}")


def test_the_page_carries_a_banner_when_the_estimates_are_stale(fitted_case, tmp_path):
    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    edit(copy / "seeds/claims/000_31607b5f6cd77ebe.yaml", "notes: Rocket-launcher", "notes: Edited. Rocket-launcher")
    assert main(["--root", str(copy), "report"]) == 0
    text = (copy / "estimates/dprk_russia/report.html").read_text(encoding="utf-8")
    assert (
        "<div class='banner' role='alert'>the claims (seeds/) changed since these estimates were fitted</div>" in text
    )

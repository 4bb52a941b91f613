"""The package's own habits, checked as every other test: ruff's rules in pyproject.toml (docstrings on the public
API, imports sorted, lines within the width) over the package, its tests, the benchmark and the notebooks."""

import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "reportedly", "tests", "bench", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

"""A light `reportedly check`: calibration within its binomial band, leave-one-out and sensitivity tables."""

import json

import pytest
from conftest import copy_case

from reportedly.cli import main
from reportedly.validation.calibration import sbc_coverage

pytestmark = pytest.mark.slow
SIMS = 24


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = copy_case(tmp_path_factory.mktemp("checked"))
    code = main(["--root", str(root), "check", "--sims", str(SIMS), "--stress-sims", "1", "--draws", "200", "--tune", "300",
                 "--chains", "2"])
    return root, code


def test_light_sbc_coverage_stays_in_its_binomial_band(checked):
    root, _ = checked
    results = json.loads((root / "estimates/dprk_russia/validation.json").read_text())
    import pandas as pd

    # The report uses a family-wise 95% band; this regression guard a family-wise 99% band, so that a
    # calibrated model fails it about 1% of the time while a miscalibrated one (the one-sided "more than"
    # covered 69% at 90%) is caught.
    coverage = sbc_coverage(pd.DataFrame(results["sbc"]), family_confidence=0.99)
    assert len(coverage) == 8 and (coverage["sims"] == SIMS).all()
    outside = coverage[~(coverage["ok_50"] & coverage["ok_90"])]
    assert outside.empty, outside.to_string()


def test_check_writes_the_report(checked):
    root, code = checked
    assert code in (0, 1)
    report = (root / "estimates/dprk_russia/validation.md").read_text()
    sections = ["## Out of sample: leave one assessment out", "## Simulation-based calibration", "## Sensitivity",
                "## Power-scaling sensitivity", "## Prior predictive"]
    assert [report.index(s) for s in sections] == sorted(report.index(s) for s in sections)
    assert f"reportedly check dprk_russia --sims {SIMS} --draws 200 --tune 300 --chains 2 --seed 1" in report
    results = json.loads((root / "estimates/dprk_russia/validation.json").read_text())
    assert len(results["loo"]) == 15
    variants = {row["variant"] for row in results["sensitivity"]}
    assert {"as fitted", "all sources rated C", "ratings one letter harsher", "without msmt"} <= variants


def test_plot_needs_estimates_and_estimate_keeps_validation_results(checked, capsys):
    root, _ = checked
    before = (root / "estimates/dprk_russia/validation.md").read_bytes()
    assert main(["--root", str(root), "plot"]) == 2
    assert "no estimates at" in capsys.readouterr().err
    assert main(["--root", str(root), "estimate", "--quiet"]) == 0
    assert (root / "estimates/dprk_russia/validation.md").read_bytes() == before
    assert (root / "estimates/dprk_russia/figures/sbc_ranks.png").exists()

"""A second case, unlike the shipped one, end to end: other quantity names, a flow without onset, a link with
its own ratio, source types the shipped case lacks. Nothing in the package may assume the shipped case."""

import datetime as dt
import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import edit

from reportedly.cli import main
from reportedly.inputs.case import load_case
from reportedly.validation.stress import KINDS, SHAPES, SHORT_KINDS

pytestmark = pytest.mark.slow
CASE = Path(__file__).parent / "cases" / "aid_convoys"
NAME = "aid_convoys"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("second") / "case"
    shutil.copytree(CASE, root)
    mask = os.umask(0o022)
    try:
        code = main(["--root", str(root), "estimate", "--quiet"])
    finally:
        os.umask(mask)
    assert code == 0
    return root


def test_claims_and_sources(fitted, capsys):
    assert main(["--root", str(fitted), "claims", "--check"]) == 0
    assert "all claims valid." in capsys.readouterr().out
    assert main(["--root", str(fitted), "sources"]) == 0
    out = capsys.readouterr().out
    for kind in (
        "international organisation",
        "open-source research group",
        "think tank",
        "news outlet's own reporting",
    ):
        assert kind in out


def test_estimate_writes_figures_for_this_case_with_the_users_umask(fitted):
    folder = fitted / "estimates" / NAME
    figures = sorted(p.name for p in (folder / "figures").glob("*.png"))
    assert figures == ["claims_forest.png", "cumulative.png", "drivers.png", "sources.png", "tonnes_per_truck.png"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    for path in [folder / "posterior.nc", folder / "summary.csv", folder / "figures" / "cumulative.png"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_summary_and_query(fitted, capsys):
    assert main(["--root", str(fitted), "summary"]) == 0
    out = capsys.readouterr().out
    assert "Tonnes per truck (realised)" in out and "diagnostics: converged" in out and "the_daily" in out
    assert (
        main(
            [
                "--root",
                str(fitted),
                "query",
                NAME,
                "tonnes",
                "--from",
                "2024-01-01",
                "--to",
                "2024-12-31",
                "--rating",
                "C",
                "--json",
            ]
        )
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["total"]["0.05"] < 90_000 < answer["total"]["0.95"]
    assert main(["--root", str(fitted), "query", NAME, "tonnes_per_truck", "--json"]) == 0
    assert 5 < json.loads(capsys.readouterr().out)["total"]["0.5"] < 25


def test_batch_answers_each_row_and_names_the_one_it_cannot(fitted, tmp_path, capsys):
    batch = tmp_path / "rows.csv"
    batch.write_text(
        "quantity,start,end,rating\ntrucks,2024-01-01,2024-06-30,B\nevacuees,,2027-03-31,\n"
        "tonnes,2024-13-01,,\ntrucks,,,\n",
        encoding="utf-8",
    )
    assert main(["--root", str(fitted), "query", NAME, "--batch", str(batch), "--json"]) == 2
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r.get("error") is None for r in rows] == [True, False, False, True]
    assert rows[1]["error"] == (
        "2027-03-31 is past the forecast horizon (2026-09-30); pass --horizon 2027-03-31 (or "
        "later), or set [time] horizon in models/aid_convoys.toml"
    )
    assert rows[2]["error"].endswith("line 4: dates must be YYYY-MM-DD or empty")
    assert rows[0]["total"]["0.5"] > 0 and rows[3]["total"]["0.5"] > rows[0]["total"]["0.5"]
    assert "2 of 4 rows could not be answered (lines 3, 4)" in captured.err


def test_check_with_few_simulations_says_they_cannot_tell(fitted, capsys):
    code = main(["--root", str(fitted), "check", "--sims", "4", "--draws", "150", "--tune", "150", "--chains", "2"])
    assert code in (0, 1)
    report = (fitted / "estimates" / NAME / "validation.md").read_text()
    assert "With 4 simulations the bands are wide" in report and "run `--sims 200` to tell" in report
    results = json.loads((fitted / "estimates" / NAME / "validation.json").read_text())
    assert {r["headline"] for r in results["coverage"]} == {
        "trucks_2024",
        "tonnes_to_date",
        "evacuees_to_date",
        "tonnes_per_truck",
    }
    assert main(["--root", str(fitted), "plot"]) == 0
    assert "sbc_ranks.png" in capsys.readouterr().out

    # calibration under misspecification: every shape, scored on headlines, months, months inside windows and
    # a flow's first days and windows of days to weeks (the point error of the median and of a constant-rate reading)
    stress = pd.DataFrame(results["stress"])
    assert list(dict.fromkeys(stress["shape"])) == list(SHAPES)
    assert set(stress["kind"]) == set(KINDS)
    short = stress[stress["kind"].isin(SHORT_KINDS)]
    assert (short["median_log_error"] >= 0).all() and (short["even_log_error"] >= 0).all()
    assert "constant-rate reading" in report
    assert stress["coverage_90"].between(0, 1).all() and (stress["median_width"] > 0).all()
    assert "## Calibration under misspecification" in report and "--stress-sims 1" in report

    # what was known when: each report date's claims predicted from the fit on the claims reported before it
    assert "## What was known when: rolling origin" in report
    predicted = pd.DataFrame(results["rolling_predictions"])
    used = {c.id: c.report_date for c in load_case(fitted).evidence.used}
    assert set(predicted["id"]) == {claim for claim, day in used.items() if day > min(used.values())}
    assert (pd.to_datetime(predicted["known_by"]) < pd.to_datetime(predicted["reported"])).all()
    assert np.isfinite(predicted["log_error"]).all()
    stood = pd.DataFrame(results["rolling_headlines"])
    assert sorted(set(stood["as_of"])) == sorted({str(day) for day in used.values()})
    assert (fitted / "estimates" / NAME / "figures" / "as_of.png").stat().st_size > 10_000


def test_estimate_as_of_a_day_uses_only_what_was_reported_by_then(fitted, capsys):
    code = main(["--root", str(fitted), "estimate", NAME, "--as-of", "2025-06-30", "--quiet"])
    assert code == 0, capsys.readouterr().err
    folder = fitted / "estimates" / f"{NAME}-as-of-2025-06-30"
    from reportedly.results.estimates import load_estimates

    est = load_estimates(folder)
    assert est.attrs["as_of"] == "2025-06-30" and est.attrs["latest_report"] == "2025-06-20"
    known = [c.id for c in load_case(fitted).evidence.used if c.report_date <= dt.date(2025, 6, 30)]
    assert est.attrs["claims_used"].split(",") == known
    capsys.readouterr()
    assert main(["--root", str(fitted), "summary", NAME, "--as-of", "2025-06-30"]) == 0
    assert f"case {NAME}, seed" in capsys.readouterr().out
    assert main(["--root", str(fitted), "estimate", NAME, "--as-of", "2020-01-01"]) == 2
    assert "no used claim had been reported by 2020-01-01" in capsys.readouterr().err


def test_a_refit_names_a_claim_it_cannot_reconcile_and_stale_validation(fitted, tmp_path, capsys):
    root = tmp_path / "case"
    shutil.copytree(fitted, root)
    for path in (root / "seeds/articles/003_daily.txt", root / "seeds/claims/003_daily.yaml"):
        edit(path, "about 2,000 evacuees", "about 200,000 evacuees")
    edit(root / "seeds/claims/003_daily.yaml", "    value: 2000\n", "    value: 200000\n")
    main(["--root", str(root), "estimate", "--quiet", "--allow-unconverged"])
    out = capsys.readouterr().out
    assert out.count("Source error scale σ") == 1, "the summary is printed once"
    assert "WARNING: claim daily-evacuees-march (approximately 200,000 evacuees, the_daily) is hard to reconcile" in out
    assert "validation.md was run on other claims or another model file than the current ones" in out


def test_pointwise_log_likelihood_is_the_models(fitted):
    """The saved log-likelihood of each claim, recomputed from the draws, equals PyMC's for the same draws."""
    import numpy as np
    import pymc as pm
    import xarray as xr

    from reportedly.fitting.compile_cache import compile_design
    from reportedly.fitting.sampling import posterior_of, sample_compiled
    from reportedly.inputs.case import load_case
    from reportedly.model.builder import build_model
    from reportedly.model.design import build_design
    from reportedly.results.influence import claim_log_likelihood

    case = load_case(fitted)
    design = build_design(case)
    sampler = case.spec.sampler.model_copy(update={"draws": 20, "tune": 50, "chains": 2})
    posterior = posterior_of(sample_compiled(compile_design(case.spec, design), sampler, seed=3), design)
    expected = pm.compute_log_likelihood(
        xr.DataTree.from_dict({"posterior": posterior}),
        model=build_model(case.spec, design),
        extend_inferencedata=False,
        progressbar=False,
    )["claims"].values
    ours = claim_log_likelihood(posterior, design).values
    assert np.allclose(ours, expected, rtol=1e-8, atol=1e-10)


def test_explain_agrees_with_refits_without_each_claim(fitted, capsys):
    """Where Pareto k is good, importance sampling gives the headlines without a claim that a refit gives,
    within Monte Carlo error; `explain` refits where it is not."""
    import numpy as np
    import pandas as pd

    from reportedly.inputs.case import load_case
    from reportedly.results.estimates import load_estimates
    from reportedly.results.influence import QUANTILES, influence_table, loo_weights
    from reportedly.validation.refit import make_refitter

    assert main(["--root", str(fitted), "explain", NAME, "--json"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert len(table) == 6 * 4 and table["reliable"].all()
    assert set(table.loc[table["pareto_k"] > 0.7, "method"]) <= {"refit"}

    case, est = load_case(fitted), load_estimates(fitted / "estimates" / NAME)
    psis = influence_table(est)
    weights, _ = loo_weights(est.posterior["log_likelihood"])
    claims = list(est.posterior["log_likelihood"]["claim"].values)
    refitter = make_refitter(case, case.spec.sampler)
    reliable = psis[psis["reliable"]].assign(size=psis["shift"].abs())
    moving = list(reliable.sort_values("size", ascending=False)["claim"].drop_duplicates()[:2])
    assert len(moving) == 2, "fewer than two claims with a good Pareto k"
    checked = 0
    for claim in moving:  # the two claims importance sampling answers that move a headline most
        i = claims.index(claim)
        exact = refitter.fit(11, refitter.design.without([claim]))[0].headline_draws()
        effective = 1 / np.sum(weights[i] ** 2)
        for h in case.spec.headlines:
            row = psis[(psis["claim"] == claim) & (psis["headline"] == h.name)].iloc[0]
            draws = exact[h.name].values.ravel()
            refit_median = np.quantile(draws, QUANTILES[1])
            # Monte Carlo error of a median: sqrt(pi/2) sd / sqrt(n) for n independent draws; n is the weights'
            # effective size for importance sampling, and the refit's draws count at a tenth (autocorrelation).
            se_psis = 1.2533 * np.std(draws) / np.sqrt(effective / 10)
            se_refit = 1.2533 * np.std(draws) / np.sqrt(len(draws) / 10)
            assert abs(row["median_without"] - refit_median) <= 4 * np.hypot(se_psis, se_refit), (claim, h.name)
            checked += 1
    assert checked == 8


def test_validation_sweeps_on_dask_workers_give_the_same_results(fitted, tmp_path):
    """The refits of `check` on two local Dask worker processes give what they give in this process, seed for seed."""
    settings = ["check", NAME, "--sims", "2", "--stress-sims", "1", "--draws", "60", "--tune", "60", "--chains", "2"]
    tables = []
    for workers in ("0", "2"):
        assert main(["--root", str(fitted), *settings, "--workers", workers]) in (0, 1)
        results = json.loads((fitted / "estimates" / NAME / "validation.json").read_text())
        tables.append({k: v for k, v in results.items() if k != "created"})
    assert tables[0] == tables[1]


def test_an_unreachable_scheduler_is_a_clear_error(fitted, capsys):
    assert main(["--root", str(fitted), "check", NAME, "--sims", "1", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_local_workers_start_while_another_cluster_holds_the_dashboard_port():
    """Two `check` runs at once (or a check beside the tests): the second cluster's dashboard takes any free port."""
    import socket

    from reportedly.validation.sweep import cluster

    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            held.bind(("", 8787))
            held.listen()
        except OSError:
            pass  # something already holds it, which is the case under test
        with cluster(1) as client:
            assert client.submit(sum, [40, 2]).result() == 42

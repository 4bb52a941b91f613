"""The shipped case end to end: fit, gate, files, summary and query from saved estimates."""

import calendar
import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from conftest import ROOT, edit, estimates_entries

from reportedly.cli import main

pytestmark = pytest.mark.slow


def test_estimate_writes_self_describing_files(fitted_case):
    folder = fitted_case / "estimates" / "dprk_russia"
    assert sorted(p.name for p in folder.iterdir()) == [
        "claims_fit.csv", "figures", "fit.json", "influence.csv", "onsets.csv", "posterior.nc", "sources_fit.csv",
        "summary.csv", "summary.md"]
    assert sorted(p.name for p in (folder / "figures").glob("*.png")) == [
        "claims_forest.png", "cumulative.png", "drivers.png", "rounds_per_container.png", "sources.png"]
    assert (folder / "posterior.nc").stat().st_size < 8e6  # 8,000 draws, float32, compressed
    with xr.open_dataset(folder / "posterior.nc", engine="h5netcdf") as ds:
        assert ds.attrs["random_seed"] == 20250529
        assert ds.attrs["pymc_version"] == "6.4.0"
        assert len(ds.attrs["claims_hash"]) == 16 and "[flows.containers]" in ds.attrs["spec"]
        assert json.loads(ds.attrs["diagnostics"]) == {"passed": True, "divergences": 0, "failures": []}
        assert ds["flow"].dims == ("chain", "draw", "quantity", "month")
        assert ds["log_likelihood"].dims == ("chain", "draw", "claim") and ds["claim"].size == 16
    assert estimates_entries(fitted_case) == ["dprk_russia"], "no staging folders left behind"


def run_without_heavy_imports(*args: str) -> subprocess.CompletedProcess:
    """`reportedly ARGS` in a fresh process that fails if it imported PyMC, xarray or pandas."""
    code = ("import sys; from reportedly.cli import main; "
            f"code = main({list(args)!r}); "
            "loaded = [m for m in ('pymc', 'xarray', 'pandas') if m in sys.modules]; "
            "assert not loaded, f'imported {loaded}'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_summary_reads_saved_estimates_without_pymc_xarray_or_pandas(fitted_case):
    done = run_without_heavy_imports("--root", str(fitted_case), "summary")
    for label in ("Artillery rounds sent in 2024", "Rounds per container (realised)", "Workers sent in 2024", "msmt"):
        assert label in done.stdout
    assert "diagnostics: converged" in done.stdout


def test_summary_needs_only_the_committed_tables_not_the_draws(fitted_case, tmp_path, capsys):
    import shutil

    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    (copy / "estimates" / "dprk_russia" / "posterior.nc").unlink()
    assert main(["--root", str(copy), "summary"]) == 0
    assert capsys.readouterr().out == _summary_of(fitted_case, capsys)


def _summary_of(root, capsys) -> str:
    assert main(["--root", str(root), "summary"]) == 0
    return capsys.readouterr().out


def test_summary_json_has_headlines_and_sources(fitted_case, capsys):
    assert main(["--root", str(fitted_case), "summary", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = [h["name"] for h in data["headlines"]]
    assert names[:3] == ["shells_2024", "shells_to_date", "containers_to_date"]
    shells = data["headlines"][0]
    assert shells["q05"] < shells["q25"] < shells["median"] < shells["q75"] < shells["q95"]
    assert {s["source"] for s in data["sources"]} >= {"msmt", "sk_dia"}


def test_when_each_flow_began_is_saved_and_summarised(fitted_case, tmp_path, capsys):
    """onsets.csv: each flow with an onset, its posterior's median and intervals and its prior's as days (the median
    the day its months since the axis start fall on); `summary` prints it, and without the file (estimates written
    before there was one) leaves it out."""
    import shutil

    from scipy import stats

    from reportedly.inputs.spec import load_spec

    spec = load_spec(fitted_case / "models" / "dprk_russia.toml")[0]
    assert main(["--root", str(fitted_case), "summary", "--json"]) == 0
    onsets = {row["flow"]: row for row in json.loads(capsys.readouterr().out)["onsets"]}
    assert list(onsets) == [f for f, flow in spec.flows.items() if flow.onset is not None]
    with xr.open_dataset(fitted_case / "estimates" / "dprk_russia" / "posterior.nc") as posterior:
        draws = posterior["onset"].sel(onset_quantity="troops").values
    months = np.median(draws)   # the axis starts in January 2023
    year, month = 2023 + int(months) // 12, int(months) % 12 + 1
    day = 1 + int((months % 1) * calendar.monthrange(year, month)[1])
    troops, prior = onsets["troops"], spec.flows["troops"].onset
    assert troops["median"] == dt.date(year, month, day).isoformat()
    assert troops["q05"] < troops["q25"] < troops["median"] < troops["q75"] < troops["q95"]
    assert troops["prior_median"] == prior.mean.isoformat()
    spread = round(prior.sd_days * stats.t(prior.nu).ppf(0.95))
    assert troops["prior_q95"] == (prior.mean + dt.timedelta(days=spread)).isoformat()
    text = _summary_of(fitted_case, capsys)
    assert "When each flow began (its onset)" in text
    line = next(line for line in text.splitlines() if line.startswith("troops "))
    assert f"{troops['median']}  {troops['q25']} – {troops['q75']}  {troops['q05']} – {troops['q95']}" in line

    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    (copy / "estimates" / "dprk_russia" / "onsets.csv").unlink()
    assert "When each flow began" not in _summary_of(copy, capsys)


def test_whatif_is_the_fit_of_the_case_with_the_source_rated_otherwise(fitted_case, tmp_path, capsys):
    """`whatif --rate msmt=D` prints each headline as fitted and as `estimate` fits the case whose registry rates the
    MSMT D, with the same seed; nothing is written."""
    import shutil

    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    before = {p.name: p.stat().st_mtime_ns for p in (copy / "estimates" / "dprk_russia").iterdir()}
    assert main(["--root", str(copy), "whatif", "--rate", "msmt=D", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {p.name: p.stat().st_mtime_ns for p in (copy / "estimates" / "dprk_russia").iterdir()} == before
    fitted = {row["name"]: row for row in json.loads(_summary_json(fitted_case, capsys))["headlines"]}
    rows = {row["name"]: row for row in answer["headlines"]}
    assert answer["diagnostics"] == "converged" and list(rows) == list(fitted)
    assert all(rows[name]["median"] == fitted[name]["median"] for name in rows)

    edit(copy / "seeds" / "sources.yaml", "rating: B\n  rationale: Eleven governments", "rating: D\n  rationale: Eleven "
         "governments")
    assert main(["--root", str(copy), "estimate", "--quiet"]) == 0
    capsys.readouterr()
    refitted = {row["name"]: row for row in json.loads(_summary_json(copy, capsys))["headlines"]}
    for name, row in rows.items():
        assert row["what_if_median"] == pytest.approx(refitted[name]["median"], rel=1e-5)   # summary.csv: 6 figures
        assert row["what_if_q95"] == pytest.approx(refitted[name]["q95"], rel=1e-5)
    assert rows["shells_2024"]["what_if_q05"] < rows["shells_2024"]["q05"]   # a D-rated MSMT pins 2024 less


def test_whatif_refuses_a_change_that_changes_nothing(fitted_case, capsys):
    root = ["--root", str(fitted_case), "whatif"]
    for args, message in (([], "nothing to change"),
                          (["--rate", "msmtt=D"], "no source 'msmtt' in seeds/sources.yaml (did you mean 'msmt'?)"),
                          (["--rate", "msmt=Q"], "a rating is one of A, B, C, D, E, F"),
                          (["--rate", "ua_officials=D"], "no used figure comes from ua_officials"),
                          (["--without", "defense_news"], "no used claim comes from defense_news")):
        assert main([*root, *args]) == 2
        assert message in capsys.readouterr().err


def _summary_json(root, capsys) -> str:
    assert main(["--root", str(root), "summary", "--json"]) == 0
    return capsys.readouterr().out


def test_summary_warns_when_claims_changed_since_the_fit(fitted_case, tmp_path, capsys):
    import shutil

    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    edit(copy / "seeds/claims/000_31607b5f6cd77ebe.yaml", "notes: Rocket-launcher", "notes: Edited. Rocket-launcher")
    assert main(["--root", str(copy), "summary"]) == 0
    assert "the claims (seeds/) changed since these estimates were fitted" in capsys.readouterr().err


def test_query_a_window_and_a_new_report(fitted_case, capsys):
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "shells", "--from", "2024-01-01",
                 "--to", "2024-06-30", "--rating", "C", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert list(answer["total"]) == ["0.05", "0.25", "0.5", "0.75", "0.95"]
    # A C-rated source is noisier than the truth it reports on.
    spread = lambda q: q["0.95"] / q["0.05"]  # noqa: E731
    assert spread(answer["report"]) > spread(answer["total"])


def test_query_half_a_year_is_less_than_the_whole(fitted_case, capsys):
    medians = []
    for end in ("2024-06-30", "2024-12-31"):
        main(
            [
                "--root",
                str(fitted_case),
                "query",
                "dprk_russia",
                "shells",
                "--from",
                "2024-01-01",
                "--to",
                end,
                "--json",
            ]
        )
        medians.append(json.loads(capsys.readouterr().out)["total"]["0.5"])
    assert medians[0] < medians[1]


def test_query_a_flows_first_days(fitted_case, capsys):
    """The first weeks after a flow began, wherever each draw puts its start: more the longer, no more than all of it,
    and a linked quantity's first days are its base flow's times the ratio's."""
    medians = {}
    for quantity, days in (("troops", 7), ("troops", 28), ("containers", 30), ("shells", 30)):
        assert main(["--root", str(fitted_case), "query", "dprk_russia", quantity, "--first-days", str(days),
                     "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["first_days"] == days and answer["start"] is None and answer["past_axis_end"] == 0
        medians[quantity, days] = answer["total"]["0.5"]
    assert medians["troops", 7] < medians["troops", 28]
    main(["--root", str(fitted_case), "query", "dprk_russia", "troops", "--json"])
    assert medians["troops", 28] <= json.loads(capsys.readouterr().out)["total"]["0.5"]
    assert 100 < medians["shells", 30] / medians["containers", 30] < 2000
    # days that run past the end of the time axis are not counted, and the answer says so
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "troops", "--first-days", "400"]) == 0
    assert "in 100.0% of draws these days run past the end of the time axis (2025-07-31)" in capsys.readouterr().out


def test_a_window_that_begins_where_the_flow_may_have_begun_says_so(fitted_case, capsys):
    """A window cut where the onset is uncertain hangs on the day the flow began: the answer gives the onset's 90%
    interval (the draws' quantiles as days), and points to the first days wherever the flow began."""
    import xarray as xr

    root = ["--root", str(fitted_case), "query", "dprk_russia"]
    assert main([*root, "troops", "--from", "2024-10-01", "--to", "2024-10-31", "--json"]) == 0
    began = json.loads(capsys.readouterr().out)["onset_interval"]
    with xr.open_dataset(fitted_case / "estimates" / "dprk_russia" / "posterior.nc") as posterior:
        onset = posterior["onset"].sel(onset_quantity="troops").values
    for day, q in zip(began, (0.05, 0.95)):   # months since the axis start (January 2023), as a day
        months = np.quantile(onset, q)
        year, month = 2023 + int(months) // 12, int(months) % 12 + 1
        days = calendar.monthrange(year, month)[1]
        assert day == dt.date(year, month, 1 + int((months % 1) * days)).isoformat()
    assert began[0] <= "2024-10-01" <= began[1]
    assert main([*root, "troops", "--from", "2024-10-01", "--to", "2024-10-31"]) == 0
    assert f"while the flow may not yet have begun (its onset, 90%: {began[0]} to {began[1]})" in capsys.readouterr().out
    assert main([*root, "troops", "--from", "2024-01-01", "--to", "2025-01-31", "--json"]) == 0
    assert "onset_interval" not in json.loads(capsys.readouterr().out)
    assert main([*root, "workers", "--from", "2024-10-01", "--to", "2024-10-31", "--json"]) == 0  # no onset
    assert "onset_interval" not in json.loads(capsys.readouterr().out)


def test_query_batch(fitted_case, tmp_path, capsys):
    batch = tmp_path / "windows.csv"
    batch.write_text(
        "quantity,start,end,rating\nshells,2024-01-01,2024-12-31,B\ntroops,,2025-07-13,\nrounds_per_container,,,\n",
        encoding="utf-8",
    )
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "--batch", str(batch), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["quantity"] for r in rows] == ["shells", "troops", "rounds_per_container"]
    assert set(rows[0]) >= {"total", "report"} and rows[1]["report"] is None
    assert set(rows[0]["report"]) == {"0.05", "0.25", "0.5", "0.75", "0.95"}


def test_query_batch_with_first_days(fitted_case, tmp_path, capsys):
    batch = tmp_path / "windows.csv"
    batch.write_text("quantity,start,end,rating,first_days\ntroops,,,B,28\ntroops,2024-10-01,2024-10-28,,\n"
                     "troops,2024-10-01,,,7\ntroops,,,,a week\n", encoding="utf-8")
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "--batch", str(batch), "--json"]) == 2
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["first_days"] == 28 and rows[0]["report"] is not None and "first_days" not in rows[1]
    assert all("first_days must be a whole number of days" in r["error"] for r in rows[2:])
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "troops", "--first-days", "28", "--rating", "B",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == rows[0]["total"]


def test_query_reads_the_draws_without_xarray_and_answers_as_the_dataset_does(fitted_case, tmp_path):
    """`query` opens the draws as numpy arrays (importing xarray costs more than a question); its answers are those
    of the same estimates opened as an xarray Dataset: windows, a forecast, a ratio and a new report."""
    from reportedly.results.estimates import load_estimates
    from reportedly.results.query import answer, read_batch

    batch = tmp_path / "windows.csv"
    batch.write_text("quantity,start,end,rating\nshells,2024-01-01,2024-12-31,B\ntroops,2024-11-01,2024-11-07,\n"
                     "troops,,2026-03-31,D\nrounds_per_container,,,\n", encoding="utf-8")
    done = run_without_heavy_imports("--root", str(fitted_case), "query", "dprk_russia", "--batch", str(batch), "--json")
    dataset = load_estimates(fitted_case / "estimates" / "dprk_russia")
    assert json.loads(done.stdout) == json.loads(json.dumps([answer(dataset, row) for row in read_batch(batch)]))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "dprk_russia", "tanks"], "'tanks' has no monthly flow"),
        (
            ["query", "dprk_russia", "shells", "--from", "2025-01-01", "--to", "2024-01-01"],
            "ends (2024-01-01) before it starts",
        ),
        (["query", "dprk_russia", "troops", "--first-days", "7", "--to", "2025-01-01"], "leave out --from and --to"),
        (["query", "dprk_russia", "rounds_per_container", "--first-days", "7"], "has no monthly flow"),
    ],
)
def test_query_bad_input(fitted_case, capsys, args, message):
    assert main(["--root", str(fitted_case), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_gate_failure_writes_nothing_and_keeps_previous_estimates(fitted_case, tmp_path, capsys):
    import shutil

    copy = tmp_path / "case"
    shutil.copytree(fitted_case, copy)
    before = (copy / "estimates/dprk_russia/posterior.nc").read_bytes()
    edit(copy / "models/dprk_russia.toml", "draws = 2000\ntune = 300", "draws = 20\ntune = 30")
    assert main(["--root", str(copy), "estimate", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "diagnostics gate FAILED" in err and "nothing was written" in err
    assert (copy / "estimates/dprk_russia/posterior.nc").read_bytes() == before
    assert estimates_entries(copy) == ["dprk_russia"]


def test_a_fit_that_fails_the_gate_is_sampled_again_with_smaller_steps_then_more_draws():
    """After divergences, once with a target acceptance halfway to 1; after slow mixing alone, once with twice
    the draws; then no more."""
    from reportedly.fitting.gate import Diagnostics, next_try
    from reportedly.inputs.case import load_case

    first = load_case(ROOT).spec.sampler
    diverged = Diagnostics(3, {"shells_2024": 1.002}, {"shells_2024": 2000.0})
    slow = Diagnostics(0, {"shells_2024": 1.02}, {"shells_2024": 300.0})
    fine = Diagnostics(0, {"shells_2024": 1.002}, {"shells_2024": 2000.0})
    smaller, change = next_try(diverged, first, first)
    assert smaller.target_accept == (1 + first.target_accept) / 2 and smaller.draws == first.draws
    assert change == f"a target acceptance of {smaller.target_accept:g} (smaller steps)"
    assert next_try(diverged, smaller, first) is None
    longer, change = next_try(slow, smaller, first)
    assert longer.draws == 2 * first.draws and longer.target_accept == smaller.target_accept
    assert change == f"{2 * first.draws:,} draws a chain"
    assert next_try(slow, longer, first) is None and next_try(fine, first, first) is None


def test_fresh_fit_matches_the_committed_golden_estimates(fitted_case):
    """The committed estimates/ (summary.csv, from the fit its summary.md names) are the golden file: refresh them
    with `./run.sh estimate` when the model or claims change on purpose, and review the diff of summary.csv."""
    import pandas as pd
    from conftest import ROOT

    from reportedly.inputs.case import load_case
    from reportedly.results.estimates import load_estimates
    from reportedly.results.regression import compare_with_summary

    golden = ROOT / "estimates" / "dprk_russia"
    current = load_case(ROOT).fingerprint()
    stamp = f"claims {current['claims_hash']}, model {current['spec_hash']}"
    assert stamp in (golden / "summary.md").read_text(), "golden estimates are stale: run ./run.sh estimate"
    fresh = load_estimates(fitted_case / "estimates" / "dprk_russia")
    assert f"seed {fresh.attrs['random_seed']}," in (golden / "summary.md").read_text()
    deviations = compare_with_summary(pd.read_csv(golden / "summary.csv"), fresh)
    assert deviations == [], "\n".join(map(str, deviations))


def test_regression_check_catches_a_perturbed_golden_value(fitted_case):
    """A 10% shift of one flow is several Monte Carlo errors at 2,000 draws: it is caught, and only where it is."""
    import pandas as pd

    from reportedly.results.estimates import Estimates, load_estimates
    from reportedly.results.regression import compare, compare_with_summary

    folder = fitted_case / "estimates" / "dprk_russia"
    fit = load_estimates(folder)
    flow = fit.posterior["flow"]
    perturbed = Estimates(fit.posterior.assign(flow=flow.where(flow["quantity"] != "troops", flow * 1.1)), fit.attrs,
                          fit.spec)
    assert {d.headline for d in compare(fit, perturbed)} == {"troops_to_date"}
    assert compare_with_summary(pd.read_csv(folder / "summary.csv"), fit) == []
    assert {d.headline for d in compare_with_summary(pd.read_csv(folder / "summary.csv"), perturbed)} == {"troops_to_date"}


def query_json(root, *args) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--root", str(root), "query", "dprk_russia", *args, "--json"]) == 0
    return json.loads(out.getvalue())


def test_how_many_by_now_is_a_forecast_whose_interval_widens(fitted_case):
    """Past the latest report the flows go on under the model's own dynamics, up to the horizon."""
    latest = query_json(fitted_case, "troops", "--to", "2025-07-13")
    assert latest["forecast_from"] is None
    answers = [query_json(fitted_case, "troops", "--to", end) for end in ("2025-09-30", "2026-03-31", "2026-11-25")]
    assert all(a["forecast_from"] == "2025-07-13" for a in answers)
    totals = [latest["total"], *(a["total"] for a in answers)]
    assert all(a["0.05"] <= b["0.05"] and a["0.5"] <= b["0.5"] for a, b in zip(totals, totals[1:]))
    widths = [t["0.95"] / t["0.05"] for t in totals]
    assert widths == sorted(widths) and widths[-1] > 2 * widths[0]
    assert query_json(fitted_case, "troops", "--to", "2026-11-25") == answers[-1], "the same answer every time"


def test_past_the_horizon_is_refused_with_the_fix_and_horizon_overrides_it(fitted_case, capsys):
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "shells", "--to", "2027-06-30"]) == 2
    assert (
        "2027-06-30 is past the forecast horizon (2026-12-31); pass --horizon 2027-06-30 (or later), or set "
        "[time] horizon in models/dprk_russia.toml"
    ) in capsys.readouterr().err
    assert query_json(fitted_case, "shells", "--to", "2027-06-30", "--horizon", "2027-06-30")["forecast_from"]


def test_a_window_from_before_the_axis_counts_from_the_onset(fitted_case, capsys):
    """Before the axis start a flow with an onset inside the axis in every draw is zero; one without is refused.
    Troops: their onset's prior puts its mean 21 months after the axis start, 43 of its spreads, so no draw of a
    Student-t onset reaches back that far (the containers' mean is 7.7 spreads in: a few draws in a thousand do)."""
    early = query_json(fitted_case, "troops", "--from", "2020-01-01", "--to", "2024-12-31")
    assert early["start"] == "2020-01-01"
    assert early["total"] == query_json(fitted_case, "troops", "--to", "2024-12-31")["total"]
    assert main(["--root", str(fitted_case), "query", "dprk_russia", "workers", "--from", "2020-01-01"]) == 2
    assert (
        "2020-01-01 is before the time axis starts (2023-01-01) and the workers flow may have run before it; to "
        "cover it, set [time] start in models/dprk_russia.toml to 2020-01 or earlier"
    ) in capsys.readouterr().err

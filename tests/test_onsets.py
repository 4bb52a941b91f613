"""A claim that dates when a flow began (kind onset): its validation, its likelihood, its simulation, and a fit it
moves."""

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, edit
from scipy import stats

from reportedly.cli import main
from reportedly.inputs.case import load_case
from reportedly.model.builder import build_model
from reportedly.model.design import OPEN, build_design
from reportedly.model.simulate import draw_truth, simulate_design
from reportedly.results.estimates import load_estimates

CNN = Path("seeds/claims/002_ad0fbd122f4a3523.yaml")
MODEL = Path("models/dprk_russia.toml")
DATED = "cnn-troops-kursk-since"
WINDOW = "    window: {kind: cumulative, end: 2024-11-30}\n    origin: ua_officials"

BAD_ONSETS = [
    # (file, old text, new text, message the user sees)
    (CNN, "    kind: onset\n", "    kind: onset\n    value: 3000\n",
     f"claim {DATED}: an onset claim dates when a flow began and prints no figure: remove value, low and high"),
    (CNN, "    kind: onset\n    qualifier: none", "    kind: onset\n    qualifier: approximately",
     f"claim {DATED}: an onset claim takes qualifier 'none', got 'approximately'"),
    (CNN, WINDOW, "    window: {kind: cumulative, start: 2024-10-01, end: 2024-11-30}\n    origin: ua_officials",
     f"claim {DATED}: an onset claim's window is a period (it began between start and end) or cumulative without a "
     "start (it had begun by end)"),
    (CNN, "    quantity: troops\n    kind: onset", "    quantity: shells\n    kind: onset",
     f"claim {DATED}: field 'quantity': an onset claim dates a flow's start, and 'shells' is not a flow; date its flow "
     "'containers'"),
    (CNN, "    quantity: troops\n    kind: onset", "    quantity: workers\n    kind: onset",
     f"claim {DATED}: field 'quantity': [flows.workers] in models/dprk_russia.toml has no onset for this claim to date"),
    (MODEL, "dating = { sd_days = 30,", "# dating = { sd_days = 30,",
     f"claim {DATED}: field 'kind': an onset claim needs [errors] dating in models/dprk_russia.toml"),
    (CNN, WINDOW, "    window: {kind: cumulative, end: 2022-11-30}\n    origin: ua_officials",
     f"claim {DATED}: field 'window': window date 2022-11-30"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BAD_ONSETS, ids=[m[-50:] for *_, m in BAD_ONSETS])
def test_a_bad_onset_claim_gets_a_clear_error_and_exit_2(case_dir, capsys, file, old, new, message):
    edit(case_dir / file, old, new)
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.fixture(scope="module")
def shipped():
    case = load_case(ROOT)
    return case, build_design(case)


def test_an_onset_claim_is_a_date_with_no_figure_and_no_error_scale_to_learn(shipped):
    case, design = shipped
    i = design.claim_ids.index(DATED)
    assert design.is_onset[i] == 1 and design.is_onset.sum() == 1
    assert design.onset_lower[i] == -OPEN and design.onset_upper[i] == case.axis.elapsed(dt.date(2024, 12, 1))
    assert "ua_officials" not in design.sources   # a date teaches nothing about how far its source's figures stray
    assert design.dating_scale == pytest.approx(30 / 30.4375)
    claim = next(c for c in case.evidence.claims if c.id == DATED)
    assert claim.figure == "began by 2024-11-30"


@pytest.mark.parametrize("lower", [-OPEN, 20.0, 22.9])
def test_an_onset_claims_likelihood_is_the_chance_its_source_dates_the_start_inside_its_window(shipped, lower):
    """The source's date is the onset plus a Student-t(2) error of the dating scale: the claim's log-likelihood is
    the log-probability that the date falls inside the window (one-sided for 'since at least')."""
    case, design = shipped
    i = design.claim_ids.index(DATED)
    design = dataclasses.replace(design, onset_lower=np.where(np.arange(design.is_onset.size) == i, lower,
                                                              design.onset_lower))
    model = build_model(case.spec, design)
    claims = model.compile_logp(vars=[model["claims"]], sum=False)(model.initial_point())[0]
    when = case.axis.elapsed(case.spec.flows["troops"].onset.mean)   # where the initial point puts the onset
    t = stats.t(2, loc=when, scale=design.dating_scale)
    assert claims[i] == pytest.approx(np.log(t.cdf(design.onset_upper[i]) - t.cdf(lower)), rel=1e-9)


def test_a_simulated_onset_claim_dates_the_true_start_in_a_window_as_long_as_its_own(shipped):
    case, design = shipped
    i = design.claim_ids.index(DATED)
    truth = draw_truth(build_model(case.spec, design), seed=3)
    when = truth["onset"][design.onset_row[i]]
    exact = dataclasses.replace(design, dating_scale=1e-9)   # a source that dates the start to the day
    for seed in range(20):
        said = simulate_design(exact, truth, seed)
        assert said.onset_lower[i] == -OPEN and when <= said.onset_upper[i] <= when + 1   # 'by' a month or less after
        week = dataclasses.replace(exact, onset_lower=np.where(design.is_onset == 1, design.onset_upper - 0.25, -OPEN))
        said = simulate_design(week, truth, seed)
        assert said.onset_upper[i] - said.onset_lower[i] == pytest.approx(0.25)
        assert said.onset_lower[i] <= when <= said.onset_upper[i]
        others = np.flatnonzero(design.is_onset == 0)
        assert np.array_equal(said.onset_upper[others], design.onset_upper[others])


def test_a_simulated_sources_date_strays_from_the_true_start_as_the_likelihood_says(shipped):
    """A window of a day (nearly): where simulation puts it, less the true onset, in units of the dating scale, is
    Student-t with 2 degrees of freedom."""
    case, design = shipped
    i = design.claim_ids.index(DATED)
    truth = draw_truth(build_model(case.spec, design), seed=3)
    day = dataclasses.replace(design, onset_lower=np.where(design.is_onset == 1, design.onset_upper - 1e-9, -OPEN))
    said = np.array([simulate_design(day, truth, seed).onset_upper[i] for seed in range(400)])
    error = (said - truth["onset"][design.onset_row[i]]) / design.dating_scale
    assert stats.kstest(error, stats.t(2).cdf).pvalue > 1e-3


@pytest.mark.slow
def test_a_dated_start_moves_the_fit_toward_it(case_dir):
    """The troops dated to mid-September 2024, then to early November, either side of the onset prior's mean (10
    October, a Student-t of 15 days): the fit's onset moves with the date, as far as one source's date against that
    prior can move it (about a week each way here)."""
    medians = []
    for start, end in (("2024-09-15", "2024-09-21"), ("2024-11-01", "2024-11-07")):
        window = f"    window: {{kind: period, start: {start}, end: {end}}}\n    origin: ua_officials"
        edit(case_dir / CNN, WINDOW, window)
        assert main(["--root", str(case_dir), "estimate", "--quiet"]) == 0
        est = load_estimates(case_dir / "estimates" / "dprk_russia")
        medians.append(float(np.median(est.posterior["onset"].sel(onset_quantity="troops"))))
        edit(case_dir / CNN, window, WINDOW)
    assert medians[1] - medians[0] > 0.15, medians   # months


def test_distrusting_a_source_leaves_out_its_dates_and_only_its_own(shipped):
    """`check`'s sensitivity refits without each origin: without the one that dated the troops' start, and without
    another whose error scale sits in the row the date points at."""
    from types import SimpleNamespace

    from reportedly.validation.sensitivity import sensitivity_variants

    case, design = shipped
    variants = sensitivity_variants(SimpleNamespace(case=case, design=design))
    assert variants["without ua_officials"].claim_ids == [c for c in design.claim_ids if c != DATED]
    first = design.sources[0]
    kept = variants[f"without {first}"]
    assert DATED in kept.claim_ids and first not in kept.sources
    assert kept.onset_upper[kept.claim_ids.index(DATED)] == design.onset_upper[design.claim_ids.index(DATED)]


@pytest.mark.slow
def test_the_saved_fits_likelihood_of_a_date_is_the_models(shipped):
    """The log-likelihood `estimate` saves for a date, recomputed from the draws, equals PyMC's for the same draws.
    (A figure's is that of the flow with the draw's end, where PyMC's term is the flow running on and the end enters
    through the mixture; `claim_log_likelihood` says why, and `test_second_case` compares them on a case without
    ends.)"""
    import pymc as pm
    import xarray as xr

    from reportedly.fitting.compile_cache import compile_design
    from reportedly.fitting.sampling import posterior_of, sample_compiled
    from reportedly.results.influence import claim_log_likelihood

    case, design = shipped
    sampler = case.spec.sampler.model_copy(update={"draws": 20, "tune": 50, "chains": 2})
    posterior = posterior_of(sample_compiled(compile_design(case.spec, design), sampler, seed=3), design)
    expected = pm.compute_log_likelihood(xr.DataTree.from_dict({"posterior": posterior}),
                                         model=build_model(case.spec, design), extend_inferencedata=False,
                                         progressbar=False)["claims"].values
    i = design.claim_ids.index(DATED)
    ours = claim_log_likelihood(posterior, design).values[..., i]
    assert np.allclose(ours, expected[..., i], rtol=1e-8, atol=1e-10)
    assert np.ptp(ours) > 0.01   # it moves with the onset

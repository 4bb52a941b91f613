"""How a month's flow falls on its days (`model.timing`), and what it does to claims, queries and simulated truths."""

import datetime as dt

import numpy as np
import pytest
from conftest import ROOT
from scipy import stats

from reportedly.inputs.case import load_case
from reportedly.model.design import build_design
from reportedly.model.simulate import claim_truths
from reportedly.model.timing import (
    LONG_MONTHS,
    NODES,
    STARTED,
    claim_shares,
    daily_weights,
    days_reaching,
    first_days,
    share_quantiles,
    window_shares,
)
from reportedly.timeaxis import MonthAxis, window_totals
from reportedly.validation.stress import (
    DAY_SHAPES,
    daily_headlines,
    pulsed_days,
    short_windows,
    stressedtruth_of,
)


@pytest.mark.parametrize("covered", [0.1, 7 / 30, 0.5, 0.9])
def test_a_stretch_of_a_month_gets_a_beta_share_with_the_days_mean(covered):
    """Beta(k c, k (1 - c)): mean c whatever k; k 1 spreads a week's share from nearly nothing to most of the month,
    a large k keeps it near c, no concentration gives c itself."""
    u = np.random.default_rng(0).uniform(size=20_000)
    lumpy, even = share_quantiles(covered, 1.0, u), share_quantiles(covered, 200.0, u)
    assert lumpy.mean() == pytest.approx(covered, abs=0.01) and even.mean() == pytest.approx(covered, abs=0.01)
    assert np.quantile(lumpy, 0.95) - np.quantile(lumpy, 0.05) > 0.6
    assert np.quantile(even, 0.95) - np.quantile(even, 0.05) < 0.2
    assert np.all(share_quantiles(covered, None, u) == covered)
    for x in (0.05, 0.3, 0.7):
        assert np.mean(lumpy <= x) == pytest.approx(stats.beta(covered, 1 - covered).cdf(x), abs=0.02)
    assert np.all(share_quantiles([0.0, 1.0], 1.0, [0.3, 0.7]) == [0.0, 1.0])


def test_one_uniform_per_month_gives_every_window_ending_in_it_one_path():
    """At a fixed uniform draw the share before a day grows with the day: cumulative totals never go down."""
    u = np.random.default_rng(1).uniform(size=500)
    shares = np.array([share_quantiles(day / 30, 1.0, u) for day in range(31)])
    assert np.all(np.diff(shares, axis=0) >= -1e-12)


def test_the_quadrature_nodes_integrate_each_end_and_a_window_inside_one_month():
    """Each end's nodes are its Beta's quantiles (mean c); a window inside one month takes its own stretch's share."""
    start, end = claim_shares([3, 5, 7], [0.25, 0.0, 0.2], [5, 6, 7], [0.5, 0.0, 0.6], [1.0, 1.0, None])
    assert start.shape == end.shape == (3, NODES)
    assert start[0].mean() == pytest.approx(0.25, abs=0.03) and end[0].mean() == pytest.approx(0.5, abs=0.03)
    assert sorted(end[0]) == pytest.approx(sorted(share_quantiles(0.5, 1.0, (np.arange(NODES) + 0.5) / NODES)))
    assert np.all(start[1] == 0) and np.all(end[1] == 0)          # whole months: nothing to integrate
    assert np.all(start[2] == 0) and np.allclose(end[2], 0.4)     # inside one month, falling evenly: its 40%
    before, upto = window_shares(7, 0.2, 7, 0.6, 1.0, 0.5, 0.5)
    assert before == 0 and upto == pytest.approx(share_quantiles(0.4, 1.0, 0.5))


def test_a_month_spread_over_its_days_sums_to_one():
    rng = np.random.default_rng(2)
    for concentration in (None, 0.2, 1.0, 50.0):
        weights = daily_weights(31, concentration, rng)
        assert weights.sum() == pytest.approx(1.0) and np.all(weights >= 0)
    lumpy = np.array([np.sort(daily_weights(30, 1.0, rng))[-7:].sum() for _ in range(400)])
    assert np.median(lumpy) > 0.6    # concentration 1: the busiest week carries most of the month


def test_a_claim_of_weeks_integrates_its_months_timing_and_a_long_one_takes_the_mean():
    """A window of weeks gets quadrature nodes spread by its flow's timing; a window longer than LONG_MONTHS takes
    the months it cuts at their mean share, as do flows without timing."""
    week = (10, 0.0, 10, 7 / 30)      # the first week of a month
    months = (4, 0.5, 9, 7 / 30)      # from mid-month four and a half months on
    for k0, f0, k1, f1 in (week, months):
        start, end = claim_shares([k0], [f0], [k1], [f1], [1.0])
        even_start, even_end = claim_shares([k0], [f0], [k1], [f1], [None])
        spread = np.ptp(end[0]) > 0.5
        assert spread == (k1 + f1 - k0 - f0 <= LONG_MONTHS)
        assert np.allclose(even_end, f1 if k1 > k0 else f1 - f0) and np.allclose(even_start, 0 if k1 == k0 else f0)
        if not spread:
            assert np.allclose(start, f0) and np.allclose(end, f1)


def test_a_simulated_truth_runs_day_by_day_and_its_claims_and_headlines_sum_its_days():
    case = load_case(ROOT)
    spec, design = case.spec, build_design(case)
    axis = MonthAxis(spec.time.start, spec.time.end)
    rng = np.random.default_rng(3)
    months = len(axis.labels)
    flow = np.vstack([np.full(months, 100.0 * (q + 1)) for q in range(len(spec.flows))])
    realised = np.full(len(spec.ratios), 400.0)
    flow = np.vstack([flow, *(flow[list(spec.flows).index(spec.links[link].product[0])] * 400.0 for link in spec.links)])
    onset = np.array([axis.elapsed(f.onset.mean) for f in spec.flows.values() if f.onset is not None])
    truth = {"flow": flow, "realised": realised, "capacity": realised * 1.2, "onset": onset}
    for shape in ("as the prior", *DAY_SHAPES):
        stressed = stressedtruth_of(truth, spec, shape, rng)
        np.testing.assert_allclose(stressed["flow"].sum(axis=1), flow.sum(axis=1), rtol=1e-9)
        np.testing.assert_allclose(np.add.reduceat(stressed["daily"], axis.day_offsets[:-1], axis=1), stressed["flow"])
        totals = claim_truths(stressed, design, rng)
        for i in np.flatnonzero(~design.is_conversion & (design.is_onset == 0)):
            claim = case.evidence.used[i]
            first = (claim.window.start - axis.start).days if claim.window.start else 0
            days = stressed["daily"][design.quantity_index[i], first:(claim.window.end - axis.start).days + 1]
            assert totals[i] == pytest.approx(days.sum(), rel=1e-9)
        for q, name in enumerate(spec.flows):   # the shapes of deployments go to the flows that begin with a wave
            first, _ = days_reaching(stressed["daily"][q], [STARTED, 1 - STARTED])
            early = stressed["daily"][q, first:first + 28].sum() / flow[q].sum()
            assert (early >= 0.6) == (shape == "first weeks" and spec.flows[name].first_wave is not None), (shape, name)
        headlines = daily_headlines(spec, stressed, case.latest_report)
        assert set(headlines) == {h.name for h in spec.headlines}
        windows = short_windows(spec, stressed, rng)
        assert all(start >= axis.start and end >= start for _, start, end, _ in windows)
        assert {from_start for *_, from_start in windows} == {True, False}


def test_pulses_move_most_of_a_flow_into_weeks_and_keep_its_total():
    rng = np.random.default_rng(4)
    daily = np.concatenate([np.zeros(100), np.full(600, 10.0)])
    first = pulsed_days(daily, "first weeks", rng)
    assert first.sum() == pytest.approx(daily.sum()) and first[100:150].sum() > 0.6 * daily.sum()
    waves = pulsed_days(daily, "two waves", rng)
    busy = np.sort(waves)[::-1]
    assert waves.sum() == pytest.approx(daily.sum()) and busy[:42].sum() > 0.7 * daily.sum()
    assert np.array_equal(pulsed_days(daily, "burst", rng), daily)


def test_a_query_of_a_week_carries_the_months_timing_and_repeats():
    """A week's total asked of estimates: the share of its month is drawn, not fixed at its days, the same each time;
    a whole month is unchanged."""
    import xarray as xr

    from reportedly.results.estimates import Estimates

    case = load_case(ROOT)
    spec = case.spec
    axis = MonthAxis(spec.time.start, spec.time.end)
    flow = np.full((2, 500, len(spec.quantities), len(axis.labels)), 3000.0)
    posterior = xr.Dataset({"flow": (("chain", "draw", "quantity", "month"), flow)},
                           coords={"quantity": spec.quantities, "month": axis.labels})
    est = Estimates(posterior, {"latest_report": case.latest_report.isoformat(), "random_seed": 7}, spec)
    lumpy = next(q for q in spec.flows if spec.flows[q].timing and spec.flows[q].timing.concentration <= 1)
    week = est.window_total(lumpy, dt.date(2024, 11, 1), dt.date(2024, 11, 7))
    assert week.mean() == pytest.approx(3000 * 7 / 30, rel=0.1)
    assert np.quantile(week, 0.05) < 100 and np.quantile(week, 0.95) > 2000
    assert np.array_equal(week, est.window_total(lumpy, dt.date(2024, 11, 1), dt.date(2024, 11, 7)))
    month = est.window_total(lumpy, dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    assert np.allclose(month, 3000.0)
    k0, f0, k1, f1 = axis.window(dt.date(2024, 11, 1), dt.date(2024, 11, 7))
    assert window_totals(flow[..., 0, :], k0, f0, k1, f1).mean() == pytest.approx(700.0)

    # the first days of a flow: from where it starts in each draw (here in the axis's first month), as lumpy as its
    # timing (a flow starts on a lump, so its first week carries more than a week's even share), the same each time,
    # and evenly spread without timing
    first_week = est.first_days(lumpy, 7).total
    assert first_week.shape == (2, 500) and np.array_equal(first_week, est.first_days(lumpy, 7).total)
    assert np.quantile(first_week, 0.95) > 3 * np.quantile(first_week, 0.05) and first_week.mean() > 700
    assert np.all(first_week <= est.first_days(lumpy, 28).total + 1e-9)
    starts = axis.start + dt.timedelta(days=int(np.ceil(STARTED * 3000 * len(axis.labels) / (3000 / 31))) - 1)
    even = window_totals(flow[..., 0, :], *axis.window(starts, starts + dt.timedelta(days=30)))
    assert np.allclose(est.first_days(lumpy, 31, timing=False).total, even)


def test_the_saved_fits_claim_likelihood_integrates_the_same_nodes_as_the_model():
    """`influence.claim_log_likelihood` (numpy, from saved draws) equals the model's kernel where windows cut months."""
    import dataclasses

    import xarray as xr

    from reportedly.model.claim_op import CLAIM_INPUTS, claims_logp
    from reportedly.model.flow_op import NO_END
    from reportedly.results.influence import claim_log_likelihood

    case = load_case(ROOT)
    design = build_design(case)
    rng = np.random.default_rng(5)
    shape = (len(design.claim_ids), NODES)
    design = dataclasses.replace(design, start_share=np.sort(rng.uniform(0, 1, shape), axis=1) * (design.f0 > 0)[:, None],
                                 end_share=np.sort(rng.uniform(0, 1, shape), axis=1) * (design.f1 > 0)[:, None])
    months = len(MonthAxis(case.spec.time.start, case.spec.time.end).labels)
    flow = rng.lognormal(6, 1, (1, 3, len(design.quantities), months))
    capacity, bias = rng.lognormal(6, 0.2, (1, 3, len(design.ratios))), rng.normal(0, 0.1, (1, 3, len(design.sources)))
    sigma = rng.uniform(0.1, 0.4, (1, 3, len(design.sources)))
    onset = rng.normal(20, 2, (1, 3, int(design.onset_row.max()) + 1))
    posterior = xr.Dataset({"flow": (("chain", "draw", "quantity", "month"), flow),
                            "capacity": (("chain", "draw", "ratio"), capacity),
                            "bias": (("chain", "draw", "source"), bias), "sigma": (("chain", "draw", "source"), sigma),
                            "onset": (("chain", "draw", "onset_quantity"), onset)},
                           coords={"source": design.sources})
    numpy_values = claim_log_likelihood(posterior, design).values[0]
    dated = np.flatnonzero(design.is_onset)   # a date: the onset plus a Student-t(2) error, inside its window
    error = stats.t(2, loc=onset[0][:, design.onset_row[dated]], scale=design.dating_scale)
    np.testing.assert_allclose(numpy_values[:, dated], np.log(error.cdf(design.onset_upper[dated])
                                                              - error.cdf(design.onset_lower[dated])), rtol=1e-9)
    data = [np.asarray(getattr(design, n), dtype=np.int64 if n in ("quantity_index", "ratio_index", "k0", "k1",
                                                                      "source_index") else float) for n in CLAIM_INPUTS]
    ends = np.full(len(design.quantities), NO_END)
    for d in range(3):
        running, _ = claims_logp(flow[0, d], ends, capacity[0, d], bias[0, d], sigma[0, d], *data)
        figures = design.is_onset == 0   # the model's kernel for figures leaves out a date's row
        np.testing.assert_allclose(numpy_values[d][figures], running[figures], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("concentration", [1.0, 4.0, None])
def test_a_flows_first_days_are_counted_from_where_each_path_starts(concentration):
    """`first_days` spreads each month over its days as a simulated truth does (`daily_weights`) and counts from the
    day STARTED of the total is in: its draws match truths drawn day by day, whichever month the start falls in."""
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    monthly = np.array([0.0, 0.0, 5.0, 100.0, 300.0, 200.0, 100.0, 100.0, 100.0, 50.0, 50.0, 50.0])
    rng = np.random.default_rng(0)
    for days in (7, 28):
        drawn, past_end = first_days(np.tile(monthly, (4000, 1)), month_days, days, concentration,
                                     np.random.default_rng(1))
        assert not past_end.any()
        truths = []
        for _ in range(4000):
            daily = np.concatenate([m * daily_weights(n, concentration, rng) for m, n in zip(monthly, month_days)])
            start = days_reaching(daily, STARTED)
            truths.append(daily[start:start + days].sum())
        np.testing.assert_allclose(np.quantile(drawn, [0.05, 0.5, 0.95]), np.quantile(truths, [0.05, 0.5, 0.95]),
                                   rtol=0.05, atol=1.0)
    assert first_days(np.zeros((3, 12)), month_days, 7, concentration, rng).total.tolist() == [0.0, 0.0, 0.0]
    late = np.zeros(12)
    late[-1] = 310.0   # starts in the last month: nothing is counted past it, and the answer says its days run past
    counted = first_days(late[None], month_days, 35, None, rng)
    assert counted.total[0] == pytest.approx(310.0) and counted.past_end.tolist() == [True]
    assert first_days(late[None], month_days, 28, None, rng).past_end.tolist() == [False]   # four weeks of 31 days

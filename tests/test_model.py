"""Model structure without sampling: dims, coords, windows, finite logp and gradient."""

import datetime as dt

import numpy as np
import pytest

from conftest import ROOT
from reportedly.case import load_case
from reportedly.design import build_design
from reportedly.model import build_model
from reportedly.timeaxis import MonthAxis, running_share, window_totals


@pytest.fixture(scope="module")
def shipped():
    case = load_case(ROOT)
    design = build_design(case)
    return case, design, build_model(case.spec, design)


def test_coords_and_dims(shipped):
    case, design, model = shipped
    assert model.coords["quantity"] == ("containers", "troops", "workers", "artillery_systems", "ballistic_missiles", "shells")
    assert len(model.coords["month"]) == 31 and model.coords["month"][0] == "2023-01"
    assert model.coords["claim"] == tuple(c.id for c in case.evidence.used)
    assert model.named_vars_to_dims["flow"] == ("quantity", "month")
    assert model.named_vars_to_dims["sigma"] == ("source",)
    assert model.named_vars_to_dims["claims"] == ("claim",)


def test_logp_and_gradient_are_finite_at_the_initial_point(shipped):
    _, _, model = shipped
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    gradient = model.compile_dlogp()(point)
    assert np.all(np.isfinite(gradient)) and np.any(gradient != 0)


def test_conversion_claim_informs_capacity_not_a_count(shipped):
    _, design, _ = shipped
    i = design.claim_ids.index("b-conversion")
    assert design.is_conversion[i]
    # 12 million (rounded) / 28,000 containers: 410.7 to 446.4 rounds per container.
    assert np.exp([design.log_lower[i], design.log_upper[i]]) == pytest.approx([11.5e6 / 28e3, 12.5e6 / 28e3])


def test_sum_claim_and_relays_are_not_used(shipped):
    _, design, _ = shipped
    assert "cnn-troops-headline" not in design.claim_ids
    assert "dn-containers" not in design.claim_ids and "b-containers" in design.claim_ids


def test_window_positions_weight_partial_months_by_days():
    axis = MonthAxis(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    flow = np.ones(12) * 31.0
    k0, f0, k1, f1 = axis.window(dt.date(2024, 1, 1), dt.date(2024, 12, 15))
    assert window_totals(flow, k0, f0, k1, f1) == pytest.approx(31 * (11 + 15 / 31))
    k0, f0, k1, f1 = axis.window(None, dt.date(2024, 12, 31))
    assert window_totals(flow, k0, f0, k1, f1) == pytest.approx(31 * 12)
    with pytest.raises(ValueError, match=r"2023-12-31 is before the time axis starts \(2024-01-01\)"):
        axis.window(dt.date(2023, 12, 31), dt.date(2024, 1, 5))


def test_prior_predictive_is_not_absurd(shipped):
    """What the priors alone imply for the headline totals: wide, but no trillions of rounds."""
    import pymc as pm

    case, design, model = shipped
    flow = pm.draw(model["flow"], draws=2000, random_seed=1)
    k0, f0, k1, f1 = case.axis.window(None, case.latest_report)
    totals = window_totals(flow, k0, f0, k1, f1)
    median_shells, p99_shells = np.quantile(totals[:, -1], [0.5, 0.99])
    assert 1e5 < median_shells < 1e9 and p99_shells < 1e11
    p99_troops = np.quantile(totals[:, 1], 0.99)
    assert p99_troops < 5e6


def test_a_month_carries_a_share_of_the_trend_down_to_nothing(shipped):
    """`spread` in a flow's section: each month's flow is the trend times max(0, 1 + spread x N(0, 1))."""
    import pytensor

    case, design, model = shipped
    assert model.coords["spread_quantity"] == tuple(q for q in case.spec.flows if case.spec.flows[q].spread)
    assert model.named_vars_to_dims["share_z"] == ("spread_quantity", "month")
    compiled = pytensor.function(model.value_vars, model.replace_rvs_by_values([model["flow"], model["trend"]]),
                                 on_unused_input="ignore")

    def flow_and_trend(values: dict) -> list[np.ndarray]:
        return compiled(*(values[v.name] for v in model.value_vars))

    point = model.initial_point()
    point["share_z"] = np.zeros_like(point["share_z"])
    workers = list(model.coords["quantity"]).index("workers")
    row = list(model.coords["spread_quantity"]).index("workers")
    spread = case.spec.flows["workers"].spread.sd
    point["share_z"][row, -1] = 1.0
    point["share_z"][row, -2] = -1.0 / spread - 0.5
    flow, trend = flow_and_trend(point)
    assert flow[workers, -1] / trend[workers, -1] == pytest.approx(1.0 + spread)
    assert flow[workers, -2] == 0.0
    assert np.allclose(flow[workers, :-2], trend[workers, :-2])


def test_a_flow_with_a_duration_stops_at_its_end(shipped):
    """`duration` in a flow's section: the flow fades out over about a week around onset + duration, or around
    the axis start + duration for a flow without an onset."""
    import pytensor

    case, design, model = shipped
    compiled = pytensor.function(model.value_vars, model.replace_rvs_by_values([model["flow"], model["end"], model["onset"]]),
                                 on_unused_input="ignore")
    point = model.initial_point()
    point["share_z"] = np.zeros_like(point["share_z"])
    for name, runs in [("troops", 4.5), ("workers", 10.5)]:
        duration = case.spec.flows[name].duration
        point["duration_z"][list(model.coords["end_quantity"]).index(name)] = (np.log(runs) - np.log(duration.median)) / duration.sigma
    flow, end, onset = compiled(*(point[v.name] for v in model.value_vars))
    onset = onset[list(model.coords["onset_quantity"]).index("troops")]
    for name, start, runs in [("troops", onset, 4.5), ("workers", 0.0, 10.5)]:
        row, stop = list(model.coords["quantity"]).index(name), end[list(model.coords["end_quantity"]).index(name)]
        assert stop == pytest.approx(start + runs)
        last = int(np.floor(stop))
        assert flow[row, last + 2:].max() < 1e-2 * flow[row, last - 1] and flow[row, last + 3:].max() < 1e-4 * flow[row, last - 1]
        assert 0 < flow[row, last] < flow[row, last - 1]


def test_a_flow_runs_between_its_onset_and_end_with_week_long_edges():
    """The share of a month a flow runs, as the clip it smooths: equal away from the edges, and the same total."""
    month = np.arange(40)
    share = running_share(month, 5.4, 30.5)
    hard = np.clip(month + 1 - 5.4, 0, 1) * np.clip(30.5 - month, 0, 1)
    assert np.abs(share - hard).max() < 0.1 and np.abs(share - hard)[(month < 3) | (month > 32) | ((month > 7) & (month < 28))].max() < 1e-3
    assert share.sum() == pytest.approx(hard.sum(), abs=1e-6)
    assert np.all(running_share(month) == 1.0)

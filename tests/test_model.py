"""Model structure without sampling: dims, coords, windows, finite logp and gradient."""

import datetime as dt

import numpy as np
import pytest
from conftest import ROOT

from reportedly.inputs.case import load_case
from reportedly.inputs.spec import SpreadPrior
from reportedly.model.builder import build_model
from reportedly.model.design import build_design
from reportedly.timeaxis import DAYS_PER_MONTH, EDGE_MONTHS, MonthAxis, running_share, wave_share, window_totals


@pytest.fixture(scope="module")
def shipped():
    case = load_case(ROOT)
    design = build_design(case)
    return case, design, build_model(case.spec, design)


def test_coords_and_dims(shipped):
    case, design, model = shipped
    assert model.coords["quantity"] == (
        "containers",
        "troops",
        "workers",
        "artillery_systems",
        "ballistic_missiles",
        "shells",
    )
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


def test_the_day_a_number_of_months_falls_on_is_the_day_counted_from():
    axis = MonthAxis(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    assert [axis.day_at(axis.elapsed(day)) for day in days] == days
    assert [axis.day_at(m) for m in (-1.0, -0.01, 12.0, 25.5)] == [
        dt.date(2023, 12, 1), dt.date(2023, 12, 31), dt.date(2025, 1, 1), dt.date(2026, 2, 15)]


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
    compiled = pytensor.function(
        model.value_vars, model.replace_rvs_by_values([model["flow"], model["trend"]]), on_unused_input="ignore"
    )

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


def test_a_flow_stops_at_its_end_in_either_part(shipped):
    """`duration` in a flow's section: an end beyond the claims leaves every claimed month whole, an end within them
    cuts them; either way the flow is nothing after its end's edge."""
    import pytensor

    case, design, model = shipped
    compiled = pytensor.function(model.value_vars, model.replace_rvs_by_values([model["flow"], model["end"]]),
                                 on_unused_input="ignore")
    point = model.initial_point()
    flows = {}
    for part, pick in (("beyond", 1e-9), ("within", 1 - 1e-9)):   # end_pick is drawn on its logit scale
        point["end_pick_interval__"] = np.full_like(point["end_pick_interval__"], np.log(pick / (1 - pick)))
        flow, end = compiled(*(point[v.name] for v in model.value_vars))
        flows[part] = flow
        for name, stop in zip(model.coords["end_quantity"], end):
            row = list(model.coords["quantity"]).index(name)
            claimed = [i for i, q in enumerate(design.quantity_index) if q == row and not design.is_conversion[i]]
            last_month = max(np.ceil(design.k1[i] + design.f1[i]) for i in claimed)
            assert (stop >= last_month + EDGE_MONTHS / 2) == (part == "beyond"), (part, name, stop, last_month)
            assert np.all(flow[row, np.arange(flow.shape[1]) >= stop + EDGE_MONTHS / 2] == 0.0)
    point["end_pick_interval__"] = np.full_like(point["end_pick_interval__"], np.log(1e-9))
    point["end_beyond_z"] = np.full_like(point["end_beyond_z"], 8.0)   # ends far past the axis: the flows running on
    running, _ = compiled(*(point[v.name] for v in model.value_vars))
    for i in range(len(design.claim_ids)):   # beyond the claims, an end leaves every claimed month whole
        if not design.is_conversion[i]:
            window = slice(design.k0[i], int(np.ceil(design.k1[i] + design.f1[i])))
            row = design.quantity_index[i]
            np.testing.assert_allclose(flows["beyond"][row, window], running[row, window], rtol=1e-12)
    assert any(not np.allclose(flows["within"][design.quantity_index[i], design.k0[i]:design.k1[i]],
                               running[design.quantity_index[i], design.k0[i]:design.k1[i]])
               for i in range(len(design.claim_ids)) if not design.is_conversion[i])


def test_the_two_parts_of_an_end_draw_its_prior():
    """With the claims left aside, the end (in whichever part) is the duration's lognormal prior, from the start."""
    import pymc as pm
    from scipy import stats

    case = load_case(ROOT)
    design = build_design(case)
    model = build_model(case.spec, design, prior=True)
    end, onset = pm.draw([model["end"], model["onset"]], draws=4000, random_seed=3)
    for j, name in enumerate(model.coords["end_quantity"]):
        duration = case.spec.flows[name].duration
        start = onset[:, list(model.coords["onset_quantity"]).index(name)] if name in model.coords["onset_quantity"] else 0
        runs = end[:, j] - np.maximum(start, 0)
        assert stats.kstest(np.log(runs), stats.norm(np.log(duration.median), duration.sigma).cdf).pvalue > 1e-3, name


def test_each_onset_draws_its_own_prior():
    """A normal onset and heavy-tailed ones side by side: each flow's onset, in units of its spread from its mean,
    is N(0, 1) or Student-t with its nu, in the model's order of flows."""
    import pymc as pm
    from scipy import stats

    case = load_case(ROOT)
    first = next(name for name, flow in case.spec.flows.items() if flow.onset is not None)
    normal = case.spec.flows[first].onset.model_copy(update={"dist": "normal", "nu": None})
    flows = {**case.spec.flows, first: case.spec.flows[first].model_copy(update={"onset": normal})}
    spec = case.spec.model_copy(update={"flows": flows})
    model = build_model(spec, build_design(case), prior=True)
    onset = pm.draw(model["onset"], draws=4000, random_seed=5)
    axis = spec.time.axis
    for j, name in enumerate(model.coords["onset_quantity"]):
        prior = spec.flows[name].onset
        z = (onset[:, j] - axis.elapsed(prior.mean)) / (prior.sd_days / DAYS_PER_MONTH)
        expected = stats.norm() if prior.dist == "normal" else stats.t(prior.nu)
        assert stats.kstest(z, expected.cdf).pvalue > 1e-3, name
    assert {spec.flows[name].onset.dist for name in model.coords["onset_quantity"]} == {"normal", "student_t"}


def test_a_flow_runs_between_its_onset_and_end_with_smooth_edges():
    """The share of a month a flow runs, as the clip it smooths: nothing before the onset, equal beyond the edges, the
    same total; a first wave falls after the onset, all of it within WAVE_MONTHS."""
    month = np.arange(40)
    share = running_share(month, 5.4, 30.5)
    rise = 5.4 + EDGE_MONTHS / 2
    hard = np.clip(month + 1 - rise, 0, 1) * np.clip(30.5 - month, 0, 1)
    edges = (np.abs(month - rise) < EDGE_MONTHS / 2 + 1) | (np.abs(month - 30.5) < EDGE_MONTHS / 2 + 1)
    assert np.abs(share - hard).max() < 0.2 and np.allclose(share[~edges], hard[~edges], rtol=0, atol=1e-12)
    assert share.sum() == pytest.approx(hard.sum(), abs=1e-12)
    assert np.all(share[month < 5] == 0.0) and share[5] > 0
    assert np.all(running_share(month) == 1.0)
    wave = wave_share(month, 5.4)
    assert wave.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(wave[(month < 5) | (month > 6)] == 0.0) and wave[5] > wave[6] > 0


def test_the_models_flows_are_the_ones_forecasts_and_queries_use():
    """`flow_op` computes in the model what `timeaxis.running_share`, `timeaxis.wave_share`, `SpreadPrior.share` (for
    a flow that runs about its trend and one that moves in waves) and the trend give in numpy."""
    from reportedly.model.flow_op import NO_END, NO_ONSET, latent_flows

    rng = np.random.default_rng(0)
    log_level, smoothness, steps = np.log([900.0, 40.0]), np.array([0.3, 0.1]), rng.standard_normal((2, 24))
    share_z, realised = rng.standard_normal((2, 24)), np.array([400.0])
    onset, end = np.array([5.4, NO_ONSET]), np.array([19.2, NO_END])
    flows = latent_flows(
        log_level,
        smoothness,
        steps,
        onset,
        end,
        np.array([2500.0, 0.0]),
        share_z,
        realised,
        np.array([0, 1]),
        np.array([0.75, 1.2]),
        np.array([0, 1]),
        np.array([0]),
        np.array([0]),
    )
    walk = np.cumsum(smoothness[:, None] * steps, axis=1)
    trend = np.exp(log_level[:, None] + walk - walk.mean(axis=1, keepdims=True))
    month = np.arange(24)
    steady = SpreadPrior(dist="clipped_normal", sd=0.75, reason="-").share(share_z[0])
    waves = SpreadPrior(dist="lognormal", sd=1.2, reason="-").share(share_z[1])
    expected = trend * np.vstack([steady * running_share(month, 5.4), waves])
    expected[0] = (expected[0] + 2500.0 * wave_share(month, 5.4)) * running_share(month, None, 19.2)
    np.testing.assert_allclose(flows[:2], expected, rtol=1e-12)
    np.testing.assert_allclose(flows[2], expected[0] * 400.0, rtol=1e-12)


@pytest.mark.parametrize("operation", ["flows", "claims"])
def test_the_model_operations_gradients_match_finite_differences(shipped, operation):
    """Each fused operation's hand-written gradient against central differences of its own values."""
    from reportedly.model.claim_op import CLAIM_INPUTS, claims_logp, claims_logp_pullback
    from reportedly.model.flow_op import NO_END, NO_ONSET, latent_flows, latent_flows_pullback

    _, design, _ = shipped
    rng = np.random.default_rng(1)
    shape = [np.array([0, 1]), np.array([0.75, 0.5]), np.array([0, 1]), np.array([0]), np.array([0])]
    latent = [
        np.log([900.0, 1500.0, 40.0]),
        np.array([0.3, 0.2, 0.1]),
        rng.standard_normal((3, 31)),
        np.array([7.3, 21.6, NO_ONSET]),
        np.array([24.4, 29.7, 30.2]),
        np.array([2000.0, 0.0, 0.0]),
        rng.standard_normal((2, 31)),
        np.array([410.0]),
    ]
    flows = latent_flows(*latent, *shape)
    data = [
        np.asarray(
            getattr(design, n),
            dtype=np.int64 if n in ("quantity_index", "ratio_index", "k0", "k1", "source_index") else float,
        )
        for n in CLAIM_INPUTS
    ]
    data[0] = np.minimum(data[0], 3)  # the test's flows: three and one link
    # Shares of the months each window cuts at every quadrature node, as a window of weeks has them (`timing`).
    start, end = CLAIM_INPUTS.index("start_share"), CLAIM_INPUTS.index("end_share")
    shares = np.random.default_rng(2)
    data[start], data[end] = (np.sort(shares.uniform(0, 1, data[k].shape), axis=1) for k in (start, end))
    ends = np.array([23.4, 28.8, NO_END, 23.4])   # per row: the link stops with its flow
    sources = [ends, np.array([410.0]), rng.normal(0, 0.1, len(design.sources)), rng.uniform(0.1, 0.4, len(design.sources))]
    if operation == "flows":
        inputs, function = latent, lambda values: latent_flows(*values, *shape)
        cotangent = rng.standard_normal(flows.shape)
        gradient = latent_flows_pullback(cotangent, *latent, *shape)
    else:
        inputs = [flows, *sources]
        cotangents = rng.standard_normal((2, len(design.claim_ids)))
        cotangent = 1.0

        def function(values):
            running, stopped = claims_logp(*values, *data)
            return running * cotangents[0] + stopped * cotangents[1]

        gradient = claims_logp_pullback(*cotangents, flows, *sources, *data)
    for k, values in enumerate(inputs):
        for index in rng.choice(values.size, min(values.size, 12), replace=False):
            eps = 1e-6 * max(1.0, abs(values.flat[index]))
            up, down = [x.copy() for x in inputs], [x.copy() for x in inputs]
            up[k].flat[index] += eps
            down[k].flat[index] -= eps
            numeric = np.sum((function(up) - function(down)) * cotangent) / (2 * eps)
            assert np.asarray(gradient[k]).flat[index] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (k, index)

"""The misspecified truths of calibration under misspecification: each shape does what its name says."""

import numpy as np
import pytest

from reportedly.validation.stress import SHAPES, shaped_flow

FLOW = np.r_[
    np.zeros(4), 1e-3, 2.0, np.full(20, 100.0)
]  # a tail before it starts in month 5 (partly), then 100 a month


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_keeps_the_total(shape):
    out = shaped_flow(FLOW, shape, np.random.default_rng(1), shift_months=3)
    assert np.all(out >= 0)
    assert out.sum() == pytest.approx(FLOW.sum())


def test_an_onset_moves_and_the_flow_runs_on_to_the_end():
    rng = np.random.default_rng(1)
    earlier = shaped_flow(FLOW, "earlier onset", rng, shift_months=3)
    later = shaped_flow(FLOW, "later onset", rng, shift_months=3)
    assert np.flatnonzero(earlier)[0] == 2 and np.flatnonzero(later)[0] == 8
    assert earlier[-1] > 0 and later[-1] > 0
    assert earlier[2:5] / earlier[5:8] == pytest.approx(np.ones(3))  # its first months, copied before it began


def test_the_shapes():
    rng = np.random.default_rng(2)
    burst = shaped_flow(FLOW, "burst", rng, 3)
    assert burst[6] / burst.sum() == pytest.approx(0.75, abs=0.05)
    stop = shaped_flow(FLOW, "stop", rng, 3)
    assert stop[-1] == 0 and stop[6] > 100
    step = shaped_flow(FLOW, "step up", rng, 3)
    assert step[-1] == pytest.approx(4 * step[6])
    ramp = shaped_flow(FLOW, "ramp", rng, 3)
    assert ramp[-1] > 5 * ramp[6]
    pause = shaped_flow(FLOW, "pause", rng, 3)
    assert (pause[6:] == 0).sum() == 3
    assert np.array_equal(shaped_flow(FLOW, "as the prior", rng, 3), FLOW)


def test_an_earlier_onset_of_a_flow_that_starts_near_the_axis_end_copies_the_months_it_has():
    late = np.r_[np.zeros(22), np.full(3, 50.0), 80.0]   # it starts four months before the axis ends
    earlier = shaped_flow(late, "earlier onset", np.random.default_rng(1), shift_months=9)
    assert np.flatnonzero(earlier)[0] == 18 and earlier.sum() == pytest.approx(late.sum())
    assert earlier[18:22] / earlier[22:26] == pytest.approx(np.ones(4))


def test_a_truths_onset_moves_as_far_as_its_shape_moves_the_start():
    """What a simulated claim that dates a start reads: the prior draw's onset, moved by the months the shape moved
    the day the flow starts (2% of its total in); shapes that leave the start alone leave the onset alone."""
    from conftest import ROOT

    from reportedly.inputs.case import load_case
    from reportedly.timeaxis import DAYS_PER_MONTH
    from reportedly.validation.stress import stressedtruth_of

    spec = load_case(ROOT).spec
    months = len(spec.time.axis.labels)
    flows = np.vstack([np.r_[np.zeros(10), np.full(months - 10, 100.0)] for _ in spec.flows])
    flows = np.vstack([flows, *(flows[0] * 400.0 for _ in spec.links)])
    dated = [name for name, flow in spec.flows.items() if flow.onset is not None]
    truth = {"flow": flows, "realised": np.full(len(spec.ratios), 400.0), "onset": np.full(len(dated), 10.0)}
    for shape, moved in (("as the prior", 0), ("earlier onset", -1), ("later onset", 1)):
        onset = stressedtruth_of(truth, spec, shape, np.random.default_rng(5))["onset"]
        shift = [max(2, round(3 * spec.flows[name].onset.sd_days / DAYS_PER_MONTH)) for name in dated]
        assert onset == pytest.approx(10.0 + moved * np.array(shift), abs=0.25), shape   # 2% of another total

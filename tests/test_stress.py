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

"""Recovery: simulate claims from a known truth drawn from the prior, fit, find the truth in the intervals."""

import numpy as np
import pytest
from conftest import ROOT

from reportedly.fitting.sampling import sample
from reportedly.inputs.case import load_case
from reportedly.model.builder import build_model
from reportedly.model.design import build_design
from reportedly.model.simulate import draw_truth, simulate_design
from reportedly.results.estimates import Estimates
from reportedly.timeaxis import window_totals

pytestmark = pytest.mark.slow


def test_truth_lands_in_the_intervals():
    case = load_case(ROOT)
    spec, design = case.spec, build_design(case)
    truth = draw_truth(build_model(spec, design), seed=7)
    simulated = simulate_design(design, truth, seed=8)
    tree, _ = sample(spec, simulated, seed=9)
    est = Estimates(tree["posterior"].to_dataset(), {"latest_report": case.latest_report.isoformat()}, spec)
    inside_90 = inside_99 = 0
    for h in spec.headlines:
        end = est.headline_end(h)
        if h.quantity in spec.ratios:
            true_value = truth["realised"][design.ratios.index(h.quantity)]
        else:
            k0, f0, k1, f1 = case.axis.window(h.start, end)
            true_value = window_totals(truth["flow"][design.quantities.index(h.quantity)], k0, f0, k1, f1)
        q = np.quantile(est.draws_of(h.quantity, h.start, end), [0.005, 0.05, 0.95, 0.995])
        inside_90 += q[1] <= true_value <= q[2]
        inside_99 += q[0] <= true_value <= q[3]
    n = len(spec.headlines)
    # With n = 8 headlines at 90% coverage, 6 or more inside has probability 0.96; 99% intervals all hold.
    assert inside_90 >= n - 2, f"{inside_90}/{n} inside 90% intervals"
    assert inside_99 == n, f"{inside_99}/{n} inside 99% intervals"

"""The benchmark's synthetic cases (`bench/scale.py`) are designs the model takes, as the claims' own are."""

import importlib.util

import numpy as np
from conftest import ROOT

from reportedly.inputs.spec import load_spec
from reportedly.model.builder import build_model
from reportedly.model.timing import NODES


def load_scale():
    loaded = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    scale = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(scale)
    return scale


def test_a_synthetic_design_builds_the_model():
    scale = load_scale()
    spec, _ = load_spec(ROOT / "models" / "dprk_russia.toml")
    design = scale.synthetic_design(spec, 12, np.random.default_rng(0))
    assert design.start_share.shape == design.end_share.shape == (12, NODES)
    assert np.all((design.start_share >= 0) & (design.start_share <= 1))
    model = build_model(spec, design)
    assert len(model.coords["claim"]) == 12 and model.rvs_to_values[model["claims"]].data.shape == (12,)


def test_a_synthetic_case_asks_about_flows_while_they_run():
    """Each window begins in a month its flow runs in; one quantity that never runs gets no claim."""
    scale = load_scale()
    spec, _ = load_spec(ROOT / "models" / "dprk_russia.toml")
    months = len(spec.time.axis.months)
    running = np.zeros((len(spec.quantities), months), dtype=bool)
    running[0, 3:5] = running[2, 10:] = True
    design = scale.synthetic_design(spec, 40, np.random.default_rng(0), running=running)
    assert set(design.quantity_index) == {0, 2}
    assert running[design.quantity_index, design.k0].all() and (design.k1 > design.k0).all()
    simulated = scale.synthetic_case(spec, 30, seed=3)
    assert np.isfinite(simulated.log_value).all() and len(simulated.claim_ids) == 30

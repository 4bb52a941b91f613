"""The benchmark's synthetic cases (`bench/scale.py`) are designs the model takes, as the claims' own are."""

import importlib.util

import numpy as np
from conftest import ROOT

from reportedly.inputs.spec import load_spec
from reportedly.model.builder import build_model
from reportedly.model.timing import NODES


def test_a_synthetic_design_builds_the_model():
    loaded = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    scale = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(scale)
    spec, _ = load_spec(ROOT / "models" / "dprk_russia.toml")
    design = scale.synthetic_design(spec, 12, np.random.default_rng(0))
    assert design.start_share.shape == design.end_share.shape == (12, NODES)
    assert np.all((design.start_share >= 0) & (design.start_share <= 1))
    model = build_model(spec, design)
    assert len(model.coords["claim"]) == 12 and model.rvs_to_values[model["claims"]].data.shape == (12,)

"""The compile cache: a compiled model is reused across processes, and only for exactly what it was built from."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from reportedly.fitting import compile_cache as cache
from reportedly.fitting import nutpie_adapter as adapter
from reportedly.inputs.case import load_case
from reportedly.model.builder import build_model
from reportedly.model.design import build_design


@pytest.fixture(scope="module")
def shipped():
    case = load_case(ROOT)
    return case.spec, build_design(case)


def padded_like(compiled, design):
    return design.padded(len(compiled.coords["claim"]), len(compiled.coords["source"]))


def reference_logp(model, compiled, point) -> float:
    reference = model.compile_logp(jacobian=True)
    names, slices, shapes = compiled.shape_info
    values = {name: point[where].reshape(shape) for name, where, shape in zip(names, slices, shapes)
              if name in model.initial_point()}
    assert len(values) == len(model.value_vars)
    return float(reference(values))


def test_cached_model_matches_the_pymc_model(shipped):
    spec, design = shipped
    compiled = cache.compile_design(spec, design)
    point = compiled.initial_point_func(3)
    logp, grad = adapter.logp_at(compiled, point)
    assert logp == pytest.approx(
        reference_logp(build_model(spec, padded_like(compiled, design)), compiled, point), rel=1e-9
    )
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    assert len(compiled.coords["claim"]) > len(design.claim_ids) and len(compiled.coords["source"]) > len(
        design.sources
    )


def test_spare_rows_change_nothing_but_the_spare_sources_prior(shipped):
    from scipy import stats

    spec, design = shipped
    compiled = cache.compile_design(spec, design)
    point = compiled.initial_point_func(4)
    names, slices, _ = compiled.shape_info
    spare = [point[slices[names.index(name)]][len(design.sources) :] for name in ("source_z", "bias_z")]
    model = build_model(spec, design)
    reference = model.compile_logp(jacobian=True)
    values = {
        name: point[where][: len(design.sources)] if name in ("source_z", "bias_z") else point[where].reshape(shape)
        for name, where, shape in zip(*compiled.shape_info)
        if name in model.initial_point()
    }
    expected = float(reference(values)) + sum(stats.norm.logpdf(z).sum() for z in spare)
    assert adapter.logp_at(compiled, point)[0] == pytest.approx(expected, rel=1e-9)


def test_edited_claims_reuse_the_compiled_model(shipped):
    """Claims are data: another value, window, rating, or a claim left out, is the same compiled model."""
    spec, design = shipped
    compiled = cache.compile_design(spec, design)
    key = cache.model_key(spec, padded_like(compiled, design))
    moved = dataclasses.replace(
        design,
        log_lower=design.log_lower + 0.3,
        log_upper=design.log_upper + 0.3,
        k1=np.maximum(design.k1 - 1, design.k0 + 1),
        source_rating=np.full_like(design.source_rating, 3),
    )
    fewer = design.without([design.claim_ids[0], design.claim_ids[-1]])
    for edited in (moved, fewer):
        assert cache.model_key(spec, padded_like(compiled, edited)) == key
        refitted = cache.with_design(compiled, edited)
        point = compiled.initial_point_func(5)
        expected = reference_logp(build_model(spec, padded_like(compiled, edited)), refitted, point)
        assert adapter.logp_at(refitted, point)[0] == pytest.approx(expected, rel=1e-9)
        assert adapter.logp_at(refitted, point)[0] != pytest.approx(adapter.logp_at(compiled, point)[0], rel=1e-6)


def test_a_second_process_loads_the_model_without_building_it_or_importing_pymc(shipped):
    spec, design = shipped
    n_dim = cache.compile_design(spec, design).n_dim  # fills the cache if an earlier test did not
    script = (
        "import sys\n"
        "from reportedly.inputs.case import load_case; from reportedly.model.design import build_design\n"
        "from reportedly.fitting.compile_cache import compile_design\n"
        "case = load_case(__import__('pathlib').Path(sys.argv[1]))\n"
        "c = compile_design(case.spec, build_design(case))\n"
        "print(c.n_dim, 'reportedly.model.builder' in sys.modules, 'pymc' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == [str(n_dim), "False", "False"]


def test_the_key_changes_with_the_model_and_room_for_claims_but_not_the_sampler_or_horizon(shipped):
    spec, design = shipped
    key = cache.model_key(spec, design)
    more_draws = spec.model_copy(update={"sampler": spec.sampler.model_copy(update={"draws": 10})})
    wider = spec.model_copy(update={"errors": spec.errors.model_copy(update={"bias_sd": 0.2})})
    assert cache.model_key(spec, design.padded(len(design.claim_ids) + 1, len(design.sources))) != key
    assert cache.model_key(wider, design) != key
    assert cache.model_key(more_draws, design) == key
    later = spec.model_copy(
        update={"time": spec.time.model_copy(update={"horizon": spec.time.horizon.replace(year=2030)})}
    )
    assert cache.model_key(later, design) == key


def test_a_layout_whose_callbacks_are_gone_is_compiled_again(shipped):
    spec, design = shipped
    good = cache.compile_design(spec, design)
    key = cache.model_key(spec, padded_like(good, design))
    path = cache._cache_folder() / f"{key}.json"
    layout = json.loads(path.read_text())
    path.write_text(json.dumps({**layout, "logp_key": "not-in-the-cache", "expand_key": "nor-this"}))
    again = cache.compile_design(spec, design)
    point = good.initial_point_func(1)
    assert adapter.logp_at(again, point)[0] == pytest.approx(adapter.logp_at(good, point)[0], rel=1e-12)
    assert json.loads(path.read_text())["logp_key"] == layout["logp_key"]  # the entry is repaired


def test_what_the_adapter_takes_from_nutpie_and_pytensor_is_there_in_the_pinned_versions(shipped):
    """The pinned libraries have every private function, field and format the adapter uses, in the shapes it expects:
    this fails when an upgrade changes them (and the package would then take nutpie's public path)."""
    assert adapter.private_path_works()
    spec, design = shipped
    compiled = cache.compile_design(spec, design)
    run = adapter.run(compiled, spec.sampler.model_copy(update={"draws": 20, "tune": 20, "chains": 2}), 1, False)
    assert run.public is None
    posterior, stats = run.draws(None)
    assert posterior["flow"][0] == ("chain", "draw", "quantity", "month") and posterior["flow"][1].shape[:2] == (2, 20)
    assert not any(name.endswith("__") for name in posterior) and set(adapter.STATS) <= set(stats)


@pytest.mark.parametrize("change", ["arguments", "function", "field", "cache"])
def test_a_change_in_their_insides_is_caught(monkeypatch, change):
    import pytensor.link.numba.cache as pytensor_cache
    from nutpie import compile_pymc as nutpie_pymc

    match change:
        case "arguments":
            monkeypatch.setattr(nutpie_pymc, "_make_functions", lambda model, mode: None)
        case "function":
            monkeypatch.delattr(nutpie_pymc, "_prepare_dims_and_coords")
        case "field":  # as though nutpie renamed a field of its compiled model
            monkeypatch.setattr(adapter, "COMPILED_MODEL_FIELDS", adapter.COMPILED_MODEL_FIELDS | {"_renamed"})
        case "cache":
            monkeypatch.delattr(pytensor_cache, "CACHED_SRC_FUNCTIONS")
    assert not adapter.private_path_works()


def test_without_them_nutpies_public_path_compiles_and_samples(monkeypatch, caplog):
    """The second case, the smaller: nutpie's public path compiles the whole graph in-process, every time."""
    case = load_case(ROOT / "tests/cases/aid_convoys")
    spec, design = case.spec, build_design(case)
    monkeypatch.setattr(adapter, "private_path_works", lambda: False)
    compiled = cache.compile_design(spec, design)
    assert "using nutpie's public path" in caplog.text
    logp, grad = (
        adapter.logp_at(compiled, compiled.initial_point_func(3)) if not compiled.shared_var_keys else (0.0, [0.0])
    )
    assert np.isfinite(logp) and np.all(np.isfinite(grad))
    run = adapter.run(compiled, spec.sampler.model_copy(update={"draws": 20, "tune": 20, "chains": 2}), 1, False)
    posterior, stats = run.draws(10)
    assert run.public is not None and posterior["flow"][1].shape[:2] == (2, 10) and "diverging" in stats

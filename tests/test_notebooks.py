"""The notebooks run end to end (in a private copy of the case, with fast sampler settings)."""

import importlib.util

import nbformat
import pytest
from conftest import ROOT, copy_case

pytestmark = pytest.mark.slow


def load_builder():
    spec = importlib.util.spec_from_file_location("notebook_builder", ROOT / "notebooks" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_execute_without_error(tmp_path, monkeypatch):
    builder = load_builder()
    case = copy_case(tmp_path / "case")
    monkeypatch.setenv("REPORTEDLY_ROOT", str(case))
    monkeypatch.setenv("REPORTEDLY_FAST", "1")
    out = tmp_path / "notebooks"
    out.mkdir()
    written = builder.build(out_dir=out, timeout=900)
    assert [p.name for p in written] == list(builder.NOTEBOOKS)
    for path in written:
        nb = nbformat.read(path, as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors}"
    assert (case / "estimates" / "dprk_russia" / "figures" / "cumulative.png").exists()


def test_committed_notebooks_have_outputs():
    builder = load_builder()
    for name in builder.NOTEBOOKS:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs or not c.source.strip() for c in code[:2]), name
        assert any(o.get("output_type") == "display_data" or o.get("output_type") == "execute_result"
                   for c in code for o in c.outputs), name

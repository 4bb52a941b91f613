import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CASE = "dprk_russia"

# The order pytest-xdist hands out whole files to its workers (`--dist loadfile --no-loadscope-reorder`): the longest
# file first, which compiles the shipped model while the other worker runs the files that compile nothing (a model
# compiles on one core, and a second process needing it waits); then the rest, longest first. Others go last.
FILE_ORDER = (
    "test_validation.py",
    "test_claims.py", "test_extract.py", "test_properties.py", "test_likelihood.py", "test_layers.py", "test_style.py",
    "test_timing.py", "test_stress.py", "test_calibration.py", "test_bench.py",
    "test_second_case.py", "test_notebooks.py", "test_faults.py", "test_runs.py", "test_estimate.py", "test_model.py",
    "test_compiled.py", "test_recovery.py", "test_page.py", "test_onsets.py",
)


def pytest_collection_modifyitems(items):
    """Run the files in FILE_ORDER (a stable sort: each file's tests keep their order)."""
    items.sort(key=lambda item: FILE_ORDER.index(item.path.name) if item.path.name in FILE_ORDER else len(FILE_ORDER))


def copy_case(destination: Path) -> Path:
    """A private copy of the shipped case folder (seeds/ and models/) to edit or fit in."""
    for folder in ("seeds", "models"):
        shutil.copytree(ROOT / folder, destination / folder)
    return destination


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    return copy_case(tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of text in a file, failing loudly if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def estimates_entries(root: Path) -> list[str]:
    """What a case root's estimates folder holds, besides the runs' lock files (which stay there, unlocked)."""
    return sorted(p.name for p in (root / "estimates").iterdir() if p.suffix != ".lock")


@pytest.fixture(scope="session")
def fitted_case(tmp_path_factory) -> Path:
    """The shipped case fitted once per session with its own settings, in a private folder."""
    from reportedly.cli import main

    root = copy_case(tmp_path_factory.mktemp("fitted"))
    assert main(["--root", str(root), "estimate", "--quiet"]) == 0
    return root

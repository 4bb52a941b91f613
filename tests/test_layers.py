"""The house in rooms: each subpackage of the package is a layer, and a layer imports only those below it.

Lowest first: the foundation (the modules at the package's top: errors, files, the month axis, the interval
levels, the package's source), then reading the evidence, the model, fitting, results, validation, workflows and
the command line. Imports inside functions count as much as those at the top, and no two modules import each
other, however far round.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reportedly"
LAYERS = ("", "inputs", "model", "fitting", "results", "validation", "workflows", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else 0


def imports(path: Path) -> set[str]:
    """The package's modules that `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reportedly"):
            found |= {
                f"{node.module}.{alias.name}"
                if (PACKAGE.parent / node.module.replace(".", "/") / alias.name).is_dir()
                or (PACKAGE.parent / node.module.replace(".", "/") / f"{alias.name}.py").exists()
                else node.module
                for alias in node.names
            }
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("reportedly")}
    return found


MODULES = {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}


def test_every_module_is_in_a_layer():
    assert all(module.split(".")[1] in LAYERS or module.count(".") == 1 for module in MODULES if module != "reportedly")
    assert {module.split(".")[1] for module in MODULES if module.count(".") >= 2} == set(LAYERS[1:])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_its_own(module):
    upward = sorted(target for target in MODULES[module] if layer(target) > layer(module))
    assert not upward, f"{module} (layer {LAYERS[layer(module)] or 'foundation'}) imports {upward} from above it"


def test_no_circle_of_imports():
    graph = {
        module: {target for target in targets if target in MODULES and target != module}
        for module, targets in MODULES.items()
    }
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in graph[module]:
            assert state.get(target) != 1, f"a circle of imports: {' -> '.join([*path, module, target])}"
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [])

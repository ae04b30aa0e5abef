"""The packages form layers, lowest first: search_space, trainers, verdicts, studies, analysis.
Each imports only from the ones before it (README). An import inside a function counts (it
runs too); one under `if TYPE_CHECKING:` does not (annotations only)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("search_space", "trainers", "verdicts", "studies", "analysis")


def imported_modules(path: Path, package: str) -> list[tuple[str, int]]:
    """Every module `path` imports, absolute, with its line: module-level and inside functions,
    but not under `if TYPE_CHECKING:`. `package` is the package relative imports start from."""
    tree = ast.parse(path.read_text())
    typing_only = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(branch.test)
                   for statement in branch.body for node in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                found.append((f"{base}.{node.module}" if node.module else base, node.lineno))
            else:
                found.append((node.module, node.lineno))
    return found


def modules_of(layer: str) -> list[tuple[Path, str]]:
    """(file, the package its relative imports start from) for every module of a layer."""
    out = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append((path, ".".join(parts[:-1])))
    return out


def upward_imports(layer: str) -> list[str]:
    rank = LAYERS.index(layer)
    return [f"{path.relative_to(ROOT)}:{line} imports {name}"
            for path, package in modules_of(layer)
            for name, line in imported_modules(path, package)
            if name.split(".")[0] in LAYERS and LAYERS.index(name.split(".")[0]) > rank]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_from_the_layers_before_it(layer):
    assert modules_of(layer)
    assert upward_imports(layer) == []


def test_the_check_finds_an_upward_import_in_a_function_and_ignores_a_typing_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from analysis import report\n"
                      "def f():\n    from studies.driver import run\n"
                      "    from . import sibling\n")
    assert imported_modules(module, "verdicts") == [
        ("typing", 1), ("studies.driver", 5), ("verdicts", 6)]


def module_graph() -> dict[str, set[str]]:
    """Module -> the modules of these layers it imports (a name resolved to its longest known
    prefix: `from .stats import X` imports verdicts.stats, `from . import X` the package)."""
    imports = {}
    for layer in LAYERS:
        for path, package in modules_of(layer):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            imports[name] = [module for module, _ in imported_modules(path, package)]
    graph = {}
    for name, modules in imports.items():
        graph[name] = set()
        for module in modules:
            while module and module not in imports:
                module = module.rpartition(".")[0]
            if module and module != name:
                graph[name].add(module)
    return graph


def test_no_module_imports_itself_through_others():
    """Inside a layer too, imports have one direction: no cycle among modules (e.g. spec ->
    geometry -> backbone -> spec, which Net.validate running the builder once made)."""
    import graphlib

    graph = module_graph()
    assert "verdicts.claim_check" in graph["verdicts.stats"]  # relative imports resolved
    assert "search_space.spec" not in graph["search_space.backbone"]  # annotations only
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")

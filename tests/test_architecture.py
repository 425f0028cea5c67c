"""The shape of the package: no import cycles, and the call's stages where the design says.

The graph counts the imports that run (an import under ``if TYPE_CHECKING:`` does not run, so it
cannot make a cycle at import time, and is how a module names a type of a module that imports it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "receiver"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports when it runs (top level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for statement in node.body
        for child in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from receiver import calls` imports the module receiver.calls (its package is
            # already running: not an edge back to it); `from receiver.x import y` imports
            # receiver.x, or receiver.x.y when that is a module.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in modules] or [node.module]
        else:
            continue
        found.update(name for name in names if name in modules)
    if path.is_relative_to(PACKAGE):
        found.discard(module_name(path))
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): runtime_imports(path, modules) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules (the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        pytest.param({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"], id="two"),
        pytest.param({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"], id="three"),
        pytest.param({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None, id="diamond"),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[str] | None
) -> None:
    assert find_cycle(graph) == expected


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import receiver.a\n"
        "if TYPE_CHECKING:\n    from receiver.b import B\n"
        "def f():\n    from receiver import c\n"
    )
    modules = {"receiver.a", "receiver.b", "receiver.c"}
    assert runtime_imports(source, modules) == {"receiver.a", "receiver.c"}


def test_the_app_does_not_reach_into_the_call_stages() -> None:
    """``app.py`` composes: the stages of a call are imported by ``calls.py``, not by the app."""
    graph = import_graph()
    stages = {"receiver.tokens", "receiver.parsing", "receiver.calllog", "receiver._deadline"}
    assert not graph["receiver.app"] & stages
    assert stages - {"receiver._deadline"} <= graph["receiver.calls"]


def test_architecture_doc_names_every_module() -> None:
    """docs/architecture.md has one line for each module of the package."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in import_graph()
        if name != "receiver" and f"`{name.removeprefix('receiver.').replace('.', '/')}" not in doc
    ]
    assert not missing, f"docs/architecture.md does not mention: {missing}"

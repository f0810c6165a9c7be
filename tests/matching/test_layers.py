"""The matching package's modules import one another without cycles, and the pure ones never reach the
database or the web."""

from __future__ import annotations

import ast
from pathlib import Path

import coordinator.matching

PACKAGE = Path(coordinator.matching.__file__).parent
PURE = ("types", "validate", "network", "instance", "explain", "solver")


def imports_of(module: str) -> set[str]:
    """Every module this one imports anywhere (also inside functions), as dotted names."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def siblings(module: str) -> set[str]:
    """The matching modules this one imports."""
    prefix = "coordinator.matching."
    return {name[len(prefix):].split(".")[0] for name in imports_of(module) if name.startswith(prefix)} - {module}


def test_matching_modules_import_each_other_without_a_cycle() -> None:
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    graph = {m: siblings(m) & set(modules) for m in modules}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join([*path, module])}"
        state[module] = "open"
        for other in sorted(graph[module]):
            visit(other, [*path, module])
        state[module] = "done"

    for module in modules:
        visit(module, [])
    assert "solver" not in graph["network"]
    assert graph["types"] == set()


def test_pure_modules_know_nothing_of_the_database_or_http() -> None:
    for module in PURE:
        outside = {name for name in imports_of(module)
                   if name.split(".")[0] in ("sqlmodel", "sqlalchemy", "fastapi", "starlette")
                   or (name.startswith("coordinator.") and not name.startswith("coordinator.matching"))}
        assert not outside, f"{module} imports {sorted(outside)}"
        assert siblings(module) <= set(PURE), f"{module} imports {sorted(siblings(module) - set(PURE))}"

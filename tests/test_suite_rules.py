"""Rules that keep the test suite believable: every environmental skip goes through tests/conftest.py:need()
(so that CI's OUEN_TEST_REQUIRE turns it into a failure), fixtures are shared through conftest.py files
rather than imported into test modules, only tests are named like tests, and real servers in child processes
start through the one helper (tests/support.py: ServerProcess)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

TESTS = ROOT / "tests"
# Child processes that are not servers of ours: concurrent migrations, and the receiver example from the docs.
OTHER_PROCESSES = {"tests/coordinator/test_db_migrations.py", "tests/notifications/test_docs_receiver.py"}
SKIPPING = {"pytest.skip", "pytest.importorskip", "pytest.xfail", "pytest.mark.skip", "pytest.mark.skipif",
            "pytest.mark.xfail"}


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "artifacts" not in p.parts)


def _is_fixture(node: ast.AST) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any("fixture" in ast.unparse(d) for d in decorators)


def _fixtures_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and _is_fixture(n)}


def test_skips_go_through_need_only() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = set()
        if path == TESTS / "conftest.py":  # need() itself: skip locally, fail when CI requires the resource
            (need,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "need"]
            allowed = {id(n) for n in ast.walk(need)}
        found += [f"{path.relative_to(ROOT)}:{n.lineno}: {ast.unparse(n)}" for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and ast.unparse(n) in SKIPPING and id(n) not in allowed]
    assert found == [], "skip through tests/conftest.py:need() instead:\n" + "\n".join(found)


def test_fixtures_are_not_imported_into_other_modules() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
                source = ROOT / (node.module.replace(".", "/") + ".py")
                fixtures = _fixtures_of(source) if source.is_file() else set()
                found += [f"{path.relative_to(ROOT)}: {a.name} from {node.module}" for a in node.names
                          if a.name in fixtures or a.name == "conftest"]
    assert found == [], "share fixtures through a conftest.py that covers both:\n" + "\n".join(found)


def test_only_tests_are_named_like_tests() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tops = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        tests = [n for n in tops if n.name.startswith("test") or n.name.startswith("Test")]
        if path.name.startswith("test_") and not tests:
            found.append(f"{path.relative_to(ROOT)}: a helper module named like a test module")
        if not path.name.startswith("test_") and tests:
            found.append(f"{path.relative_to(ROOT)}: {[n.name for n in tests]} in a helper module")
        found += [f"{path.relative_to(ROOT)}: fixture {n.name}" for n in tests if _is_fixture(n)]
    assert found == [], "\n".join(found)


def test_real_servers_start_through_the_one_helper() -> None:
    found = []
    for path in _modules():
        name = str(path.relative_to(ROOT))
        if name in OTHER_PROCESSES or path == TESTS / "support.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{name}:{n.lineno}" for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and ast.unparse(n.func) in ("subprocess.Popen", "Popen")]
    assert found == [], "start servers with tests/support.py:ServerProcess:\n" + "\n".join(found)

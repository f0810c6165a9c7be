"""No dead or vestigial code (issue 13 item 8): every domain is always present, so nothing imports by name
or falls back when a module or table is missing; removed names stay removed; routers hold endpoints only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.associations.source import association_records
from coordinator.settings import get_settings
from geo.associations import associations
from tests.conftest import ROOT

PACKAGES = ("coordinator", "realtime", "agreements", "geo")


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _caught(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {k.id for k in kinds if isinstance(k, ast.Name)}


def test_no_module_or_table_may_be_absent() -> None:
    found = []
    for path in _sources():
        if path == ROOT / "realtime/protocol.py":
            continue  # orjson is an optional speed-up of the JSON codec, not a domain
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and _caught(node) & {"ImportError", "ModuleNotFoundError"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} except ImportError")
            if isinstance(node, (ast.Import, ast.ImportFrom)) and "importlib" in ast.unparse(node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} importlib")
            if isinstance(node, ast.Attribute) and node.attr == "has_table":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} has_table")
    assert found == []


@pytest.mark.parametrize("name", ["Backplane", "drop_connection", "FINAL_STATES", "_from_csv"])
def test_removed_names_stay_removed(name: str) -> None:
    defined = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.name] if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) else [
                t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            if name in names:
                defined.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert defined == []


def test_routers_define_no_models() -> None:
    classes = [f"{path.relative_to(ROOT)}:{node.name}" for path in sorted((ROOT / "coordinator").glob("*/router.py"))
               for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)]
    assert classes == []


def test_association_rows_are_the_reference_associations_and_the_secretariat() -> None:
    data_dir = get_settings().data_dir
    records = association_records(data_dir)
    assert [r.id for r in records] == [a.id for a in associations(data_dir)] + [SECRETARIAT_ID]
    first, reference = records[0], associations(data_dir)[0]
    assert (first.name_ja, first.prefecture_code, first.block, first.lat) == (
        reference.name_ja, reference.prefecture_code, reference.block, reference.lat)


def test_pages_do_not_ask_whether_an_api_is_served() -> None:
    # Every route is always there: no "is this endpoint served?" probe, and no flag for it in the pages.
    web = ROOT / "coordinator/web"
    probes = [f"{p.relative_to(ROOT)}" for p in web.glob("*.py") if ".openapi()" in p.read_text(encoding="utf-8")]
    flags = ("config.live", "todo_route", "bulletin_route", "config.plan", "config.reopen", "waiting_requests")
    pages = [*web.glob("static/*.js"), *web.glob("templates/*.html"), *web.glob("*.py")]
    flagged = [f"{p.relative_to(ROOT)}: {flag}" for p in pages for flag in flags
               if flag in p.read_text(encoding="utf-8")]
    assert probes == [] and flagged == []

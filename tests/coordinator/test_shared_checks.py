"""One copy of the shared checks (issue 13 item 3): invalid(), load_or_404(), check_version() live in
coordinator/errors.py, every domain's public() answers its Public model, every 422 has the one shape."""

from __future__ import annotations

import ast
import importlib
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.disasters.models import Disaster
from coordinator.errors import Conflict, Invalid, NotFound, check_version, load_or_404
from coordinator.notifications.service import valid_email
from tests.conftest import ROOT

SHARED = {"invalid", "load_or_404", "check_version"}


def _functions() -> list[tuple[Path, ast.FunctionDef]]:
    found = []
    for path in sorted((ROOT / "coordinator").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    return found


def test_the_shared_checks_are_defined_once_in_errors() -> None:
    copies = [f"{path.relative_to(ROOT)}:{node.name}" for path, node in _functions()
              if node.name.lstrip("_") in SHARED and path != ROOT / "coordinator/errors.py"]
    assert copies == []


def test_a_stale_version_is_refused_only_by_check_version() -> None:
    raisers = []
    for path in sorted((ROOT / "coordinator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Conflict"
                    and any(k.arg == "field" and getattr(k.value, "value", None) == "version" for k in node.keywords)):
                raisers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert raisers == ["coordinator/errors.py:" + str(_line_of_conflict_in_errors())]


def _line_of_conflict_in_errors() -> int:
    tree = ast.parse((ROOT / "coordinator/errors.py").read_text(encoding="utf-8"))
    check = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "check_version")
    return next(n.lineno for n in ast.walk(check)
                if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Conflict")


PUBLISHING = sorted(p.parent.name for p in (ROOT / "coordinator").glob("*/service.py")
                    if "\ndef public(" in p.read_text(encoding="utf-8"))


def test_the_domains_with_a_public_view_are_found() -> None:
    assert {"disasters", "dispatches", "needs", "offers", "sitreps"} <= set(PUBLISHING)


@pytest.mark.parametrize("package", PUBLISHING)
def test_public_answers_the_public_model(package: str) -> None:
    module = importlib.import_module(f"coordinator.{package}.service")
    answer = typing.get_type_hints(module.public)["return"]
    assert isinstance(answer, type) and issubclass(answer, BaseModel) and answer.__name__.endswith("Public"), answer


def test_check_version_refuses_only_another_version() -> None:
    check_version(3, None, en="e", ja="j")
    check_version(3, 3, en="e", ja="j")
    with pytest.raises(Conflict) as refused:
        check_version(3, 2, en="changed", ja="変更されました", details=lambda: {"current": "x"})
    assert refused.value.field == "version" and refused.value.details == {"version": 3, "current": "x"}


def test_load_or_404_names_the_field(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(NotFound) as missing:
        load_or_404(session, Disaster, 987654, field="disaster_id", what_en="disaster", what_ja="災害")
    assert missing.value.field == "disaster_id"
    assert missing.value.message_en == "disaster_id: no disaster 987654"
    assert missing.value.message_ja == "disaster_id：災害 987654 は見つかりません"


def test_notification_addresses_refuse_in_the_one_error_shape() -> None:
    with pytest.raises(Invalid) as refused:
        valid_email("not an address", field="email")
    problem = refused.value.details["problems"][0]
    assert (problem["field"], problem["label_ja"], problem["label_en"]) == ("email", "メールアドレス", "e-mail")
    assert refused.value.message_ja.startswith("メールアドレス：")

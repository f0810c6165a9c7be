"""The notification services are units of work (@writes): none commits or rolls back by hand
(DESIGN.md; the unit of work commits once at its end, and a write after a hand commit would run outside it)."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

# (coordinator/reminders/service.py commits its stages itself on purpose: a unique violation there means
# another instance sent the same stage, and is caught.)
MODULES = ["coordinator/notifications/service.py"]


def _decorated_with_writes(function: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "writes" for d in function.decorator_list)


@pytest.mark.parametrize("module", MODULES)
def test_units_of_work_neither_commit_nor_roll_back_by_hand(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    units = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and _decorated_with_writes(f)]
    assert units, f"{module}: no @writes services found"
    by_hand = [f"{module}:{call.lineno} {function.name}" for function in units for call in ast.walk(function)
               if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
               and call.func.attr in ("commit", "rollback")]
    assert by_hand == []

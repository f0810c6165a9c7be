"""Every event type the code can record has a label (event.<type>) in Japanese and English.

The types are found in the source: string constants shaped like event types in coordinator/ (outside the
web package, whose strings are message keys), plus the expansions of the f-strings that build types.
"""

from __future__ import annotations

import ast
import re

from coordinator.dispatches.transitions import DispatchState
from coordinator.web.i18n import catalogue
from tests.conftest import ROOT

FAMILIES = ("auth", "bulletin", "capacity", "contacts", "disaster", "dispatch", "drill", "need", "notification",
            "notify", "offer", "plan", "proposal", "standing_capacity", "todo", "user", "account", "sitrep")
TYPE = re.compile(rf"^({'|'.join(FAMILIES)})\.[a-z][a-z_]*$")
# Foreign-key targets ("disaster.id") look like types but are not.
NOT_TYPES = re.compile(r"\.(id|code)$")
# f-strings that build a type: the values their variable part takes.
EXPANSIONS = {
    "dispatch.": [state.value for state in DispatchState],
    "auth.login_": ["succeeded", "failed", "throttled"],
}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def recorded_types() -> tuple[set[str], set[str]]:
    """(types written as constants, prefixes of types built by f-strings) in coordinator/."""
    constants: set[str] = set()
    prefixes: set[str] = set()
    for path in (ROOT / "coordinator").rglob("*.py"):
        if "web" in path.relative_to(ROOT / "coordinator").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TYPE.match(node.value):
                if not NOT_TYPES.search(node.value) and not node.value.endswith("_"):
                    constants.add(node.value)
            elif isinstance(node, ast.Call) and "record" in _name(node.func):
                # A type built by an f-string in an event writer's call (record_event, _record, ...).
                for value in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(value, ast.JoinedStr) and value.values and isinstance(value.values[0], ast.Constant):
                        head = str(value.values[0].value)
                        if TYPE.match(head + "x") and len(value.values) > 1:
                            prefixes.add(head)
    return constants, prefixes


def all_types() -> set[str]:
    constants, prefixes = recorded_types()
    unknown = prefixes - set(EXPANSIONS)
    assert not unknown, f"an f-string builds event types {unknown}: add its values to EXPANSIONS"
    return constants | {prefix + value for prefix in prefixes for value in EXPANSIONS[prefix]}


def test_the_scan_finds_the_types_we_know() -> None:
    found = all_types()
    assert {"disaster.declared", "plan.committed", "dispatch.accepted", "need.created", "auth.login_failed",
            "standing_capacity.added", "drill.started"} <= found
    assert "disaster.id" not in found


def test_every_recorded_event_type_has_a_label_in_japanese_and_english() -> None:
    types = all_types()
    for language in ("ja", "en"):
        messages = catalogue(language)
        missing = sorted(t for t in types if not messages.get(f"event.{t}"))
        assert missing == [], (language, missing)
    assert catalogue("ja")["event.plan.committed"] != catalogue("en")["event.plan.committed"]

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

# Families written out (types of these are found anywhere in the source); more are learnt from the calls
# of event writers (record_event, _record, ...) so that a new family cannot slip past the scan.
KNOWN_FAMILIES = {"auth", "bulletin", "capacity", "contacts", "disaster", "dispatch", "drill", "need",
                  "notification", "notify", "offer", "plan", "proposal", "standing_capacity", "todo", "user",
                  "account", "sitrep"}
SHAPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
# Foreign-key targets ("disaster.id") look like types but are not.
NOT_TYPES = re.compile(r"\.(id|code)$")
# f-strings that build a type: the values their variable part takes.
EXPANSIONS = {
    "dispatch.": [state.value for state in DispatchState],
    "auth.login_": ["succeeded", "failed", "throttled"],
}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _trees() -> list[ast.AST]:
    return [ast.parse(path.read_text(encoding="utf-8")) for path in (ROOT / "coordinator").rglob("*.py")
            if "web" not in path.relative_to(ROOT / "coordinator").parts]


def families() -> set[str]:
    """KNOWN_FAMILIES and the family of every type-shaped constant handed to an event writer or assigned to
    an `event_type` / `type` name."""
    found = set(KNOWN_FAMILIES)
    for tree in _trees():
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call) and "record" in _name(node.func):
                values = [*node.args, *(k.value for k in node.keywords)]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("type", "event_type")
                                                      for t in node.targets):
                values = [node.value]
            for value in values:
                for leaf in ast.walk(value):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and SHAPE.match(leaf.value):
                        found.add(leaf.value.split(".")[0])
    return found


def recorded_types() -> tuple[set[str], set[str]]:
    """(types written as constants, prefixes of types built by f-strings) in coordinator/."""
    constants: set[str] = set()
    prefixes: set[str] = set()
    type_shape = re.compile(rf"^({'|'.join(sorted(families()))})\.[a-z][a-z_]*$")
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and type_shape.match(node.value):
                if not NOT_TYPES.search(node.value) and not node.value.endswith("_"):
                    constants.add(node.value)
            elif isinstance(node, ast.Call) and "record" in _name(node.func):
                # A type built by an f-string in an event writer's call (record_event, _record, ...).
                for value in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(value, ast.JoinedStr) and value.values and isinstance(value.values[0], ast.Constant):
                        head = str(value.values[0].value)
                        if type_shape.match(head + "x") and len(value.values) > 1:
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
            "standing_capacity.added", "drill.started", "notify.retried", "contacts.updated"} <= found
    assert "disaster.id" not in found


def test_every_recorded_event_type_has_a_label_in_japanese_and_english() -> None:
    types = all_types()
    for language in ("ja", "en"):
        messages = catalogue(language)
        missing = sorted(t for t in types if not messages.get(f"event.{t}"))
        assert missing == [], (language, missing)
    assert catalogue("ja")["event.plan.committed"] != catalogue("en")["event.plan.committed"]

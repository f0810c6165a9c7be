"""One entry point for the dispatch lifecycle (issue 13, item 1): only the dispatches service writes dispatch
rows and their events, every dispatch state set is defined once (dispatches/transitions.py), and where
two copies of a set disagreed, the chosen meaning is shown through the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coordinator.dispatches.transitions import DispatchState
from tests.conftest import ROOT
from tests.coordinator.dispatch_support import TOYAMA, DispatchWorld

STATE_NAMES = {state.value for state in DispatchState}
LIFECYCLE = ROOT / "coordinator" / "dispatches" / "service.py"
STATE_SETS = ROOT / "coordinator" / "dispatches" / "transitions.py"


def _modules() -> list[Path]:
    return sorted(p for p in (ROOT / "coordinator").rglob("*.py") if "migrations" not in p.parts)


def _lifecycle_type(node: ast.expr) -> bool:
    """An event type naming a dispatch state (e.g. "dispatch.cancelled"), or computed (an f-string)."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and str(node.value).removeprefix("dispatch.") in STATE_NAMES


def _writes_dispatches(tree: ast.AST) -> list[str]:
    """Dispatch rows built, updated or inserted, and lifecycle events of dispatches recorded, in one module
    (other events about a dispatch, such as the people it sends, belong to their own domain)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        first = node.args[0] if node.args else None
        if name == "Dispatch" or (name in ("update", "insert") and isinstance(first, ast.Name)
                                  and first.id == "Dispatch"):
            found.append(f"line {node.lineno}: {name}(Dispatch…)")
        keywords = {k.arg: k.value for k in node.keywords}
        entity, kind = keywords.get("entity"), keywords.get("type")
        if (name == "record_event" and isinstance(entity, ast.Constant) and entity.value == "dispatch"
                and kind is not None and _lifecycle_type(kind)):
            found.append(f"line {node.lineno}: record_event(entity='dispatch', type=…state)")
    return found


def _state_sets(tree: ast.AST) -> list[str]:
    """Literal collections of two or more dispatch state names (a copied state set)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(names) == len(node.elts) >= 2 and set(names) <= STATE_NAMES:
                found.append(f"line {node.lineno}: {names}")
    return found


def test_only_the_dispatches_service_writes_dispatch_rows_and_events() -> None:
    offenders = {str(p.relative_to(ROOT)): hits for p in _modules() if p != LIFECYCLE
                 for hits in [_writes_dispatches(ast.parse(p.read_text()))] if hits}
    assert offenders == {}
    assert _writes_dispatches(ast.parse(LIFECYCLE.read_text())), "the check must see the service's own writes"


def test_dispatch_state_sets_are_defined_only_in_transitions() -> None:
    offenders = {str(p.relative_to(ROOT)): hits for p in _modules() if p != STATE_SETS
                 for hits in [_state_sets(ast.parse(p.read_text()))] if hits}
    assert offenders == {}


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:  # type: ignore[no-untyped-def]
    return DispatchWorld(client, make_user, auth)


def _picture(world: DispatchWorld) -> dict:  # type: ignore[type-arg]
    response = world.client.get(f"/web/picture/{world.id}", headers=world.secretariat)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_completed_people_cover_the_need_and_pending_ones_are_only_proposed(world: DispatchWorld) -> None:
    """`completed` is in ACCEPTED_STATES (the web copy of COMMITTED_STATES included it, the transitions
    copy did not) and `proposed` is in PENDING_STATES (matching's copy left it out): the need's roll-up,
    the dashboard's need row and its arrow agree on both."""
    need = world.need(headcount=3)
    world.dispatch_in("completed", need_id=need["id"])
    pending = world.dispatch_in("proposed", need_id=need["id"])
    people = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.secretariat).json()["people"]
    assert people == {"requested": 3, "proposed": 2, "accepted": 1, "on_site": 1, "fulfilled": 1}
    picture = _picture(world)
    (row,) = [n for n in picture["needs"] if n["id"] == need["id"]]
    assert {k: row[k] for k in ("proposed", "accepted", "on_site", "fulfilled", "unmet")} == {
        "proposed": 2, "accepted": 1, "on_site": 1, "fulfilled": 1, "unmet": 2}
    (arrow,) = [a for a in picture["arrows"] if a["supplier_id"] == TOYAMA]
    assert (arrow["headcount"], arrow["committed"]) == (2, 1)  # one solid (completed), one dashed (proposed)
    assert picture["states"][TOYAMA] == "supporting"  # an open (pending) dispatch

    assert world.act(pending["id"], "cancel", world.coordinator).status_code == 200
    picture = _picture(world)
    (arrow,) = [a for a in picture["arrows"] if a["supplier_id"] == TOYAMA]
    assert (arrow["headcount"], arrow["committed"]) == (1, 1)  # withdrawn ones are not drawn
    assert TOYAMA not in picture["states"]  # done, not supporting any more


def test_completed_people_no_longer_use_the_suppliers_offer(world: DispatchWorld) -> None:
    """COMMITTED_STATES (people out, using the offer) exclude `completed`; ACCEPTED_STATES (covering the
    need's headcount) include it."""
    offer = world.client.patch(f"/api/v1/offers/{world.toyama_offer['id']}", headers=world.toyama,
                              json={"headcount": 1, "version": world.toyama_offer["version"]})
    assert offer.status_code == 200, offer.text
    need = world.need(headcount=2)
    world.dispatch_in("completed", need_id=need["id"])
    again = world.dispatch_in("accepted", need_id=need["id"])  # the same one person may go again
    assert again["state"] == "accepted"
    third = world.dispatch_in("requested", need_id=world.need(headcount=1)["id"])
    refused = world.act(third["id"], "accept", world.toyama)
    assert refused.status_code == 409 and refused.json()["error"]["details"]["committed"] == 1

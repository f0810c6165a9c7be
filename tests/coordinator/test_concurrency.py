"""Concurrent acceptances: exactly one wins, every other gets a 409 (SQLite and PostgreSQL).

Fifty threads, each with its own database session, call the service at the same moment (a barrier);
the outcome is deterministic whatever the interleaving.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from coordinator.auth.models import User
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import transition_dispatch
from coordinator.errors import Conflict
from coordinator.events.models import Event
from tests.coordinator.dispatch_support import FUKUI, DispatchWorld

PARALLEL = 50
# Over HTTP too: 50 concurrent requests, more than the server's 40 worker threads.
HTTP_PARALLEL = 50


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for prefecture 17, users of every role, and an offer of 100 people by Toyama."""
    return DispatchWorld(client, make_user, auth)


def run_together(engine: Engine, calls: list[Callable[[Session], Any]]) -> Counter[str]:
    """Run each call in its own thread and session, all released at once; count outcomes by kind."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(call: Callable[[Session], Any]) -> None:
        barrier.wait()
        try:
            with Session(engine, expire_on_commit=False) as session:
                call(session)
            outcome = "ok"
        except Conflict as error:  # InvalidTransition is a Conflict: both are HTTP 409
            outcome = f"409:{error.code}"
        except Exception as error:  # anything else is a bug the assertion below must show
            outcome = f"error:{type(error).__name__}:{error}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return Counter(outcomes)


def accepted_events(engine: Engine, dispatch_ids: list[int]) -> int:
    """How many dispatch.accepted events exist for these dispatches."""
    with Session(engine) as session:
        query = select(func.count()).select_from(Event).where(
            Event.type == "dispatch.accepted", col(Event.entity_id).in_([str(i) for i in dispatch_ids]))
        return int(session.exec(query).one())


def test_fifty_parallel_accepts_of_one_request_one_wins(world: DispatchWorld, engine: Engine,
                                                        make_user) -> None:
    dispatch = world.dispatch_in("requested")
    supplier, _ = make_user("staff", dispatch["supplier_id"])

    def accept(session: Session, actor: User = supplier) -> Any:
        return transition_dispatch(session, dispatch_id=dispatch["id"], action="accept", actor=actor,
                                   expected_cost_yen=50000)

    outcomes = run_together(engine, [accept] * PARALLEL)
    assert outcomes == Counter({"ok": 1, "409:invalid_transition": PARALLEL - 1}), outcomes
    with Session(engine) as session:
        stored = session.get(Dispatch, dispatch["id"])
        assert stored is not None and stored.state == "accepted" and stored.version == 4
    assert accepted_events(engine, [dispatch["id"]]) == 1


def test_fifty_requests_competing_for_one_persons_capacity_one_wins(world: DispatchWorld, engine: Engine,
                                                                    make_user) -> None:
    world.offer(headers=world.fukui, headcount=1)  # Fukui can send one person in all
    need = world.need(headcount=PARALLEL)
    dispatches = [world.dispatch_in("requested", need_id=need["id"], supplier_id=FUKUI)
                  for _ in range(PARALLEL)]
    supplier, _ = make_user("staff", FUKUI)

    def accept_of(dispatch_id: int) -> Callable[[Session], Any]:
        def accept(session: Session) -> Any:
            return transition_dispatch(session, dispatch_id=dispatch_id, action="accept", actor=supplier,
                                       expected_cost_yen=0)
        return accept

    outcomes = run_together(engine, [accept_of(d["id"]) for d in dispatches])
    assert outcomes == Counter({"ok": 1, "409:conflict": PARALLEL - 1}), outcomes
    ids = [d["id"] for d in dispatches]
    with Session(engine) as session:
        states = Counter(session.exec(select(Dispatch.state).where(col(Dispatch.id).in_(ids))))
    assert states == Counter({"accepted": 1, "requested": PARALLEL - 1})
    assert accepted_events(engine, ids) == 1


@pytest.mark.slow
def test_fifty_concurrent_http_accepts_against_the_real_server(live_server: str, live_make_user) -> None:
    """The same race through uvicorn, HTTP and the request sessions: one 200, every other a 409."""
    import httpx

    def bearer(role: str, association: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {live_make_user(role, association)[1]}"}

    secretariat, ishikawa, fukui = bearer("secretariat", "clair"), bearer("staff", "pref_ishikawa"), \
        bearer("staff", FUKUI)
    with httpx.Client(base_url=live_server, timeout=60) as http:
        disaster = http.post("/api/v1/disasters", headers=secretariat, json={
            "name": "能登半島地震", "kind": "earthquake", "area": {"prefectures": ["17"]}}).json()
        coordinator = bearer("staff", disaster["acting_roles"]["coordinators"]["tokai_hokuriku"]["association_id"])
        base = f"/api/v1/disasters/{disaster['id']}"
        today = disaster["declared_at"][:10]
        need = http.post(f"{base}/needs", headers=ishikawa, json={
            "requester_id": "pref_ishikawa", "kind": "centre_staff", "language": "vi", "headcount": 2,
            "start": today, "days": 5}).json()
        assert http.post(f"{base}/offers", headers=fukui, json={
            "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 2, "available_from": today,
            "available_until": today}).status_code == 201
        dispatch = http.post(f"{base}/dispatches", headers=coordinator, json={
            "need_id": need["id"], "supplier_id": FUKUI, "headcount": 2}).json()
        for action in ("approve", "request"):
            assert http.post(f"/api/v1/dispatches/{dispatch['id']}/{action}", headers=coordinator).status_code == 200

    barrier = threading.Barrier(HTTP_PARALLEL)
    statuses: list[int] = []
    lock = threading.Lock()

    def accept() -> None:
        with httpx.Client(base_url=live_server, timeout=120) as client:
            barrier.wait()
            response = client.post(f"/api/v1/dispatches/{dispatch['id']}/accept", headers=fukui,
                                   json={"expected_cost_yen": 10000})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=accept) for _ in range(HTTP_PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert Counter(statuses) == Counter({200: 1, 409: HTTP_PARALLEL - 1}), Counter(statuses)

"""The real route /api/v1/live on the real app (create_app, its own lifespan): bearer tokens, the session
cookie from POST /api/v1/auth/login, and per-event visibility equal to GET /api/v1/disasters/{id}/events."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from websockets.asyncio.client import ClientConnection, connect

from agreements import load_agreement
from coordinator.app import create_app
from coordinator.auth.service import create_user
from coordinator.db import make_engine
from coordinator.events.models import Event
from coordinator.events.service import record_event
from coordinator.settings import Settings, get_settings
from realtime.protocol import CLOSE_BAD_SUBSCRIPTION, CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.realtime.harness import close_code_of, open_client, read_events, read_until_live, serve_app
from tests.support import create_user_with_token

TOKYO, ISHIKAWA, TOYAMA = "pref_tokyo", "pref_ishikawa", "pref_toyama"


@pytest.fixture
def engine(live_db_url: str) -> Iterator[Engine]:
    engine = make_engine(live_db_url)
    yield engine
    engine.dispose()


@contextlib.contextmanager
def running_app(engine: Engine) -> Iterator[tuple[str, str]]:
    """create_app on `engine` under uvicorn (its lifespan starts the live channel): (http base, ws url)."""
    settings = Settings(database_url=str(engine.url), live_heartbeat_seconds=0, live_idle_seconds=0,
                        live_poll_seconds=0)
    app = create_app(settings, engine=engine)
    with serve_app(app, app.state.live, "/api/v1/live") as server:
        yield server.url.removesuffix("/api/v1/live").replace("ws://", "http://"), server.url


def record(engine: Engine, association: str, n: int, disaster_id: int = 1) -> int:
    """One live event naming `association`, written through record_event; its seq."""
    with Session(engine, expire_on_commit=False) as session:
        row = record_event(session, type="need.created", entity="need", entity_id=str(n),
                           disaster_id=disaster_id, mode="live", associations=[association], payload={"n": n})
        session.commit()
        return row.seq  # type: ignore[return-value]


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have this status."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def test_live_route_authenticates_tokens_and_applies_roles(engine: Engine) -> None:
    _, ishikawa = create_user_with_token(engine, "staff", ISHIKAWA)
    _, secretariat = create_user_with_token(engine, "secretariat")
    with running_app(engine) as (_, url):
        stranger = await open_client(url, "not-a-token", {"mode": "live"})
        assert (await close_code_of(stranger))[0] == CLOSE_UNAUTHENTICATED

        staff = await open_client(url, ishikawa, {"mode": "live", "disaster_id": 1})
        # The same principal through the Authorization header instead of ?token=.
        boss = await connect(url, additional_headers={"Authorization": f"Bearer {secretariat}"},
                             compression=None, proxy=None)
        await boss.send('{"type": "subscribe", "mode": "live"}')
        await read_until_live(staff)
        await read_until_live(boss)

        toyama_seq = record(engine, TOYAMA, 1)
        ishikawa_seq = record(engine, ISHIKAWA, 2)
        assert [e["seq"] for e in await read_events(boss, 2)] == [toyama_seq, ishikawa_seq]
        # Staff of Ishikawa never see Toyama's event: the first thing they get is their own.
        assert [e["seq"] for e in await read_events(staff, 1)] == [ishikawa_seq]
        await staff.close()
        await boss.close()


async def _cookie_client(url: str, cookie: str, origin: str | None = None) -> ClientConnection:
    client = await connect(url, additional_headers={"Cookie": f"ouen_session={cookie}"}, compression=None,
                           proxy=None, origin=origin)  # type: ignore[arg-type]
    with contextlib.suppress(Exception):  # a refused client may be closed before this goes out
        await client.send(json.dumps({"type": "subscribe", "mode": "live", "disaster_id": 1}))
    return client


async def test_session_cookie_from_login_authenticates_until_logout(engine: Engine) -> None:
    password = "correct horse battery staple"
    with Session(engine) as session:
        create_user(session, login="ishikawa-desk", display_name="石川デスク", role="staff",
                    association_id=ISHIKAWA, password=password)
    with running_app(engine) as (base, url):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            signed_in = await http.post("/api/v1/auth/login", json={"login": "ishikawa-desk",
                                                                     "password": password})
            assert signed_in.status_code == 200, signed_in.text
            cookie = signed_in.cookies["ouen_session"]

            # As a browser on our own page: the Origin names this host.
            client = await _cookie_client(url, cookie, origin=base)
            await read_until_live(client)
            record(engine, TOYAMA, 1)
            ishikawa_seq = record(engine, ISHIKAWA, 2)
            # The cookie's user is Ishikawa staff: Toyama's event is skipped, their own arrives.
            assert [e["seq"] for e in await read_events(client, 1)] == [ishikawa_seq]
            await client.close()

            # Another site's page opening the socket with the victim's cookie (cross-site hijacking).
            hijacker = await _cookie_client(url, cookie, origin="https://evil.example")
            code, messages = await close_code_of(hijacker)
            assert code == CLOSE_FORBIDDEN and messages[-1]["field"] == "origin", messages
            assert [m["type"] for m in messages] == ["error"]

            forged = await _cookie_client(url, "not-a-session")
            assert (await close_code_of(forged))[0] == CLOSE_UNAUTHENTICATED

            # The client kept the cookie from the login response and sends it with the logout.
            assert (await http.post("/api/v1/auth/logout")).status_code == 204
            after_logout = await _cookie_client(url, cookie)
            assert (await close_code_of(after_logout))[0] == CLOSE_UNAUTHENTICATED


async def test_every_refused_socket_is_audited_as_auth_denied(engine: Engine) -> None:
    password = "correct horse battery staple"
    with Session(engine) as session:
        user_id = create_user(session, login="ishikawa-night", display_name="石川夜間", role="staff",
                              association_id=ISHIKAWA, password=password).id
    _, staff_token = create_user_with_token(engine, "staff", ISHIKAWA)
    with running_app(engine) as (base, url):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            ok(await http.post("/api/v1/auth/login", json={"login": "ishikawa-night", "password": password}))
            cookie = http.cookies["ouen_session"]
        stranger = await open_client(url, "ouen_not-a-real-token", {"mode": "live"})
        assert (await close_code_of(stranger))[0] == CLOSE_UNAUTHENTICATED
        hijacker = await _cookie_client(url, cookie, origin="https://evil.example")
        assert (await close_code_of(hijacker))[0] == CLOSE_FORBIDDEN
        # A malformed subscription is bad input, not a permission denial: closed, but not audited.
        clumsy = await open_client(url, staff_token, {"mode": "sideways"})
        assert (await close_code_of(clumsy))[0] == CLOSE_BAD_SUBSCRIPTION
    with Session(engine) as session:
        rows = list(session.exec(select(Event).where(Event.type == "auth.denied").order_by(col(Event.seq))))
    assert [(r.payload["method"], r.payload["path"], r.payload["status"], r.payload["reason"],
             r.payload["credential"], r.payload["field"]) for r in rows] == [
        ("WEBSOCKET", "/api/v1/live", 401, "unauthenticated", "none", "credentials"),
        ("WEBSOCKET", "/api/v1/live", 403, "cross_site_request", "cookie", "origin")]
    # The hijacked cookie names its user; the credential itself is never stored.
    assert [r.actor_user_id for r in rows] == [None, user_id]
    assert all(r.entity_id and r.entity_id != "unknown" for r in rows)  # the connection's request id
    assert all("ouen_" not in str(r.payload) and cookie not in str(r.payload) for r in rows)


# -- live visibility equals the HTTP timeline's, for every role ---------------------------------------------


async def _read_through(client: ClientConnection, disaster_id: int) -> list[dict[str, Any]]:
    """Events up to and including this disaster's rename (the sentinel every role may read)."""
    events: list[dict[str, Any]] = []
    while not events or not (events[-1]["type"] == "disaster.renamed"
                             and events[-1]["entity_id"] == str(disaster_id)):
        events += await read_events(client, 1)
    return events


def _key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["seq"], event["type"], event["entity_id"], event["disaster_id"], event["mode"],
            sorted(event["associations"]), event["payload"])


async def test_every_role_receives_over_the_socket_what_the_timeline_returns(engine: Engine) -> None:
    _, secretariat_token = create_user_with_token(engine, "secretariat")
    bearer = {"Authorization": f"Bearer {secretariat_token}"}
    today = date.today().isoformat()
    with running_app(engine) as (base, url):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            # Tokyo (prefecture 13): the secretariat fails over, so a staff association reads everything.
            disasters = {mode: ok(await http.post("/api/v1/disasters", headers=bearer, json={
                "name": f"首都直下地震（{mode}）", "kind": "earthquake", "mode": mode,
                "area": {"prefectures": ["13"]}}), 201) for mode in ("live", "drill")}
            roles = disasters["live"]["acting_roles"]
            assert roles["secretariat"]["is_failover"] is True
            failover = roles["secretariat"]["id"]
            coordinator = roles["coordinators"]["kanto"]["association_id"]
            settings = get_settings()
            blocks = {b.id: b.members for b in load_agreement(settings.agreement_file,
                                                              data_dir=settings.data_dir).blocks}
            named = {TOKYO, failover, coordinator}
            block_member = next(a for a in blocks["kanto"] if a not in named)
            outsider = next(a for a in blocks["kinki"] if a not in named)
            tokens = {"secretariat": secretariat_token,
                      "observer": create_user_with_token(engine, "observer")[1],
                      "requester": create_user_with_token(engine, "staff", TOKYO)[1],
                      "coordinator": create_user_with_token(engine, "staff", coordinator)[1],
                      "failover": create_user_with_token(engine, "staff", failover)[1],
                      "block_member": create_user_with_token(engine, "staff", block_member)[1],
                      "outsider": create_user_with_token(engine, "staff", outsider)[1]}
            assert len({TOKYO, failover, coordinator, block_member, outsider}) == 5

            # Subscribed now, before the events below: these receive them live.
            live_clients: dict[tuple[str, str], tuple[ClientConnection, int]] = {}
            for mode, disaster in disasters.items():
                for role, token in tokens.items():
                    client = await open_client(url, token, {"mode": mode, "disaster_id": disaster["id"]})
                    live_clients[(mode, role)] = (client, (await read_until_live(client))[1])

            for mode, disaster in disasters.items():
                other = "drill" if mode == "live" else "live"
                path = f"/api/v1/disasters/{disaster['id']}"
                ok(await http.post(f"{path}/needs", headers={"Authorization": f"Bearer {tokens['requester']}"},
                                   json={"requester_id": TOKYO, "kind": "centre_staff", "language": "vi",
                                         "headcount": 2, "start": today, "days": 3, "place": "13104"}), 201)
                ok(await http.post(f"{path}/offers",
                                   headers={"Authorization": f"Bearer {tokens['block_member']}"},
                                   json={"languages": ["vi"], "kinds": ["centre_staff"], "headcount": 2,
                                         "available_from": today, "available_until": today}), 201)
                with Session(engine) as session:
                    for spec in (
                            {"associations": []},  # disaster-wide: observers and (acting) secretariat only
                            {"associations": [block_member]},
                            {"associations": [outsider, coordinator]},
                            {"associations": [TOKYO], "mode": other},  # the other mode, same disaster id
                            {"associations": [TOKYO], "disaster_id": None, "mode": None}):  # administrative
                        record_event(session, **{"type": "note.added", "entity": "note", "entity_id": "1",
                                                 "disaster_id": disaster["id"], "mode": mode, **spec})
                    session.commit()
            for mode, disaster in disasters.items():  # the sentinel: renames name every association
                ok(await http.patch(f"/api/v1/disasters/{disaster['id']}", headers=bearer,
                                    json={"name": f"首都直下地震（{mode}・改）"}))

            seen: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
            for (mode, role), (client, live_from) in live_clients.items():
                disaster_id = disasters[mode]["id"]
                timeline = ok(await http.get(f"/api/v1/disasters/{disaster_id}/events?limit=1000",
                                             headers={"Authorization": f"Bearer {tokens[role]}"}))["events"]
                expected = [_key(e) for e in timeline]
                received = [_key(e) for e in await _read_through(client, disaster_id)]
                assert received == [k for k in expected if k[0] > live_from], (mode, role)
                await client.close()
                # Replay (since=0) after the fact gives the whole timeline, nothing more.
                replayer = await open_client(url, tokens[role], {"mode": mode, "disaster_id": disaster_id,
                                                                 "since": 0})
                replayed, _ = await read_until_live(replayer)
                assert [_key(e) for e in replayed] == expected, (mode, role)
                await replayer.close()
                seen[(mode, role)] = expected

    # The mix tells the roles apart: the comparison above is not between identical lists.
    for mode in ("live", "drill"):
        counts = {role: len(seen[(mode, role)]) for role in tokens}
        # secretariat, observer, fail-over: all 7; coordinator: named on need, offer and one note;
        # block member: the open need of its block it may offer against (issue 15 item 2), its offer and
        # note; requester: its need; outsider: one note.
        assert counts == {"secretariat": 7, "observer": 7, "failover": 7, "coordinator": 5,
                          "block_member": 5, "requester": 3, "outsider": 3}
        assert seen[(mode, "requester")] != seen[(mode, "outsider")]
        assert all(e[4] == mode for e in seen[(mode, "secretariat")])

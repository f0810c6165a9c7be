"""Revocation reaches open websockets (issue 12 item 3): a socket opened before a token is revoked, its
session signed out or revoked, its user disabled or given another role, is closed with 4401 — also when
the revoking request is served by another app instance on PostgreSQL, and when nothing announces it (the
periodic check). Sockets of other people stay open. Real uvicorn servers and websocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from websockets.asyncio.client import ClientConnection, connect

from coordinator.app import create_app
from coordinator.auth.service import create_user
from coordinator.db import make_engine
from coordinator.settings import Settings
from realtime.protocol import CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED
from tests.realtime.harness import close_code_of, open_client, read_until_live, serve_app
from tests.support import ServerProcess, create_user_with_token, prepare_database

PASSWORD = "correct horse battery"


@contextlib.contextmanager
def running_app(database: Engine, **settings: Any) -> Iterator[tuple[str, str]]:
    """create_app under uvicorn in a thread: (http base, ws url). Periodic re-checks off unless asked."""
    values = {"live_heartbeat_seconds": 0, "live_idle_seconds": 0, "live_poll_seconds": 0,
              "live_revalidate_seconds": 0, **settings}
    url = database.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, **values), engine=database)
    with serve_app(app, app.state.live, "/api/v1/live") as server:
        yield server.url.removesuffix("/api/v1/live").replace("ws://", "http://"), server.url


def password_user(database: Engine, login: str, role: str = "staff", association: str | None = "pref_toyama") -> int:
    with Session(database, expire_on_commit=False) as session:
        return create_user(session, login=login, display_name=login, role=role, association_id=association,
                           password=PASSWORD).id or 0


def sign_in(base: str, login: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.cookies["ouen_session"]


async def cookie_socket(url: str, cookie: str) -> ClientConnection:
    client = await connect(url, additional_headers={"Cookie": f"ouen_session={cookie}"}, compression=None,
                           proxy=None, open_timeout=20)
    await client.send(json.dumps({"type": "subscribe", "mode": "live"}))
    return client


async def test_every_kind_of_revocation_closes_the_open_socket_at_once(engine: Engine) -> None:
    _, secretariat = create_user_with_token(engine, "secretariat")
    boss = {"Authorization": f"Bearer {secretariat}"}
    with running_app(engine) as (base, url):
        # Tokens: revoked by the secretariat.
        owner, token = create_user_with_token(engine, "staff", "pref_toyama")
        bystander_user, bystander_token = create_user_with_token(engine, "staff", "pref_toyama")
        revoked_socket = await open_client(url, token, {"mode": "live"})
        bystander = await open_client(url, bystander_token, {"mode": "live"})
        await read_until_live(revoked_socket)
        await read_until_live(bystander)
        [listed] = httpx.get(f"{base}/api/v1/users/{owner.id}/tokens", headers=boss).json()
        assert httpx.post(f"{base}/api/v1/tokens/{listed['id']}/revoke", headers=boss).status_code == 200
        assert (await close_code_of(revoked_socket))[0] == CLOSE_UNAUTHENTICATED
        # Disabled user: the token still exists but its user may no longer act.
        disabled_user, disabled_token = create_user_with_token(engine, "staff", "pref_fukui")
        disabled_socket = await open_client(url, disabled_token, {"mode": "live"})
        await read_until_live(disabled_socket)
        assert httpx.post(f"{base}/api/v1/users/{disabled_user.id}/disable", headers=boss).status_code == 200
        assert (await close_code_of(disabled_socket))[0] == CLOSE_UNAUTHENTICATED
        assert httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {disabled_token}"}
                         ).status_code == 401
        # A new role: the socket closes so that it reconnects with the new rights.
        moved_user, moved_token = create_user_with_token(engine, "staff", "pref_mie")
        moved_socket = await open_client(url, moved_token, {"mode": "live"})
        await read_until_live(moved_socket)
        assert httpx.post(f"{base}/api/v1/users/{moved_user.id}/role", headers=boss,
                          json={"role": "observer"}).status_code == 200
        assert (await close_code_of(moved_socket))[0] == CLOSE_UNAUTHENTICATED
        again = await open_client(url, moved_token, {"mode": "live"})  # reconnects, now as an observer
        await read_until_live(again)
        await again.close()
        # Sessions: signing out closes that session's socket; a revoked session's too.
        password_user(engine, "walker")
        out_cookie, kept_cookie = sign_in(base, "walker"), sign_in(base, "walker")
        signed_out, kept = await cookie_socket(url, out_cookie), await cookie_socket(url, kept_cookie)
        await read_until_live(signed_out)
        await read_until_live(kept)
        assert httpx.post(f"{base}/api/v1/auth/logout", cookies={"ouen_session": out_cookie}).status_code == 204
        assert (await close_code_of(signed_out))[0] == CLOSE_UNAUTHENTICATED
        [session] = httpx.get(f"{base}/api/v1/auth/sessions", cookies={"ouen_session": kept_cookie}).json()
        assert httpx.post(f"{base}/api/v1/sessions/{session['id']}/revoke", headers=boss).status_code == 200
        assert (await close_code_of(kept))[0] == CLOSE_UNAUTHENTICATED
        # Meanwhile the bystander's socket stayed open and still hears events.
        assert bystander.close_code is None
        assert httpx.post(f"{base}/api/v1/users/{bystander_user.id}/reset-password", headers=boss
                          ).status_code == 200  # its token is not a session: it stays
        await bystander.ping()
        assert bystander.close_code is None
        await bystander.close()


async def test_an_expired_session_is_found_by_the_periodic_check(engine: Engine) -> None:
    """Nothing announces an expiry: the periodic re-check (OUEN_LIVE_REVALIDATE_SECONDS) closes it."""
    password_user(engine, "expiring")
    with running_app(engine, live_revalidate_seconds=0.5) as (base, url):
        cookie = sign_in(base, "expiring")
        socket = await cookie_socket(url, cookie)
        await read_until_live(socket)
        with engine.begin() as connection:
            connection.execute(text("UPDATE login_session SET expires_at = :past"),
                               {"past": datetime.now(UTC) - timedelta(minutes=1)})
        assert (await close_code_of(socket))[0] == CLOSE_UNAUTHENTICATED


@pytest.fixture
def shared_postgres(postgres_url: str, _postgres_admin: Engine) -> Iterator[tuple[str, Engine]]:
    """A migrated PostgreSQL schema of its own (URL and engine), for several server processes."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with _postgres_admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    shared = make_engine(rendered)
    prepare_database(shared)
    yield rendered, shared
    shared.dispose()
    with _postgres_admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.mark.postgres
async def test_revocation_served_by_another_instance_closes_the_socket(
        shared_postgres: tuple[str, Engine], server_factory: Callable[..., ServerProcess]) -> None:
    """Two uvicorn processes on one PostgreSQL database: the socket is on A, the revocation is sent to B.
    A hears of it through LISTEN/NOTIFY; its periodic re-check is off, so nothing else could close it."""
    shared_url, shared = shared_postgres
    env = {"OUEN_LIVE_REVALIDATE_SECONDS": "0"}
    a, b = server_factory(shared_url, env=env), server_factory(shared_url, env=env)
    _, secretariat = create_user_with_token(shared, "secretariat")
    owner, token = create_user_with_token(shared, "staff", "pref_toyama")
    _, other_token = create_user_with_token(shared, "staff", "pref_toyama")
    url_a = a.base_url.replace("http://", "ws://") + "/api/v1/live"
    socket = await open_client(url_a, token, {"mode": "live"})
    other = await open_client(url_a, other_token, {"mode": "live"})
    await read_until_live(socket)
    await read_until_live(other)
    boss = {"Authorization": f"Bearer {secretariat}"}
    assert httpx.post(f"{b.base_url}/api/v1/users/{owner.id}/disable", headers=boss).status_code == 200
    assert (await close_code_of(socket))[0] == CLOSE_UNAUTHENTICATED
    await other.ping()
    assert other.close_code is None
    await other.close()


async def test_an_oversized_message_closes_1009_and_a_huge_id_is_a_bad_subscription(
        engine: Engine) -> None:
    _, token = create_user_with_token(engine, "staff", "pref_toyama")
    with running_app(engine) as (_, url):
        huge = await open_client(url, token, {"mode": "live", "disaster_id": 10**23})
        code, frames = await close_code_of(huge)
        assert code == 4400 and frames[-1]["field"] == "disaster_id"
        floating = await connect(f"{url}?token={token}", compression=None, proxy=None)
        await floating.send('{"type": "subscribe", "mode": "live", "disaster_id": 1e23}')
        code, frames = await close_code_of(floating)
        assert code == 4400 and frames[-1]["field"] == "disaster_id" and frames[-1]["message"]["ja"]
        big = await open_client(url, token, {"mode": "live"})
        await read_until_live(big)
        await big.send("x" * 65536)
        assert (await close_code_of(big))[0] == CLOSE_TOO_BIG
        first = await connect(f"{url}?token={token}", compression=None, proxy=None, max_size=None)
        await first.send(json.dumps({"type": "subscribe", "mode": "live", "types": ["x" * 10000]}))
        assert (await close_code_of(first))[0] == CLOSE_TOO_BIG


async def test_observers_see_the_disaster_picture_but_never_the_security_log(engine: Engine) -> None:
    """Sign-ins carry logins and addresses: auth.* events reach the secretariat only (issue 12 item 7)."""
    _, secretariat = create_user_with_token(engine, "secretariat")
    _, observer = create_user_with_token(engine, "observer")
    with running_app(engine) as (base, url):
        watchers = {"secretariat": await open_client(url, secretariat, {"mode": "live"}),
                    "observer": await open_client(url, observer, {"mode": "live"})}
        for client in watchers.values():
            await read_until_live(client)
        assert httpx.post(f"{base}/api/v1/auth/login", json={"login": "someone", "password": "wrong password"}
                          ).status_code == 401
        declared = httpx.post(f"{base}/api/v1/disasters", headers={"Authorization": f"Bearer {secretariat}"},
                              json={"name": "能登", "kind": "earthquake", "area": {"prefectures": ["17"]}})
        assert declared.status_code == 201
        seen: dict[str, list[str]] = {}
        for name, client in watchers.items():
            types: list[str] = []
            async with asyncio.timeout(30):
                while "disaster.declared" not in types:
                    message = json.loads(await client.recv())
                    if message["type"] == "event":
                        types.append(message["event"]["type"])
            seen[name] = types
            await client.close()
        assert "auth.login_failed" in seen["secretariat"]
        assert seen["observer"] == ["disaster.declared"]

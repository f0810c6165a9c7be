"""Authorisation at connect and per event, drill isolation, filters, replay then live, over real sockets."""

from __future__ import annotations

import asyncio
import json

import pytest

from coordinator.live.visibility import Principal
from realtime.hub import HubConfig
from realtime.protocol import (
    CLOSE_BAD_SUBSCRIPTION,
    CLOSE_FORBIDDEN,
    CLOSE_IDLE_TIMEOUT,
    CLOSE_RESYNC_REQUIRED,
    CLOSE_UNAUTHENTICATED,
)
from tests.realtime.harness import (
    close_code_of,
    file_engine,
    open_client,
    read_events,
    read_until_live,
    serve,
    write_events,
)

TOKENS = {
    "sec": Principal(user_id=1, role="secretariat", may_read_drill=True),
    "obs": Principal(user_id=2, role="observer", may_read_drill=True),
    "osaka": Principal(user_id=3, role="staff", association_id="osaka", may_read_drill=True),
    "tokyo": Principal(user_id=4, role="staff", association_id="tokyo", may_read_drill=False),
    "coord": Principal(user_id=5, role="staff", association_id="kyoto", may_read_drill=True,
                       coordinates={1: frozenset({"osaka", "kyoto"})}),
}
QUICK = HubConfig(heartbeat_interval=None, idle_timeout=None, poll_interval=None)


def event(disaster_id: int | None, mode: str | None, associations: list[str], kind: str = "need.created",
          **payload: object) -> dict[str, object]:
    return {"type": kind, "entity": "need", "entity_id": "x", "disaster_id": disaster_id, "mode": mode,
            "associations": associations, "payload": payload}


@pytest.fixture
def engine(tmp_path):
    return file_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")


async def test_unauthenticated_and_forbidden_are_closed_with_documented_codes(engine) -> None:
    with serve(engine, TOKENS, QUICK) as server:
        nobody = await open_client(server.url, "wrong-token", {"mode": "live"})
        code, messages = await close_code_of(nobody)
        assert code == CLOSE_UNAUTHENTICATED
        assert messages[0]["type"] == "error" and messages[0]["field"] == "credentials"

        tokyo = await open_client(server.url, "tokyo", {"mode": "drill"})
        code, messages = await close_code_of(tokyo)
        assert code == CLOSE_FORBIDDEN
        assert messages[0]["field"] == "mode" and "訓練" in messages[0]["message"]["ja"]

        bad = await open_client(server.url, "sec", {"mode": "practice"})
        code, messages = await close_code_of(bad)
        assert code == CLOSE_BAD_SUBSCRIPTION and messages[0]["field"] == "mode"

        bad_block = await open_client(server.url, "sec", {"mode": "live", "block": "atlantis"})
        code, messages = await close_code_of(bad_block)
        assert code == CLOSE_BAD_SUBSCRIPTION and messages[0]["field"] == "block"

        bad_since = await open_client(server.url, "sec", {"mode": "live", "since": "yesterday"})
        code, messages = await close_code_of(bad_since)
        assert code == CLOSE_BAD_SUBSCRIPTION and messages[0]["field"] == "since"


async def test_each_subscriber_sees_exactly_what_it_may_in_replay_and_live(engine) -> None:
    history = [
        event(1, "live", ["osaka"], n=1),          # osaka's own need
        event(1, "live", [], n=2),                  # disaster-wide, public to signed-in users
        event(1, "live", ["tokyo"], n=3),           # tokyo's: not in the kinki coordinator's block
        event(2, "drill", ["osaka"], n=4),          # a drill: only drill subscribers
        event(None, None, [], kind="user.created", n=5),  # administrative: secretariat and observers
        event(2, "live", ["tokyo"], n=6),           # another disaster; the coordinator does not coordinate it
    ]
    write_events(engine, history)
    expected_before = {
        ("sec", "live"): [1, 2, 3, 5, 6], ("obs", "drill"): [4], ("osaka", "live"): [1, 2],
        ("osaka", "drill"): [4], ("tokyo", "live"): [2, 3, 6], ("coord", "live"): [1, 2],
    }
    with serve(engine, TOKENS, QUICK) as server:
        clients = {key: await open_client(server.url, key[0], {"mode": key[1], "since": 0})
                   for key in expected_before}
        for key, client in clients.items():
            events, _ = await read_until_live(client)
            assert [e["payload"]["n"] for e in events] == expected_before[key], key
            assert all((e["mode"] or "live") == key[1] for e in events)

        later = [event(1, "drill", [], n=7), event(1, "live", ["kyoto"], n=8), event(1, "live", [], n=9)]
        write_events(engine, later)
        expected_after = {
            ("sec", "live"): [8, 9], ("obs", "drill"): [7], ("osaka", "live"): [9], ("osaka", "drill"): [7],
            ("tokyo", "live"): [9], ("coord", "live"): [8, 9],
        }
        for key, client in clients.items():
            events = await read_events(client, len(expected_after[key]))
            assert [e["payload"]["n"] for e in events] == expected_after[key], key
        # Nothing else is on its way: a final public event is the very next thing everyone receives.
        write_events(engine, [event(1, "live", [], n=10), event(1, "drill", [], n=10)])
        for client in clients.values():
            assert [e["payload"]["n"] for e in await read_events(client, 1)] == [10]
            await client.close()


async def test_filters_by_disaster_block_association_and_type(engine) -> None:
    write_events(engine, [
        event(1, "live", ["osaka"], n=1), event(1, "live", ["tokyo"], n=2),
        event(2, "live", ["osaka"], n=3), event(1, "live", [], kind="disaster.declared", n=4),
        event(1, "live", ["kyoto"], kind="offer.created", n=5),
    ])
    cases = [
        ({"disaster_id": 1}, [1, 2, 4, 5]),
        ({"disaster_id": 1, "block": "kinki"}, [1, 4, 5]),
        ({"association": "tokyo"}, [2, 4]),
        ({"types": ["offer.created", "disaster.declared"]}, [4, 5]),
        ({"disaster_id": 1, "block": "kinki", "types": ["need.created"]}, [1]),
    ]
    with serve(engine, TOKENS, QUICK) as server:
        for subscription, expected in cases:
            client = await open_client(server.url, "sec", {"mode": "live", "since": 0, **subscription})
            events, _ = await read_until_live(client)
            assert [e["payload"]["n"] for e in events] == expected, subscription
            await client.close()


async def test_resume_from_since_has_no_gap_and_no_duplicate(engine) -> None:
    seqs = write_events(engine, [event(1, "live", [], n=i) for i in range(1, 6)])
    with serve(engine, TOKENS, QUICK) as server:
        client = await open_client(server.url, "osaka", {"mode": "live", "since": seqs[1]})
        events, marker = await read_until_live(client)
        assert [e["seq"] for e in events] == seqs[2:]
        assert marker == seqs[-1]
        await client.close()
        beyond = await open_client(server.url, "osaka", {"mode": "live", "since": seqs[-1] + 100})
        code, messages = await close_code_of(beyond)
        assert code == CLOSE_RESYNC_REQUIRED and messages[0]["type"] == "resync_required"


async def test_heartbeats_carry_a_resume_point_and_idle_clients_are_closed(engine) -> None:
    config = HubConfig(heartbeat_interval=0.05, idle_timeout=0.3, poll_interval=None)
    seqs = write_events(engine, [event(1, "live", ["tokyo"], n=1)])
    with serve(engine, TOKENS, config) as server:
        # An osaka client may not see tokyo's event, yet its heartbeat moves its resume point past it.
        client = await open_client(server.url, "osaka", {"mode": "live"})
        async with asyncio.timeout(10):
            while True:
                message = json.loads(await client.recv())
                if message["type"] == "heartbeat":
                    break
        assert message["seq"] == seqs[0]
        # Answering heartbeats keeps a client; one that stays silent is closed as idle.
        await client.send(json.dumps({"type": "pong"}))
        code, _ = await close_code_of(client)
        assert code == CLOSE_IDLE_TIMEOUT

"""Subscriptions with `batch`: events fanned out together reach the client in one "events" frame, in order,
only those it may see, with nothing lost or repeated; other clients still get one "event" frame each."""

from __future__ import annotations

import asyncio
import json

import pytest

from coordinator.live.visibility import Principal
from realtime.hub import HubConfig
from tests.realtime.harness import close_code_of, file_engine, open_client, read_until_live, serve, write_events

TOKENS = {"sec": Principal(user_id=1, role="secretariat"),
          "osaka": Principal(user_id=2, role="staff", association_id="osaka")}
CONFIG = HubConfig(heartbeat_interval=None, idle_timeout=None, poll_interval=None)


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    return file_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")


def _event(n: int) -> dict[str, object]:
    return {"type": "need.created", "entity": "need", "entity_id": str(n), "disaster_id": 1, "mode": "live",
            "associations": ["osaka"] if n % 2 == 0 else ["tokyo"]}


async def _frames(client, count: int) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """The next frames carrying events until `count` events have arrived (heartbeats skipped)."""
    frames, seen = [], 0
    async with asyncio.timeout(30):
        while seen < count:
            message = json.loads(await client.recv())
            if message["type"] in ("event", "events"):
                frames.append(message)
                seen += 1 if message["type"] == "event" else len(message["events"])
    return frames


async def test_events_committed_together_arrive_in_one_frame_for_batch_subscribers(engine) -> None:  # type: ignore[no-untyped-def]
    with serve(engine, TOKENS, CONFIG) as server:
        batch = await open_client(server.url, "sec", {"mode": "live", "batch": True})
        single = await open_client(server.url, "sec", {"mode": "live"})
        staff = await open_client(server.url, "osaka", {"mode": "live", "batch": True})
        for client in (batch, single, staff):
            assert await read_until_live(client) == ([], 0)
        seqs = await asyncio.to_thread(write_events, engine, [_event(n) for n in range(5)])

        [frame] = await _frames(batch, 5)
        assert frame["type"] == "events" and [e["seq"] for e in frame["events"]] == seqs
        assert [e["entity_id"] for e in frame["events"]] == ["0", "1", "2", "3", "4"]

        frames = await _frames(single, 5)
        assert [f["type"] for f in frames] == ["event"] * 5
        assert [f["event"]["seq"] for f in frames] == seqs

        [mine] = await _frames(staff, 3)  # only the events naming its association, still one frame
        assert [e["entity_id"] for e in mine["events"]] == ["0", "2", "4"]

        # A lone event is an ordinary "event" frame, for batch subscribers too.
        [later] = await asyncio.to_thread(write_events, engine, [_event(6)])
        [frame] = await _frames(batch, 1)
        assert frame == {"type": "event", "event": frame["event"]} and frame["event"]["seq"] == later
        for client in (batch, single, staff):
            await client.close()


async def test_batch_must_be_a_boolean(engine) -> None:  # type: ignore[no-untyped-def]
    with serve(engine, TOKENS, CONFIG) as server:
        client = await open_client(server.url, "sec", {"mode": "live", "batch": "yes"})
        code, messages = await close_code_of(client)
        assert code == 4400 and messages[-1]["field"] == "batch"

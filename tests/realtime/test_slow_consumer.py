"""A client that stops reading overflows only its own queue: it is told to resync; others get everything."""

from __future__ import annotations

import asyncio

import pytest

from coordinator.live.visibility import Principal
from realtime.hub import HubConfig
from realtime.protocol import CLOSE_RESYNC_REQUIRED
from tests.realtime.harness import close_code_of, file_engine, open_client, read_events, read_until_live, serve
from tests.realtime.harness import write_events as write

TOKENS = {"sec": Principal(user_id=1, role="secretariat", may_read_drill=True)}
EVENTS = 300
PAYLOAD = "x" * 100_000  # 300 x 100 kB = 30 MB: far beyond what loopback socket buffers can hold


@pytest.fixture
def engine(tmp_path):
    return file_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")


async def test_slow_consumer_is_dropped_with_resync_and_others_receive_all(engine) -> None:
    config = HubConfig(max_queue=8, heartbeat_interval=None, idle_timeout=None, poll_interval=None,
                       close_timeout=120)
    with serve(engine, TOKENS, config) as server:
        # max_queue=1: the client library stops reading the socket once one message waits unread.
        slow = await open_client(server.url, "sec", {"mode": "live"}, max_queue=1)
        fast = [await open_client(server.url, "sec", {"mode": "live"}) for _ in range(3)]
        for client in [slow, *fast]:
            assert await read_until_live(client) == ([], 0)

        readers = [asyncio.create_task(read_events(client, EVENTS, timeout=120)) for client in fast]

        def write_all() -> None:
            for i in range(EVENTS):
                write(engine, [{"type": "status", "entity": "need", "entity_id": str(i), "disaster_id": 1,
                                "mode": "live", "payload": {"n": i, "blob": PAYLOAD}}])

        await asyncio.to_thread(write_all)
        for reader in readers:
            assert [e["payload"]["n"] for e in await reader] == list(range(EVENTS))

        assert server.call(lambda: server.live.hub.subscriber_count) == 3
        # The slow client finally reads: an in-order prefix, then the resync close.
        code, messages = await close_code_of(slow, timeout=120)
        assert code == CLOSE_RESYNC_REQUIRED
        received = [m["event"]["payload"]["n"] for m in messages if m["type"] == "event"]
        assert received == list(range(len(received))) and len(received) < EVENTS
        for client in fast:
            await client.close()

"""10,000 events written concurrently while 20 clients connect, drop and resume with `since`:
every client ends with every event it may see, exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import random
import threading

import pytest
from sqlmodel import Session, col, select
from websockets.exceptions import ConnectionClosed

from coordinator.events.models import Event
from coordinator.live.visibility import Principal
from realtime.hub import HubConfig
from tests.realtime.harness import file_engine, open_client, serve, write_events

TOTAL_EVENTS = int(__import__("os").environ.get("RT_EVENTS", "10000"))
WRITERS = 4
CLIENTS = 20
TOKENS = {
    "sec": Principal(user_id=1, role="secretariat", may_read_drill=True),
    "obs": Principal(user_id=2, role="observer", may_read_drill=True),
    "osaka": Principal(user_id=3, role="staff", association_id="osaka", may_read_drill=True),
    "tokyo": Principal(user_id=4, role="staff", association_id="tokyo", may_read_drill=False),
}
SUBSCRIPTIONS = [
    ("sec", {"mode": "live"}), ("sec", {"mode": "drill"}), ("obs", {"mode": "live", "disaster_id": 1}),
    ("osaka", {"mode": "live"}), ("osaka", {"mode": "drill"}), ("tokyo", {"mode": "live"}),
    ("tokyo", {"mode": "live", "disaster_id": 2}),
]
ASSOCIATION_SETS = [[], ["osaka"], ["tokyo"], ["osaka", "kyoto"], ["kyoto"]]


def may_see(token: str, subscription: dict, row: Event) -> bool:
    """The reading rule restated independently of coordinator.live.visibility (docs/realtime.md, "Who sees what")."""
    if (row.mode or "live") != subscription["mode"]:
        return False
    if "disaster_id" in subscription and row.disaster_id != subscription["disaster_id"]:
        return False
    principal = TOKENS[token]
    if principal.role in ("secretariat", "observer"):
        return True
    if principal.association_id in row.associations:
        return True
    return not row.associations and row.disaster_id is not None


def writer(engine, seed: int, count: int, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        written = 0
        while written < count:
            batch = min(rng.randint(1, 8), count - written)
            specs = []
            for _ in range(batch):
                disaster = rng.choice([1, 2, 3, None])
                mode = None if disaster is None else ("drill" if disaster == 3 else "live")
                specs.append({"type": rng.choice(["need.created", "offer.created", "dispatch.accepted"]),
                              "entity": "need", "entity_id": str(written), "disaster_id": disaster, "mode": mode,
                              "associations": rng.choice(ASSOCIATION_SETS),
                              "payload": {"writer": seed, "i": written}})
                written += 1
            write_events(engine, specs)
    except BaseException as exc:  # surfaced by the test
        errors.append(exc)


async def client_run(url: str, index: int, done: asyncio.Event,
                     final_head: list[int]) -> tuple[list[int], int]:
    """Connect, read a random amount, drop (cleanly or abruptly), resume from the last position; repeat."""
    rng = random.Random(1000 + index)
    token, subscription = SUBSCRIPTIONS[index % len(SUBSCRIPTIONS)]
    received: list[int] = []
    position = 0
    sessions = 0
    while True:
        sessions += 1
        finishing = done.is_set()
        client = await open_client(url, token, {**subscription, "since": position})
        budget = rng.randint(1, 600) if not finishing else None
        try:
            async with asyncio.timeout(120):
                while budget is None or budget > 0:
                    message = json.loads(await client.recv())
                    if message["type"] == "event":
                        received.append(message["event"]["seq"])
                        position = message["event"]["seq"]
                    elif message["type"] in ("live", "heartbeat"):
                        position = max(position, message["seq"])
                    else:
                        raise AssertionError(message)
                    if budget is not None:
                        budget -= 1
                        if done.is_set():
                            break  # writers are done: reconnect once more and read to the end
                    elif position >= final_head[0]:
                        await client.close()
                        return received, sessions
        except ConnectionClosed:
            pass
        if rng.random() < 0.5:
            client.transport.abort()
        else:
            await client.close()
        await asyncio.sleep(rng.random() * 0.05)


@pytest.mark.slow
async def test_ten_thousand_concurrent_events_reach_every_resuming_client_exactly_once(tmp_path) -> None:
    engine = file_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")
    config = HubConfig(heartbeat_interval=0.2, idle_timeout=None, poll_interval=1.0, max_queue=20_000)
    with serve(engine, TOKENS, config) as server:
        done = asyncio.Event()
        final_head = [0]
        clients = [asyncio.create_task(client_run(server.url, i, done, final_head)) for i in range(CLIENTS)]
        errors: list[BaseException] = []
        threads = [threading.Thread(target=writer, args=(engine, seed, TOTAL_EVENTS // WRITERS, errors))
                   for seed in range(WRITERS)]
        for thread in threads:
            thread.start()
        await asyncio.to_thread(lambda: [thread.join() for thread in threads])
        assert not errors, errors
        with Session(engine) as session:
            rows = list(session.exec(select(Event).order_by(col(Event.seq))))
        assert len(rows) == TOTAL_EVENTS
        final_head[0] = rows[-1].seq
        done.set()
        results = await asyncio.wait_for(asyncio.gather(*clients), 240)

    # The clients really did drop and resume mid-stream, many times.
    assert sum(sessions for _, sessions in results) >= 3 * CLIENTS
    for index, (received, _) in enumerate(results):
        token, subscription = SUBSCRIPTIONS[index % len(SUBSCRIPTIONS)]
        expected = [row.seq for row in rows if may_see(token, subscription, row)]
        assert expected, "every subscription has something to see"
        assert received == expected, (index, token, subscription, len(received), len(expected))

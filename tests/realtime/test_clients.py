"""The JavaScript client (under Node's WebSocket) and `ouen watch` against a real server: resume after a
server-side drop without gaps or duplicates, and stop on final close codes."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from coordinator.cli.watch import watch_events
from coordinator.live.visibility import Principal
from realtime.hub import HubConfig
from realtime.protocol import CLOSE_SHUTTING_DOWN
from tests.conftest import ROOT, need
from tests.realtime.harness import file_engine, serve, write_events

TOKENS = {"sec": Principal(user_id=1, role="secretariat", may_read_drill=True)}
CONFIG = HubConfig(heartbeat_interval=0.2, idle_timeout=None, poll_interval=None)
DRIVER = """
const ouenLive = require(%(client)s);
const live = ouenLive({url: %(url)s, token: %(token)s, since: 0, subscription: {mode: "live"}, baseDelayMs: 50,
  onEvent: (e) => console.log(JSON.stringify({event: e.seq})),
  onStatus: (s, d) => console.log(JSON.stringify({status: s, detail: d}))});
"""


def spec(n: int) -> dict[str, object]:
    return {"type": "need.created", "entity": "need", "entity_id": str(n), "disaster_id": 1, "mode": "live",
            "payload": {"n": n}}


@pytest.fixture
def engine(tmp_path):
    return file_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        need("node", "Node.js is not installed")
    return path


async def start_driver(node: str, tmp_path, url: str, token: str) -> asyncio.subprocess.Process:
    script = tmp_path / "driver.js"
    script.write_text(DRIVER % {"client": json.dumps(str(ROOT / "realtime" / "client.js")),
                                "url": json.dumps(url), "token": json.dumps(token)})
    return await asyncio.create_subprocess_exec(node, "--experimental-websocket", str(script),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def next_line(process: asyncio.subprocess.Process, want: str) -> dict:
    async with asyncio.timeout(30):
        while True:
            line = await process.stdout.readline()  # type: ignore[union-attr]
            assert line, "the driver exited"
            message = json.loads(line)
            if want in message:
                return message


async def test_js_client_resumes_after_a_drop_without_gap_or_duplicate(engine, node, tmp_path) -> None:
    seqs = write_events(engine, [spec(1), spec(2), spec(3)])
    with serve(engine, TOKENS, CONFIG) as server:
        driver = await start_driver(node, tmp_path, server.url, "sec")
        try:
            seen = [(await next_line(driver, "event"))["event"] for _ in range(3)]
            assert seen == seqs
            assert (await next_line(driver, "status"))["status"] == "live"

            def drop_everyone() -> None:
                for subscriber in list(server.live.hub.subscribers()):
                    server.live.hub.close(subscriber, CLOSE_SHUTTING_DOWN)

            server.call(drop_everyone)
            assert (await next_line(driver, "status"))["detail"]["code"] == CLOSE_SHUTTING_DOWN
            seqs += write_events(engine, [spec(4), spec(5)])  # written while the client is away
            seen += [(await next_line(driver, "event"))["event"] for _ in range(2)]
            seqs += write_events(engine, [spec(6)])
            seen.append((await next_line(driver, "event"))["event"])
            assert seen == seqs
        finally:
            driver.kill()
            await driver.wait()


async def test_js_client_stops_on_unauthenticated(engine, node, tmp_path) -> None:
    with serve(engine, TOKENS, CONFIG) as server:
        driver = await start_driver(node, tmp_path, server.url, "nobody")
        try:
            status = await next_line(driver, "status")
            while status["status"] == "connecting" or status["status"] == "error":
                status = await next_line(driver, "status")
            assert status["status"] == "unauthenticated"
        finally:
            driver.kill()
            await driver.wait()


async def test_watch_prints_replayed_and_live_events(engine) -> None:
    write_events(engine, [spec(1)])
    lines: list[str] = []
    with serve(engine, TOKENS, CONFIG) as server:
        # watch_events sends the token as a Bearer header; the harness app reads ?token=.
        watching = asyncio.create_task(watch_events(f"{server.url}?token=sec", None,
                                                    {"mode": "live", "disaster_id": 1, "since": 0},
                                                    as_json=False, max_events=2, echo=lines.append))
        async with asyncio.timeout(30):
            while not lines:  # the replayed event is printed: the subscription is live
                await asyncio.sleep(0.05)
        write_events(engine, [spec(2)])
        assert await asyncio.wait_for(watching, 30) == 0
    assert [line.split()[0] for line in lines] == ["1", "2"]
    assert "need.created" in lines[0] and '{"n":1}' in lines[0]


async def test_watch_stops_with_code_2_when_unauthenticated(engine) -> None:
    lines: list[str] = []
    with serve(engine, TOKENS, CONFIG) as server:
        code = await asyncio.wait_for(watch_events(f"{server.url}?token=nobody", None, {"mode": "live"},
                                                   as_json=True, echo=lines.append), 30)
    assert code == 2
    assert "4401" in lines[-1] and "--token" in lines[-1]

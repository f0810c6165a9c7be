"""Fan-out benchmark: one event to 1,000 and 5,000 websocket clients, the hub against a plain send loop.

    python bench/fanout.py [--sizes 1000 5000] [--rounds 30] [--out bench/results/fanout.json]

The server (uvicorn + FastAPI, no permessage-deflate, no keepalive pings) runs in a child process with
two websocket endpoints: `/plain`, the reference (a set of sockets and `for ws in sockets: await
ws.send_text(frame)` in the publishing request), and `/hub`, the realtime hub with its slow-client
protection (bounded queues) and per-event authorisation (staff principals, default_can_see) on. The
clients run in this process as minimal asyncio protocols that only count frames, so client-side
parsing does not hide the server's cost. One round: take t0, POST the publish request, wait for every
client's frame; "publish -> last receipt" is the time of the last frame minus t0. Rounds alternate
between the two endpoints so both see the same machine conditions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# plain: the reference loop; hub: the realtime hub; hubq: the hub with eager sends off (writer task per send).
VARIANTS = ("plain", "hub", "hubq")


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard limit; returns the new soft limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# ---------------------------------------------------------------------------------------------- server
def build_server_app() -> Any:
    """The benchmark app: /plain (reference loop) and /hub (realtime hub), each with a publish endpoint."""
    from coordinator.live.visibility import Principal, default_authorize, default_can_see
    from realtime.asgi import serve_websocket
    from realtime.hub import Hub, HubConfig
    from realtime.protocol import Envelope, dumps
    from realtime.store import MemoryEventStore

    store = MemoryEventStore()
    quiet = {"heartbeat_interval": None, "idle_timeout": None, "poll_interval": None}
    hub = Hub(store, can_see=default_can_see, authorize=default_authorize, config=HubConfig(**quiet))
    # The same hub always sending through per-client writer tasks (the design without eager sends).
    queued_hub = Hub(store, can_see=default_can_see, authorize=default_authorize,
                     config=HubConfig(eager_send=False, **quiet))
    plain: set[WebSocket] = set()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        await hub.start()
        await queued_hub.start()
        yield
        await hub.stop()
        await queued_hub.stop()

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/plain")
    async def plain_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        plain.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            plain.discard(websocket)

    @app.post("/plain/publish")
    async def plain_publish() -> dict[str, int]:
        frame = dumps({"type": "event", "event": {"seq": 0, "type": "status", "payload": {"n": 1}}})
        for websocket in list(plain):
            await websocket.send_text(frame)
        return {"sent": len(plain)}

    def principal(websocket: WebSocket) -> Principal:
        index = int(websocket.query_params.get("i", "0"))
        # Staff of many associations: default_can_see runs its full staff path for every client.
        return Principal(user_id=index, role="staff", association_id=f"a{index % 63}")

    @app.websocket("/hub")
    async def hub_socket(websocket: WebSocket) -> None:
        await serve_websocket(hub, websocket, principal(websocket))

    @app.websocket("/hubq")
    async def queued_hub_socket(websocket: WebSocket) -> None:
        await serve_websocket(queued_hub, websocket, principal(websocket))

    async def publish(target: Hub) -> dict[str, int]:
        seq = await store.head() + 1
        envelope = Envelope(seq=seq, disaster_id=1, mode="live", type="status", entity="need", entity_id="1",
                            associations=(), payload={"n": seq}, created_at=datetime.now(UTC))
        store.append(envelope)
        target.notify([envelope])
        # The other hub skips ahead without sending: each hub only ever sees its own endpoint's rounds.
        other = queued_hub if target is hub else hub
        other.head = seq
        return {"seq": seq}

    @app.post("/hub/publish")
    async def hub_publish() -> dict[str, int]:
        return await publish(hub)

    @app.post("/hubq/publish")
    async def queued_hub_publish() -> dict[str, int]:
        return await publish(queued_hub)

    @app.get("/stats")
    async def stats() -> dict[str, int]:
        return {"plain": len(plain), "hub": hub.subscriber_count}

    return app


def serve(port: int) -> None:
    """Run the benchmark server (child process)."""
    import uvicorn

    raise_fd_limit()
    uvicorn.run(build_server_app(), host="127.0.0.1", port=port, log_level="warning", backlog=4096,
                ws_per_message_deflate=False, ws_ping_interval=None, ws_ping_timeout=None)


# ---------------------------------------------------------------------------------------------- clients
class FrameCounter(asyncio.Protocol):
    """A websocket client that does the handshake, then only splits frames and timestamps them."""

    def __init__(self, on_frame: Callable[[FrameCounter, bytes], None]) -> None:
        self.on_frame = on_frame
        self.buffer = bytearray()
        self.handshaken = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.handshaken.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:12])
            del self.buffer[: end + 4]
            if b" 101" not in status:
                self.handshaken.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.handshaken.set_result(None)
        buffer = self.buffer
        while len(buffer) >= 2:
            length = buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length = struct.unpack_from("!H", buffer, 2)[0]
                offset = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length = struct.unpack_from("!Q", buffer, 2)[0]
                offset = 10
            if len(buffer) < offset + length:
                return
            opcode = buffer[0] & 0x0F
            payload = bytes(buffer[offset: offset + length])
            del buffer[: offset + length]
            if opcode == 8:
                self.closed = True
            elif opcode == 1:
                self.on_frame(self, payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

    def send_text(self, text: str) -> None:
        """Send one masked text frame (clients must mask, RFC 6455 §5.3)."""
        data = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        header = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else \
            bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(data))
        assert self.transport is not None
        self.transport.write(header + mask + masked)


async def open_clients(port: int, path: str, count: int, on_frame: Callable[[FrameCounter, bytes], None],
                       subscribe: bool) -> list[FrameCounter]:
    """Connect `count` clients in batches; hub clients subscribe and wait for the live marker."""
    loop = asyncio.get_running_loop()
    clients: list[FrameCounter] = []

    async def one(index: int) -> FrameCounter:
        transport, protocol = await loop.create_connection(lambda: FrameCounter(on_frame), "127.0.0.1", port)
        request = (f"GET {path}?i={index} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n")
        transport.write(request.encode())
        await protocol.handshaken
        if subscribe:
            protocol.send_text(json.dumps({"type": "subscribe", "mode": "live", "disaster_id": 1}))
        return protocol

    for start in range(0, count, 250):
        clients += await asyncio.gather(*(one(i) for i in range(start, min(count, start + 250))))
    return clients


async def post(port: int, path: str) -> None:
    """A minimal HTTP POST (keeps client-side overhead tiny and equal for both endpoints)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    await reader.read()
    writer.close()


class Round:
    """Frames expected in one round and when the last one arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received = 0
        self.last = 0.0
        self.done = asyncio.get_running_loop().create_future()


async def measure(port: int, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Run every size: both endpoints connected, rounds alternating between them."""
    results = []
    for size in sizes:
        current: dict[str, Round | None] = dict.fromkeys(VARIANTS)

        def counter(name: str, current: dict[str, Round | None] = current) -> Callable[[FrameCounter, bytes], None]:
            def on_frame(_: FrameCounter, payload: bytes) -> None:
                active = current[name]
                if active is None or b'"type":"event"' not in payload:
                    return  # the hub's "live" marker after subscribing
                active.received += 1
                if active.received == active.expected:
                    active.last = time.perf_counter()
                    active.done.set_result(None)
            return on_frame

        started = time.perf_counter()
        clients = []
        for name in VARIANTS:
            clients += await open_clients(port, f"/{name}", size, counter(name), subscribe=name != "plain")
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(1.0)  # let every subscription go live before the first round
        latencies: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for index in range(rounds + 2):  # two warm-up rounds are discarded
            for name in VARIANTS:
                active = current[name] = Round(size)
                t0 = time.perf_counter()
                await post(port, f"/{name}/publish")
                await asyncio.wait_for(active.done, 60)
                if index >= 2:
                    latencies[name].append(active.last - t0)
                current[name] = None
                await asyncio.sleep(0.2)
        entry: dict[str, Any] = {"clients": size, "rounds": rounds, "connect_seconds": round(connect_seconds, 2)}
        for name, values in latencies.items():
            ordered = sorted(values)
            p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
            entry[name] = {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p99_ms": round(p99 * 1000, 2),
                           "min_ms": round(ordered[0] * 1000, 2),
                           "messages_per_second": round(size / statistics.median(ordered))}
        entry["hub_over_plain_p50"] = round(entry["hub"]["p50_ms"] / entry["plain"]["p50_ms"], 2)
        entry["hub_over_plain_p99"] = round(entry["hub"]["p99_ms"] / entry["plain"]["p99_ms"], 2)
        entry["queued_hub_over_plain_p50"] = round(entry["hubq"]["p50_ms"] / entry["plain"]["p50_ms"], 2)
        results.append(entry)
        print(json.dumps(entry), flush=True)
        for client in clients:
            if client.transport is not None:
                client.transport.abort()
        await asyncio.sleep(2.0)
    return results


def main() -> None:
    """Start the server process, measure, write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fanout.json")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    limit = raise_fd_limit()
    needed = len(VARIANTS) * max(args.sizes) + 100
    if limit < needed:
        raise SystemExit(f"open-files limit {limit} is below the {needed} this run needs")
    load_before = os.getloadavg()
    port = args.port or _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    try:
        _wait_for(port)
        try:
            import uvloop
            runner: Any = uvloop.run
        except ImportError:
            runner = asyncio.run
        results = runner(measure(port, args.sizes, args.rounds))
    finally:
        server.terminate()
        server.wait(10)
    report = {"benchmark": "fanout", "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(),
                          # 1/5/15-minute load averages: the figures mean little on a busy machine.
                          "load_before": [round(x, 2) for x in load_before],
                          "load_after": [round(x, 2) for x in os.getloadavg()]},
              "what": "publish -> last receipt of one event, per round; p50/p99 over rounds",
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int) -> None:
    import socket

    for _ in range(300):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise SystemExit("benchmark server did not start")


if __name__ == "__main__":
    main()

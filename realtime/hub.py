"""The hub: subscriptions, replay then live without gap or duplicate, bounded per-subscriber queues."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from realtime.auth import Authorize, CanSee
from realtime.eager import spawn_rest, start_eagerly
from realtime.protocol import (
    CLOSE_IDLE_TIMEOUT,
    CLOSE_REASONS,
    CLOSE_RESYNC_REQUIRED,
    CLOSE_SHUTTING_DOWN,
    Envelope,
    Subscription,
    encode_event,
    encode_events,
    encode_heartbeat,
    encode_live,
    encode_resync,
)
from realtime.store import EventStore, StoreFilter

log = logging.getLogger("ouen.realtime")


class Outlet(Protocol):
    """The hub's view of one websocket: send a text frame, close with a code."""

    async def send_text(self, frame: str) -> None:
        """Send one text frame."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close the socket with an application close code."""
        ...


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Tunables; tests shrink the intervals, production keeps the defaults."""

    max_queue: int = 512  # frames a subscriber may lag behind before it must resync (4409)
    replay_batch: int = 500
    heartbeat_interval: float | None = 15.0
    idle_timeout: float | None = 60.0  # no client message for this long -> close 4408
    poll_interval: float | None = 2.0  # safety net for events written by other processes without NOTIFY
    close_timeout: float = 10.0
    # Send inline while the socket takes frames without waiting (see realtime.eager); False always goes
    # through the per-subscriber writer task (kept to measure the trade-off in bench/fanout.py).
    eager_send: bool = True


class Subscriber:
    """One connected client: its filters, its position, and its bounded outgoing queue."""

    __slots__ = ("_done", "close_code", "closed", "hub", "last_seen", "outlet", "pending", "position",
                 "principal", "queue", "replay_task", "subscription", "writer")

    def __init__(self, hub: Hub, outlet: Outlet, principal: Any, subscription: Subscription) -> None:
        self.hub = hub
        self.outlet = outlet
        self.principal = principal
        self.subscription = subscription
        self.queue: deque[str] = deque()
        self.writer: asyncio.Task[None] | None = None
        # While replaying, live frames wait here as (seq, frame); None once live.
        self.pending: list[tuple[int, str]] | None = []
        self.position = 0  # the hub's head when it registered; replay starts here unless `since` is given
        self.closed = False
        self.close_code: int | None = None
        self.last_seen = time.monotonic()
        self.replay_task: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    def touch(self) -> None:
        """Record that the client sent something (resets the idle timeout)."""
        self.last_seen = time.monotonic()

    async def wait_closed(self) -> int | None:
        """Wait until the hub has let go of this subscriber; returns the close code it used, if any."""
        await self._done.wait()
        return self.close_code

    def offer(self, seq: int, frame: str) -> None:
        """Hand a live frame to this subscriber (buffered while it replays)."""
        if self.pending is not None:
            if len(self.pending) >= self.hub.config.max_queue:
                self.hub.close(self, CLOSE_RESYNC_REQUIRED)
            else:
                self.pending.append((seq, frame))
            return
        self.send(frame)

    def send(self, frame: str) -> None:
        """Send now if the socket takes it without waiting, else queue it (bounded)."""
        if self.writer is not None:
            if len(self.queue) >= self.hub.config.max_queue:
                self.hub.close(self, CLOSE_RESYNC_REQUIRED)
            else:
                self.queue.append(frame)
            return
        if not self.hub.config.eager_send:
            self.queue.append(frame)
            self.writer = spawn_rest(self._drain(None))
            return
        try:
            rest = start_eagerly(self.outlet.send_text(frame))
        except Exception:  # the peer went away: nothing to tell it
            self.hub.close(self, None)
            return
        if rest is not None:
            self.writer = spawn_rest(self._drain(rest))

    async def _drain(self, rest: object | None) -> None:
        try:
            if rest is not None:
                await rest  # type: ignore[misc]
            while self.queue:
                await self.outlet.send_text(self.queue.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.hub.close(self, None)
        finally:
            self.writer = None


class Hub:
    """Fans events out to subscribers: one encode per event, filters by index, authorisation per event."""

    def __init__(self, store: EventStore, *, can_see: CanSee, authorize: Authorize,
                 config: HubConfig | None = None) -> None:
        self.store = store
        self.can_see = can_see
        self.authorize = authorize
        self.config = config or HubConfig()
        self.head = 0  # last sequence number fanned out
        # Called with every event as it is fanned out (loop thread, must not block): e.g. the app's
        # credential guard watching for revocations.
        self.listeners: list[Callable[[Envelope], None]] = []
        self._index: dict[tuple[str, int | None], dict[Subscriber, None]] = {}
        self._hints: list[Envelope] = []
        self._catch_up = False
        self._wake: asyncio.Event | None = None
        self._ready = asyncio.Event()  # set once the head is known; nothing is fanned out before
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: set[asyncio.Task[None]] = set()
        self.delivered = 0  # frames handed to subscribers (for benchmarks and tests)

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Read the store's head and start the pump and the heartbeat.

        If the store cannot be read yet (database down, or not migrated), the app still starts: the pump
        keeps retrying and subscribers wait for it before their replay.
        """
        self._wake = asyncio.Event()
        try:
            self.head = await self.store.head()
            self._ready.set()
        except Exception as error:
            log.warning("realtime: cannot read the event log's head yet (%s); retrying", error)
        self._tasks.append(asyncio.create_task(self._pump(), name="realtime-pump"))
        if self.config.heartbeat_interval:
            self._tasks.append(asyncio.create_task(self._heartbeat(), name="realtime-heartbeat"))

    async def stop(self) -> None:
        """Close every subscriber (1001) and stop the background tasks."""
        for subscriber in list(self.subscribers()):
            self.close(subscriber, CLOSE_SHUTTING_DOWN)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def subscribers(self) -> Iterable[Subscriber]:
        """Every registered subscriber."""
        for bucket in self._index.values():
            yield from bucket

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are registered."""
        return sum(len(bucket) for bucket in self._index.values())

    # -- publishing --------------------------------------------------------------------------------------
    def notify(self, events: Iterable[Envelope] = (), *, catch_up: bool = False) -> None:
        """Tell the hub that events were committed (loop thread only; backplanes use call_soon_threadsafe).

        Envelopes are used as they are when they continue the sequence; anything else (a gap, a bare
        seq from NOTIFY, `catch_up=True`) makes the pump read the store from its head.
        """
        self._hints.extend(events)
        if catch_up:
            self._catch_up = True
        if self._wake is not None:
            self._wake.set()

    async def _pump(self) -> None:
        assert self._wake is not None
        if not self._ready.is_set():
            await self._find_head()
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
            except TimeoutError:
                self._catch_up = True  # periodic safety-net read
            self._wake.clear()
            try:
                await self._advance()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store hiccup must not kill the pump; the next wake-up retries
                log.exception("realtime pump failed to advance from seq %s", self.head)
                self._catch_up = True

    async def _find_head(self) -> None:
        delay = 0.2
        while True:
            try:
                self.head = await self.store.head()
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._ready.set()
            self._catch_up = True  # hints that arrived meanwhile may not continue the head: read instead
            if self._wake is not None:
                self._wake.set()
            return

    async def _advance(self) -> None:
        hints, self._hints = sorted(self._hints, key=lambda e: e.seq), []
        if not self._catch_up and hints:
            ready: list[Envelope] = []
            for envelope in hints:
                if envelope.seq <= (ready[-1].seq if ready else self.head):
                    continue
                if envelope.seq != (ready[-1].seq if ready else self.head) + 1:
                    self._catch_up = True  # a gap: another writer's event is not here yet
                    break
                ready.append(envelope)
            self.fan_out_many(ready)
        if self._catch_up:
            self._catch_up = False
            while True:
                batch = await self.store.fetch_since(self.head, None, self.config.replay_batch)
                self.fan_out_many([envelope for envelope in batch if envelope.seq > self.head])
                if len(batch) < self.config.replay_batch:
                    break

    def fan_out_many(self, envelopes: Sequence[Envelope]) -> None:
        """Deliver consecutive events, in order; a live subscriber that asked for `batch` gets the ones it
        may see in one frame (one frame per distinct set, encoded once); never awaits."""
        batched: dict[Subscriber, list[Envelope]] = {}
        for envelope in envelopes:
            self.fan_out(envelope, batched)
        frames: dict[tuple[int, ...], str] = {}
        for subscriber, seen in batched.items():
            if subscriber.closed:
                continue
            key = tuple(envelope.seq for envelope in seen)
            frame = frames.get(key)
            if frame is None:
                frame = frames[key] = encode_event(seen[0]) if len(seen) == 1 else encode_events(seen)
            subscriber.send(frame)

    def fan_out(self, envelope: Envelope, batched: dict[Subscriber, list[Envelope]] | None = None) -> None:
        """Deliver one event to every matching, authorised subscriber; never awaits. With `batched`, live
        subscribers that asked for `batch` are collected there instead (fan_out_many sends them)."""
        self.head = envelope.seq
        for listener in self.listeners:
            listener(envelope)
        mode = envelope.mode or "live"
        frame: str | None = None
        can_see = self.can_see
        for key in ((mode, envelope.disaster_id), (mode, None)):
            bucket = self._index.get(key)
            if not bucket:
                continue
            for subscriber in tuple(bucket):
                if subscriber.subscription.matches(envelope) and can_see(subscriber.principal, envelope):
                    self.delivered += 1
                    if batched is not None and subscriber.subscription.batch and subscriber.pending is None:
                        batched.setdefault(subscriber, []).append(envelope)
                        continue
                    if frame is None:
                        frame = encode_event(envelope)  # once per event, only if someone wants it
                    subscriber.offer(envelope.seq, frame)
            if envelope.disaster_id is None:
                break

    # -- subscribers ---------------------------------------------------------------------------------------
    def subscribe(self, outlet: Outlet, principal: Any, subscription: Subscription) -> Subscriber:
        """Register a subscriber (authorised already) and start its replay; live frames buffer meanwhile."""
        subscriber = Subscriber(self, outlet, principal, subscription)
        subscriber.position = self.head
        key = (subscription.mode, subscription.disaster_id)
        self._index.setdefault(key, {})[subscriber] = None
        subscriber.replay_task = asyncio.create_task(self._replay(subscriber), name="realtime-replay")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget a subscriber whose client went away."""
        self._forget(subscriber)
        if subscriber.writer is not None:
            subscriber.writer.cancel()
        if subscriber.replay_task is not None and not subscriber.replay_task.done():
            subscriber.replay_task.cancel()
        subscriber._done.set()

    def _forget(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        bucket = self._index.get((subscriber.subscription.mode, subscriber.subscription.disaster_id))
        if bucket is not None:
            bucket.pop(subscriber, None)

    def close(self, subscriber: Subscriber, code: int | None) -> None:
        """Drop a subscriber and close its socket with `code` (None: the peer is already gone)."""
        if subscriber.closed:
            return
        self._forget(subscriber)
        subscriber.close_code = code
        current = asyncio.current_task()
        if subscriber.writer is not None and subscriber.writer is not current:
            subscriber.writer.cancel()  # a slow consumer's stuck send must not hold anything up
        subscriber.queue.clear()
        subscriber.pending = None
        if subscriber.replay_task is not None and subscriber.replay_task is not current:
            subscriber.replay_task.cancel()
        if code is None:
            subscriber._done.set()
            return
        task = asyncio.get_running_loop().create_task(self._close_socket(subscriber, code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_socket(self, subscriber: Subscriber, code: int) -> None:
        try:
            # The close frame queues behind whatever the transport already holds; a client that has
            # stopped reading sees it when it reads again, or the wait below gives up.
            await asyncio.wait_for(subscriber.outlet.close(code, CLOSE_REASONS.get(code, "")),
                                   self.config.close_timeout)
        except Exception:
            log.debug("closing subscriber with %s did not complete", code, exc_info=True)
        finally:
            subscriber._done.set()

    async def _replay(self, subscriber: Subscriber) -> None:
        subscription = subscriber.subscription
        try:
            if not self._ready.is_set():
                await self._ready.wait()
                subscriber.position = self.head  # nothing was fanned out before the head was known
            last = subscriber.position
            if subscription.since is not None:
                store_head = await self.store.head()
                if subscription.since > store_head:
                    # The client knows events this log never had (a restored or different database).
                    await subscriber.outlet.send_text(encode_resync(
                        store_head, f"since={subscription.since} is beyond the log's head {store_head}",
                        f"since={subscription.since} は記録の最新位置 {store_head} より先です"))
                    self.close(subscriber, CLOSE_RESYNC_REQUIRED)
                    return
                last = subscription.since
                store_filter = StoreFilter(mode=subscription.mode, disaster_id=subscription.disaster_id,
                                           types=subscription.types)
                reached_live = False
                while not reached_live:
                    batch = await self.store.fetch_since(last, store_filter, self.config.replay_batch)
                    for envelope in batch:
                        if subscriber.closed:
                            return
                        if envelope.seq > self.head:
                            # Not fanned out yet: it will reach this subscriber live, so replay stops here.
                            reached_live = True
                            break
                        if subscription.matches(envelope) and self.can_see(subscriber.principal, envelope):
                            await subscriber.outlet.send_text(encode_event(envelope))
                        last = envelope.seq
                    if len(batch) < self.config.replay_batch:
                        break
            if subscriber.closed:
                return
            # Switch to live: frames buffered during replay, minus what replay already sent.
            pending, subscriber.pending = subscriber.pending or [], None
            for seq, frame in pending:
                if seq > last:
                    subscriber.send(frame)
            subscriber.position = max(last, self.head)
            subscriber.send(encode_live(subscriber.position))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.close(subscriber, None)

    # -- heartbeats and idle timeouts -------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        interval = self.config.heartbeat_interval
        assert interval
        while True:
            await asyncio.sleep(interval)
            self.beat()

    def beat(self) -> None:
        """Send one heartbeat to every live subscriber and close those idle past the timeout."""
        now = time.monotonic()
        idle = self.config.idle_timeout
        # Fan-out is synchronous and frames leave in order, so every live subscriber has been offered
        # everything up to the head: the head is a safe `since` for all of them.
        frame = encode_heartbeat(self.head)
        for subscriber in list(self.subscribers()):
            if subscriber.pending is not None:
                continue  # still replaying: it is busy receiving, not idle
            if idle is not None and now - subscriber.last_seen > idle:
                self.close(subscriber, CLOSE_IDLE_TIMEOUT)
                continue
            subscriber.send(frame)

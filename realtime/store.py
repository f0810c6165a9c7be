"""Where replay reads from: the EventStore protocol, and an in-memory store for one process."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from realtime.protocol import Envelope


@dataclass(frozen=True, slots=True)
class StoreFilter:
    """The part of a subscription a store can apply cheaply (others are applied by the hub)."""

    mode: str | None = None  # "live" also matches events with no mode
    disaster_id: int | None = None
    types: frozenset[str] | None = None


class EventStore(Protocol):
    """Read access to the append-only event log, by sequence number."""

    async def fetch_since(self, seq: int, filter: StoreFilter | None, limit: int) -> list[Envelope]:
        """Events with sequence greater than `seq` passing `filter`, oldest first, at most `limit`."""
        ...

    async def head(self) -> int:
        """The highest committed sequence number (0 when empty)."""
        ...


def store_filter_matches(filter: StoreFilter | None, envelope: Envelope) -> bool:
    """Whether an envelope passes a StoreFilter (the reference semantics for every store)."""
    if filter is None:
        return True
    if filter.mode is not None and (envelope.mode or "live") != filter.mode:
        return False
    if filter.disaster_id is not None and envelope.disaster_id != filter.disaster_id:
        return False
    return filter.types is None or envelope.type in filter.types


class MemoryEventStore:
    """An EventStore held in a list; for a single process without a database, tests and benchmarks."""

    def __init__(self, events: Iterable[Envelope] = ()) -> None:
        self._events: list[Envelope] = []
        self._seqs: list[int] = []
        for event in events:
            self.append(event)

    def append(self, envelope: Envelope) -> None:
        """Add an event; sequence numbers must increase."""
        if self._seqs and envelope.seq <= self._seqs[-1]:
            raise ValueError(f"seq must increase: {envelope.seq} after {self._seqs[-1]}")
        self._events.append(envelope)
        self._seqs.append(envelope.seq)

    async def fetch_since(self, seq: int, filter: StoreFilter | None, limit: int) -> list[Envelope]:
        """Events after `seq` passing `filter`, oldest first."""
        found: list[Envelope] = []
        for event in self._events[bisect.bisect_right(self._seqs, seq):]:
            if store_filter_matches(filter, event):
                found.append(event)
                if len(found) >= limit:
                    break
        return found

    async def head(self) -> int:
        """The last sequence number."""
        return self._seqs[-1] if self._seqs else 0

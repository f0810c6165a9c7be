"""After-commit publishing: in-process hints to the memory backplane, or NOTIFY inside the transaction."""

from __future__ import annotations

from collections import Counter
from weakref import WeakKeyDictionary

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import object_session
from sqlmodel import Session

from coordinator.events.models import Event
from coordinator.events.service import Publisher, add_publisher, remove_publisher
from coordinator.live.store import envelope_of
from realtime.backplane import CHANNEL, MemoryBackplane, notice_payload
from realtime.protocol import Envelope

_NOTIFIED = "live_notified_seqs"
# engine -> channel -> how many users asked for NOTIFY on it (a server's live channel, a command's writes).
_notify_channels: WeakKeyDictionary[Engine, Counter[str]] = WeakKeyDictionary()


def _loaded_envelope(row: Event) -> Envelope | None:
    # After commit a row may be expired (expire_on_commit=True); reading it would query the database
    # from inside the commit hook, so such rows are announced as "something committed" instead.
    state = inspect(row)
    if state.expired_attributes or row.seq is None:
        return None
    return envelope_of(row)


def _database_of(row: Event) -> object | None:
    session = object_session(row)
    if session is None:
        return None
    bind = session.get_bind()
    return getattr(bind, "engine", bind).url


def memory_publisher(backplane: MemoryBackplane, engine: Engine | None = None) -> Publisher:
    """A publisher that hands committed events to an in-process backplane (only `engine`'s, if given)."""
    database = engine.url if engine is not None else None

    def publish(rows: list[Event]) -> None:
        # Publishers are process-wide: another app (or test) in this process may commit to another
        # database, whose seqs must never be taken for ours.
        if database is not None and rows and _database_of(rows[0]) not in (database, None):
            return
        envelopes = [_loaded_envelope(row) for row in rows]
        if all(envelope is not None for envelope in envelopes):
            backplane.announce([e for e in envelopes if e is not None])
        else:
            backplane.announce(catch_up=True)

    return publish


def install_memory_publisher(backplane: MemoryBackplane, engine: Engine | None = None) -> Publisher:
    """Register the in-process publisher with the event service; returns it for uninstall_publisher."""
    publisher = memory_publisher(backplane, engine)
    add_publisher(publisher)
    return publisher


def uninstall_publisher(publisher: Publisher) -> None:
    """Unregister a publisher installed here."""
    remove_publisher(publisher)


def enable_pg_notify(engine: Engine, channel: str = CHANNEL) -> None:
    """Send `pg_notify(channel, 'seq disaster mode')` for each event written through `engine`, inside its
    transaction (PostgreSQL; nothing on SQLite). Reference-counted per engine and channel: each enable is
    undone by one disable, so two users of one engine (two apps, a server and a command) never switch
    each other's notices off.

    PostgreSQL delivers a transaction's notifications only when it commits and drops them on rollback,
    so listeners never hear of an event they cannot read yet, and a crash between commit and an
    after-commit hook cannot lose the notice.
    """
    _notify_channels.setdefault(engine, Counter())[channel] += 1


def disable_pg_notify(engine: Engine, channel: str = CHANNEL) -> None:
    """Undo one enable_pg_notify(engine, channel)."""
    channels = _notify_channels.get(engine)
    if channels is None or channels[channel] <= 0:
        return
    channels[channel] -= 1
    if channels[channel] == 0:
        del channels[channel]


def notify_channels(engine: Engine) -> list[str]:
    """The channels events written through `engine` are announced on."""
    return sorted(_notify_channels.get(engine, ()))


@sa_event.listens_for(Session, "after_flush")
def _notify_after_flush(session: Session, _flush_context: object) -> None:
    pending = session.info.get("pending_events")
    bind = session.get_bind()
    if not pending or bind.dialect.name != "postgresql":
        return
    channels = notify_channels(getattr(bind, "engine", bind))
    if not channels:
        return
    notified: set[int] = session.info.setdefault(_NOTIFIED, set())
    connection = session.connection()
    for row in pending:
        seq = row.seq
        if seq is None or seq in notified:
            continue
        notified.add(seq)
        for channel in channels:
            connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": channel, "payload": notice_payload(seq, row.disaster_id, row.mode)})


@sa_event.listens_for(Session, "after_commit")
def _forget_notified_after_commit(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)


@sa_event.listens_for(Session, "after_rollback")
def _forget_notified_after_rollback(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)

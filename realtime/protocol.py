"""The wire protocol: event envelopes encoded once, client subscriptions, server messages, close codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

try:  # orjson is several times faster and is what makes "encode once" cheap at national scale
    import orjson

    def dumps(value: Any) -> str:
        """JSON text of a value (orjson when installed)."""
        return orjson.dumps(value).decode()

    def loads(text: str | bytes) -> Any:
        """Parse JSON text."""
        return orjson.loads(text)

except ImportError:  # pragma: no cover - exercised only where orjson is absent
    import json

    def dumps(value: Any) -> str:
        """JSON text of a value (standard library fallback)."""
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def loads(text: str | bytes) -> Any:
        """Parse JSON text."""
        return json.loads(text)


MODES = ("live", "drill")

# Close codes (RFC 6455 §7.4.2 leaves 4000-4999 to applications). Browsers cannot read the HTTP status
# of a refused handshake, so every refusal is an accepted socket closed with one of these codes.
CLOSE_BAD_SUBSCRIPTION = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_IDLE_TIMEOUT = 4408
CLOSE_RESYNC_REQUIRED = 4409
CLOSE_SHUTTING_DOWN = 1001
CLOSE_TOO_BIG = 1009  # RFC 6455 §7.4.1: a message too big to process

CLOSE_REASONS = {
    CLOSE_BAD_SUBSCRIPTION: "bad subscription",
    CLOSE_UNAUTHENTICATED: "unauthenticated",
    CLOSE_FORBIDDEN: "forbidden",
    CLOSE_IDLE_TIMEOUT: "idle timeout",
    CLOSE_RESYNC_REQUIRED: "resync required",
    CLOSE_SHUTTING_DOWN: "server shutting down",
    CLOSE_TOO_BIG: "message too big",
}

# Identifiers are database integers: disaster ids fit 32 bits, sequence numbers 63 (larger ones are
# refused here with the field named, instead of failing in the database later).
MAX_DISASTER_ID = 2**31 - 1
MAX_SEQ = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event as the realtime layer sees it: no domain knowledge, just routing fields and payload."""

    seq: int
    disaster_id: int | None
    mode: str | None
    type: str
    entity: str
    entity_id: str
    associations: tuple[str, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    # Who acted and in which capacity (opaque to this layer); sent only when known.
    acted_as: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The envelope as a JSON-ready dict (created_at in ISO 8601, UTC)."""
        created = self.created_at
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=UTC)  # SQLite hands back naive UTC times
        return {"seq": self.seq, "disaster_id": self.disaster_id, "mode": self.mode, "type": self.type,
                "entity": self.entity, "entity_id": self.entity_id, "associations": list(self.associations),
                "payload": dict(self.payload), "created_at": created.isoformat() if created else None,
                **({"acted_as": dict(self.acted_as)} if self.acted_as else {})}


def encode_event(envelope: Envelope) -> str:
    """The one text frame sent to every subscriber of this event."""
    return dumps({"type": "event", "event": envelope.as_dict()})


def encode_events(envelopes: Sequence[Envelope]) -> str:
    """Several consecutive events in one text frame, oldest first (for subscriptions with `batch`)."""
    return dumps({"type": "events", "events": [envelope.as_dict() for envelope in envelopes]})


def encode_live(seq: int) -> str:
    """Marker sent once replay is over: every later frame is live. `seq` is a safe resume point."""
    return dumps({"type": "live", "seq": seq})


def encode_heartbeat(seq: int) -> str:
    """Heartbeat; `seq` is the position this subscriber is up to date with (a safe `since` to resume)."""
    return dumps({"type": "heartbeat", "seq": seq})


def encode_resync(seq: int, reason_en: str, reason_ja: str) -> str:
    """Tells the client its view can no longer be continued incrementally: reload, then resume from `seq`."""
    return dumps({"type": "resync_required", "seq": seq, "message": {"ja": reason_ja, "en": reason_en}})


def encode_error(code: int, field_name: str | None, message_en: str, message_ja: str) -> str:
    """An error frame sent just before closing with `code`."""
    return dumps({"type": "error", "code": code, "field": field_name,
                  "message": {"ja": message_ja, "en": message_en}})


class SubscriptionError(ValueError):
    """A subscribe message that cannot be accepted; names the field and why, in Japanese and English."""

    def __init__(self, field_name: str, message_en: str, message_ja: str,
                 code: int = CLOSE_BAD_SUBSCRIPTION) -> None:
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_en = message_en
        self.message_ja = message_ja
        self.code = code

    def frame(self) -> str:
        """The error frame for this problem."""
        return encode_error(self.code, self.field, self.message_en, self.message_ja)


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a client asked to see. `associations` is the association filter with blocks already expanded."""

    mode: str = "live"
    disaster_id: int | None = None
    associations: frozenset[str] | None = None
    types: frozenset[str] | None = None
    since: int | None = None
    # The client takes {"type": "events", "events": [...]} frames: events fanned out together reach it in
    # one frame (under a burst, one send per subscriber instead of one per event).
    batch: bool = False

    def matches(self, envelope: Envelope) -> bool:
        """Whether the event passes this subscription's filters (authorisation is checked separately)."""
        if (envelope.mode or "live") != self.mode:
            return False
        if self.disaster_id is not None and envelope.disaster_id != self.disaster_id:
            return False
        if self.types is not None and envelope.type not in self.types:
            return False
        if self.associations is not None and envelope.associations:
            # Disaster-wide events (no associations) concern every association and pass this filter.
            return not self.associations.isdisjoint(envelope.associations)
        return True


_FIELDS = {"type", "mode", "disaster_id", "block", "blocks", "association", "types", "since", "batch"}


def _int_field(message: Mapping[str, Any], name: str, *, minimum: int, maximum: int) -> int | None:
    value = message.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and minimum <= value <= maximum:
        value = int(value)  # 5.0 is 5; 1e23 is refused below as out of range
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SubscriptionError(name, f"must be an integer, got {type(value).__name__}",
                                f"整数で指定してください（{type(value).__name__} が指定されました）")
    if not (isinstance(value, int) and minimum <= value <= maximum):
        shown = str(value)[:30]
        raise SubscriptionError(name, f"must be an integer from {minimum} to {maximum}, got {shown}",
                                f"{minimum} から {maximum} までの整数で指定してください（{shown} が指定されました）")
    return value


def _str_list(message: Mapping[str, Any], name: str) -> list[str] | None:
    value = message.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SubscriptionError(name, "must be a non-empty string or a list of non-empty strings",
                                "空でない文字列、またはその配列で指定してください")
    return value


def parse_subscription(raw: str | bytes | Mapping[str, Any], *,
                       block_members: Mapping[str, frozenset[str]] | None = None) -> Subscription:
    """Validate a client's subscribe message; raises SubscriptionError naming the faulty field."""
    if not isinstance(raw, Mapping):
        try:
            raw = loads(raw)
        except ValueError as exc:
            raise SubscriptionError("body", f"is not valid JSON ({exc})", "JSON として解釈できません") from None
    if not isinstance(raw, Mapping):
        raise SubscriptionError("body", "must be a JSON object", "JSON オブジェクトで指定してください")
    if raw.get("type", "subscribe") != "subscribe":
        raise SubscriptionError("type", f"must be 'subscribe', got {raw.get('type')!r}",
                                f"'subscribe' を指定してください（{raw.get('type')!r} が指定されました）")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SubscriptionError(unknown[0], f"is not a subscription field (allowed: {', '.join(sorted(_FIELDS))})",
                                "購読の項目として認められていません")
    mode = raw.get("mode", "live")
    if mode not in MODES:
        raise SubscriptionError("mode", f"must be 'live' or 'drill', got {mode!r}",
                                f"'live' または 'drill' を指定してください（{mode!r} が指定されました）")
    associations: set[str] | None = None
    named_association = _str_list(raw, "association")
    if named_association is not None:
        associations = set(named_association)
    blocks = (_str_list(raw, "block") or []) + (_str_list(raw, "blocks") or [])
    if blocks:
        members: set[str] = set()
        for block in blocks:
            if block_members is None or block not in block_members:
                raise SubscriptionError("block", f"unknown block {block!r}", f"ブロック {block!r} は存在しません")
            members |= block_members[block]
        associations = members if associations is None else associations & members
    types = _str_list(raw, "types")
    batch = raw.get("batch", False)
    if not isinstance(batch, bool):
        raise SubscriptionError("batch", f"must be true or false, got {type(batch).__name__}",
                                f"true または false で指定してください（{type(batch).__name__} が指定されました）")
    return Subscription(mode=mode, disaster_id=_int_field(raw, "disaster_id", minimum=1, maximum=MAX_DISASTER_ID),
                        associations=frozenset(associations) if associations is not None else None,
                        types=frozenset(types) if types is not None else None,
                        since=_int_field(raw, "since", minimum=0, maximum=MAX_SEQ), batch=batch)

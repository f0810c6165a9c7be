"""Idempotency keys: look up a repeat, claim the key inside the change's own transaction, keep the answer.

Exactly once, even if the server dies between committing a change and storing its answer: the key row is
inserted by a before_commit hook into the same transaction as the change (recognised by its events: every
state change records one, BRIEF "a state change and its event commit in the same transaction"). A second
request with the same key then either finds the row (and its answer), or, when both race, fails on the
unique constraint and rolls its whole change back. The answer is stored after the commit; when it never
was (a crash in between), a repeat is sent to the record the change made (303 See Other).
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coordinator.db import writes
from coordinator.errors import Conflict, Invalid
from coordinator.events.models import utcnow
from coordinator.idempotency.models import IdempotencyRecord

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
# A row without its answer younger than this is a request still being served (its twin must wait).
IN_FLIGHT_SECONDS = 30
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")
# Where a lost answer's record can be read again (entity of the change's first event -> path).
ENTITY_PATHS = {
    "need": "/api/v1/needs/{id}",
    "offer": "/api/v1/offers/{id}",
    "dispatch": "/api/v1/dispatches/{id}",
    "disaster": "/api/v1/disasters/{id}",
}


@dataclass
class Claim:
    """The key of the request being served; `written` once its row joined a transaction."""

    user_id: int
    key: str
    fingerprint: str
    method: str
    path: str
    retention_days: int
    written: bool = False


current_claim: ContextVar[Claim | None] = ContextVar("ouen_idempotency_claim", default=None)


def parse_key(raw: str) -> str:
    """The key from the header (bare, or as a quoted structured-field string); Invalid when malformed."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not _PRINTABLE.match(key):
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces",
                      f"Idempotency-Key は空白を含まない{MAX_KEY_LENGTH}文字以内の英数記号で指定してください",
                      field="idempotency_key")
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 (hex) of what makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\n")
    digest.update(body)
    return digest.hexdigest()


def find(session: Session, *, user_id: int, key: str) -> IdempotencyRecord | None:
    """The stored record of this user's key, if any."""
    return session.exec(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                        IdempotencyRecord.key == key)).first()


def reused_for_another_request() -> Invalid:
    """The 422 for a key already used with a different method, path or body."""
    error = Invalid("This Idempotency-Key was already used for a different request; send a new key for a new "
                    "request", "この Idempotency-Key は別の内容の送信に使われています。新しい送信には新しいキーを"
                    "使ってください", field="idempotency_key")
    error.code = "idempotency_key_reused"
    return error


def in_flight() -> Conflict:
    """The 409 for a repeat that arrives while the first request is still being served."""
    error = Conflict("A request with this Idempotency-Key is still being processed; retry in a moment",
                     "同じ送信を処理中です。少し待ってからもう一度お試しください", field="idempotency_key")
    error.code = "idempotency_key_in_use"
    error.headers = {"Retry-After": "1"}
    return error


def answer_lost(record: IdempotencyRecord) -> Conflict:
    """The 409 for a repeat whose first request changed something but whose answer was never stored."""
    error = Conflict("This request was already carried out, but its answer was lost; reload to see the result",
                     "この送信はすでに処理されていますが、結果を返せませんでした。画面を再読み込みして確認してください",
                     field="idempotency_key", details={"entity": record.entity, "entity_id": record.entity_id})
    error.code = "idempotency_answer_lost"
    return error


def is_in_flight(record: IdempotencyRecord, now: datetime | None = None) -> bool:
    """True when the record has no answer yet and is too young to be a crash's leftover."""
    created = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=utcnow().tzinfo)
    return record.response_status is None and (now or utcnow()) - created < timedelta(seconds=IN_FLIGHT_SECONDS)


def lost_answer_location(record: IdempotencyRecord) -> str | None:
    """Where the record a lost answer was about can be read, when that entity has a path."""
    template = ENTITY_PATHS.get(record.entity or "")
    return template.format(id=record.entity_id) if template and record.entity_id else None


def _claim_row(claim: Claim, first_event: Any) -> IdempotencyRecord:
    return IdempotencyRecord(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint,
                             method=claim.method, path=claim.path[:500],
                             entity=getattr(first_event, "entity", None),
                             entity_id=getattr(first_event, "entity_id", None),
                             disaster_id=getattr(first_event, "disaster_id", None))


@event.listens_for(Session, "before_commit")
def _claim_in_the_same_transaction(session: Session) -> None:
    claim = current_claim.get()
    pending = session.info.get("pending_events")
    if claim is None or claim.written or not pending:
        return
    session.execute(delete(IdempotencyRecord).where(
        col(IdempotencyRecord.created_at) < utcnow() - timedelta(days=claim.retention_days)))
    session.add(_claim_row(claim, pending[0]))
    try:
        session.flush()
    except IntegrityError:
        raise in_flight() from None  # its twin committed the same key first: this change is rolled back
    claim.written = True


@writes
def store_answer(session: Session, claim: Claim, *, status: int, content_type: str | None,
                 location: str | None, body: bytes) -> None:
    """Keep the answer: on the row the change's transaction wrote, or (no event was recorded) a new row."""
    values = {"response_status": status, "response_type": content_type, "response_location": location,
              "response_body": body, "completed_at": utcnow()}
    if claim.written:
        session.execute(update(IdempotencyRecord)
                        .where(col(IdempotencyRecord.user_id) == claim.user_id,
                               col(IdempotencyRecord.key) == claim.key).values(**values))
        session.commit()
        return
    if not 200 <= status < 300:
        return  # nothing was changed: the same request may simply run again
    session.add(IdempotencyRecord(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint,
                                  method=claim.method, path=claim.path[:500], **values))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()

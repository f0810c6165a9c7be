"""Webhooks: ouen's signed JSON, and the shapes Slack and Microsoft Teams incoming webhooks take.

Every POST carries `X-Ouen-Signature: t=UNIX_SECONDS,v1=HEX` where HEX is HMAC-SHA256 over
"t.BODY" with the webhook's secret (the Stripe scheme: the timestamp inside the signature lets receivers
refuse replays), `X-Ouen-Idempotency-Key` (and `Idempotency-Key`) with the message's stable key, and
`X-Ouen-Event` with the event type. A webhook's secret is derived from OUEN_NOTIFY_SIGNING_KEY and a
random nonce kept with the contact, so no secret is stored in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx

from coordinator.events.models import Event
from coordinator.notifications.mail import DeliveryError
from coordinator.notifications.render import DRILL_LINE_EN, DRILL_LINE_JA, Message

SIGNATURE_HEADER = "X-Ouen-Signature"
KEY_HEADER = "X-Ouen-Idempotency-Key"
EVENT_HEADER = "X-Ouen-Event"
# Answers that will not change on a retry (the URL or the request is wrong); others are retried.
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def new_nonce() -> str:
    """A random nonce for a new webhook's secret."""
    return secrets.token_hex(16)


def signing_secret(signing_key: str, address_id: int, nonce: str) -> str:
    """The HMAC secret of one webhook: derived, never stored; shown once when the webhook is created."""
    digest = hmac.new(signing_key.encode(), f"ouen-webhook:{address_id}:{nonce}".encode(), hashlib.sha256)
    return "whsec_" + digest.hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = 300) -> bool:
    """A receiver's check: the signature matches and the timestamp is within `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def payload(message: Message, *, event: Event, key: str, url: str, fmt: str,
            association_id: str | None, audience: str) -> dict[str, Any]:
    """The JSON body for one format: json (ouen's), slack, or teams."""
    # A drill's text opens with the drill line, as its e-mail does: a receiver showing only the text still
    # shows the mark first.
    text_ja = "\n".join(line for line in ((DRILL_LINE_JA,) if message.drill else ()) + message.lines_ja if line)
    text_en = "\n".join(line for line in ((DRILL_LINE_EN,) if message.drill else ()) + message.lines_en if line)
    first = "【訓練】" if message.drill and not message.title_ja.startswith("【訓練】") else ""
    if fmt == "slack":
        return {"text": f"{first}{message.title_ja}\n{text_ja}\n<{url}|開く / Open>",
                "unfurl_links": False}
    if fmt == "teams":
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4",
                "body": [{"type": "TextBlock", "text": f"{first}{message.title_ja}", "weight": "Bolder",
                          "size": "Medium", "wrap": True},
                         {"type": "TextBlock", "text": text_ja, "wrap": True},
                         {"type": "TextBlock", "text": message.title_en, "isSubtle": True, "wrap": True}],
                "actions": [{"type": "Action.OpenUrl", "title": "開く / Open", "url": url}]}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    return {"id": key, "type": event.type, "drill": message.drill, "mode": event.mode,
            "seq": event.seq, "disaster_id": event.disaster_id, "entity": event.entity,
            "entity_id": event.entity_id, "created_at": event.created_at.isoformat(),
            "association_id": association_id, "audience": audience,
            "title_ja": message.title_ja, "title_en": message.title_en, "text_ja": text_ja, "text_en": text_en,
            "url": url}


def body_of(data: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def post(client: httpx.Client, url: str, data: dict[str, Any], *, key: str, event_type: str,
         secret: str | None) -> int:
    """POST one webhook; returns the status, or raises DeliveryError (permanent for a 4xx that will not change)."""
    body = body_of(data)
    headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: key, "Idempotency-Key": key,
               EVENT_HEADER: event_type, "User-Agent": "ouen-notify/1"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body, int(time.time()))
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise DeliveryError(f"webhook: {type(error).__name__}: {error}") from None
    if response.status_code < 300:
        return response.status_code
    permanent = 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE_4XX
    raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:200]!r}", permanent=permanent)

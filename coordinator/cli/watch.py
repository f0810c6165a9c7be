"""`ouen watch DISASTER_ID`: print a disaster's live events, resuming after any disconnect."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Annotated, Any

import typer

from coordinator.cli import app
from coordinator.settings import get_settings

FINAL_CODES = {
    4400: ("the subscription was refused", "購読が受け付けられませんでした"),
    4401: ("not signed in: pass --token", "認証されていません。--token を指定してください"),
    4403: ("not allowed to watch this", "閲覧する権限がありません"),
}


def format_event(event: dict[str, Any]) -> str:
    """One line per event: seq, time, type, entity, associations, payload."""
    associations = ",".join(event.get("associations") or []) or "*"
    payload = json.dumps(event.get("payload") or {}, ensure_ascii=False, separators=(",", ":"))
    return (f"{event['seq']:>8}  {event.get('created_at') or '-'}  {event['type']:<24} "
            f"{event['entity']}:{event['entity_id']}  [{associations}]  {payload}")


async def watch_events(url: str, token: str | None, subscription: dict[str, Any], *, as_json: bool,
                       max_events: int | None = None, echo: Any = print) -> int:
    """Stream events until interrupted (or `max_events`); reconnect with jittered back-off from the last seq."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    position: int | None = subscription.pop("since", None)
    shown = 0
    attempt = 0
    headers = {"Authorization": f"Bearer {token}"} if token else None
    while True:
        try:
            async with connect(url, additional_headers=headers, compression=None, proxy=None,
                               max_size=None) as socket:
                message: dict[str, Any] = {"type": "subscribe", **subscription}
                if position is not None:
                    message["since"] = position
                await socket.send(json.dumps(message))
                async for frame in socket:
                    data = json.loads(frame)
                    if data["type"] == "event":
                        event = data["event"]
                        if position is not None and event["seq"] <= position:
                            continue
                        position = event["seq"]
                        echo(json.dumps(event, ensure_ascii=False) if as_json else format_event(event))
                        shown += 1
                        if max_events is not None and shown >= max_events:
                            return 0
                    elif data["type"] in ("live", "heartbeat"):
                        attempt = 0
                        position = data["seq"] if position is None else max(position, data["seq"])
                        if data["type"] == "heartbeat":
                            await socket.send('{"type":"pong"}')
                    elif data["type"] == "resync_required":
                        position = data["seq"]
                        echo(f"# resync: {data['message']['en']} / {data['message']['ja']}")
                    elif data["type"] == "error":
                        echo(f"# error ({data['field']}): {data['message']['en']} / {data['message']['ja']}")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            if code in FINAL_CODES:
                en, ja = FINAL_CODES[code]
                echo(f"# closed {code}: {en} / {ja}")
                return 2
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            echo(f"# connection failed: {exc}")
        delay = random.uniform(0, min(30.0, 0.5 * 2 ** attempt))  # full jitter
        attempt += 1
        await asyncio.sleep(delay)


@app.command("watch")
def watch(disaster_id: Annotated[int, typer.Argument(help="Disaster to watch / 表示する災害の番号")],
          url: Annotated[str | None, typer.Option(help="Websocket URL (default: the configured server)")] = None,
          token: Annotated[str | None, typer.Option(help="API token / API トークン")] = None,
          since: Annotated[int | None, typer.Option(help="Replay events after this sequence number")] = None,
          mode: Annotated[str, typer.Option(help="live or drill / 本番または訓練")] = "live",
          as_json: Annotated[bool, typer.Option("--json", help="Print raw JSON lines")] = False) -> None:
    """Print live events of a disaster (ライブの出来事を表示)."""
    if mode not in ("live", "drill"):
        raise typer.BadParameter(f"--mode must be 'live' or 'drill', got {mode!r} / "
                                 "'live' か 'drill' を指定してください")
    settings = get_settings()
    target = url or f"ws://{settings.host}:{settings.port}/api/v1/live"
    subscription: dict[str, Any] = {"mode": mode, "disaster_id": disaster_id}
    if since is not None:
        subscription["since"] = since
    try:
        code = asyncio.run(watch_events(target, token, subscription, as_json=as_json))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)

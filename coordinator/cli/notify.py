"""`ouen notify status|retry|test|run`: the notification outbox from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
from typing import Annotated

import httpx
import typer
from sqlmodel import Session

from coordinator.cli import app
from coordinator.cli.db import fail, open_migrated_database
from coordinator.errors import Invalid
from coordinator.events.models import Event, utcnow
from coordinator.jobs.runner import check_reminders_once, jobs
from coordinator.notifications.mail import DeliveryError, SmtpConnection, build_email, smtp_configured
from coordinator.notifications.models import STATUSES
from coordinator.notifications.render import Message
from coordinator.notifications.sender import Sender, public_url, requeue_dead
from coordinator.notifications.service import outbox_status, valid_email, valid_webhook_url
from coordinator.notifications.webhook import payload, post
from coordinator.settings import get_settings

notify_app = typer.Typer(help="通知 / notifications: outbox status, retry dead letters, test a channel, run the "
                              "sender.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Counts by status and channel, the oldest waiting message, recent dead letters, the configuration."""
    settings = get_settings()
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            report = outbox_status(session, settings=settings)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"メール（SMTP）: {'設定済み' if report.smtp_configured else '未設定（OUEN_SMTP_HOST）'} / "
               f"e-mail: {'configured' if report.smtp_configured else 'not configured'}")
    typer.echo(f"Webhook 署名鍵: {'設定済み' if report.webhooks_configured else '未設定（OUEN_NOTIFY_SIGNING_KEY）'} / "
               f"webhook signing key: {'set' if report.webhooks_configured else 'not set'}")
    typer.echo(f"訓練の送信先 / drill recipients: {', '.join(report.drill_recipients) or '（なし / none）'}")
    for state in STATUSES:
        counts = report.counts.get(state, {})
        typer.echo(f"  {state:<10} e-mail {counts.get('email', 0):>6}   webhook {counts.get('webhook', 0):>6}")
    if report.oldest_pending_at is not None:
        typer.echo(f"最も古い送信待ち / oldest waiting: {report.oldest_pending_at.isoformat()}")
    for dead in report.dead:
        typer.echo(f"  dead #{dead.id} {dead.channel} {dead.address} {dead.event_type} "
                   f"(attempts {dead.attempts}): {dead.last_error}")


@notify_app.command("retry")
def retry(ids: Annotated[list[int] | None, typer.Argument(help="dead letter ids (none: every dead letter)")] = None,
          ) -> None:
    """Queue dead letters again (audited as notify.retried); the sender delivers them."""
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            count = requeue_dead(session, ids=ids or [])
            session.commit()
    finally:
        engine.dispose()
    typer.echo(f"{count}件を再送待ちにしました / {count} dead letter(s) queued again")
    if ids and count == 0:
        raise typer.Exit(1)


def _test_message() -> Message:
    url = public_url(get_settings())
    return Message(title_ja="ouen（応援）テスト通知", title_en="ouen test notification",
                   lines_ja=("通知の送信設定を確認するためのテストです。", f"送信元：{url}"),
                   lines_en=("A test of the notification settings.", f"Sent by: {url}"), link="/", drill=False)


@notify_app.command("test")
def test(address: Annotated[str, typer.Argument(help="an e-mail address, or a webhook URL")],
         format: Annotated[str, typer.Option(help="webhook shape: json, slack or teams")] = "json") -> None:
    """Send one test message now, through the configured SMTP relay or to the webhook; prints what happened."""
    settings = get_settings()
    message = _test_message()
    key = "test-" + secrets.token_hex(12)
    url = public_url(settings) + "/notifications"
    try:
        if address.startswith(("http://", "https://")):
            target = valid_webhook_url(address)
            if format not in ("json", "slack", "teams"):
                fail("--format は json・slack・teams のいずれかです", "--format is json, slack or teams")
            event = Event(seq=0, type="notify.test", entity="test", entity_id="0", created_at=utcnow())
            data = payload(message, event=event, key=key, url=url, fmt=format, association_id=None, audience="test")
            with httpx.Client(timeout=settings.notify_webhook_timeout_seconds) as client:
                status_code = post(client, target, data, key=key, event_type="notify.test", secret=None)
            typer.echo(f"送信しました（HTTP {status_code}、署名なし）/ sent (HTTP {status_code}, unsigned): {key}")
            return
        target = valid_email(address, "address")
        if not smtp_configured(settings):
            fail("OUEN_SMTP_HOST が設定されていません", "OUEN_SMTP_HOST is not set")
        with SmtpConnection(settings) as smtp:
            smtp.send(build_email(message, to=target, key=key, url=url, event_type="notify.test", settings=settings))
        typer.echo(f"送信しました / sent to {target} via {settings.smtp_host}:{settings.smtp_port} "
                   f"({settings.smtp_security}); Message-ID key {key}")
    except Invalid as error:
        fail(error.message_ja, error.message_en)
    except DeliveryError as error:
        fail(f"送信できませんでした：{error}", f"not sent: {error}")


@notify_app.command("run")
def run(once: Annotated[bool, typer.Option("--once", help="one reminder pass, deliver what is due, then exit")]
        = False) -> None:
    """Run the reminder watch and the sender apart from the app (set OUEN_JOBS_IN_APP=false on the app)."""
    settings = get_settings()
    engine = open_migrated_database()
    try:
        if once:
            reminders = check_reminders_once(engine)
            sender, sent, dead = Sender(engine, settings), 0, 0
            while True:
                report = sender.run_once()
                sent, dead = sent + report.sent, dead + report.dead
                if report.claimed == 0:
                    break
            typer.echo(json.dumps({"overdue": len(reminders.overdue), "stages": len(reminders.stages),
                                   "sent": sent, "dead": dead}))
            return
        asyncio.run(_run_until_stopped(engine, settings))
    finally:
        engine.dispose()


async def _run_until_stopped(engine, settings) -> None:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    typer.echo("通知の送信を開始しました（Ctrl-C で終了）/ sender running (Ctrl-C stops)")
    async with jobs(engine, settings):
        await stop.wait()

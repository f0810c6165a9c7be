"""`ouen notify status|retry|test|run` in-process, against real SMTP and HTTP receivers."""

from __future__ import annotations

import json
from email.header import decode_header, make_header

from sqlalchemy import update
from sqlmodel import Session
from typer.testing import CliRunner, Result

from coordinator.cli import app as cli_app
from coordinator.cli import commands  # noqa: F401  (registers the command groups)
from coordinator.notifications.models import OutboxMessage
from coordinator.settings import get_settings
from tests.notifications.conftest import NotifyWorld
from tests.notifications.receivers import SmtpReceiver, WebhookReceiver


def ouen(env: dict[str, str], *args: str) -> Result:
    """Run one `ouen` command with this environment, as the console script would."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args), env=env)
    finally:
        get_settings.cache_clear()


def test_status_test_retry_and_run_from_the_command_line(world: NotifyWorld, db_url: str, smtp: SmtpReceiver,
                                                        webhooks: WebhookReceiver) -> None:
    off = {"OUEN_DATABASE_URL": db_url}
    on = {**off, "OUEN_SMTP_HOST": "127.0.0.1", "OUEN_SMTP_PORT": str(smtp.port), "OUEN_SMTP_SECURITY": "none",
          "OUEN_SMTP_FROM": "ouen@example.jp", "OUEN_PUBLIC_URL": "https://ouen.example.jp"}
    status = ouen(off, "notify", "status")
    assert status.exit_code == 0, status.stderr
    assert "未設定（OUEN_SMTP_HOST）" in status.stdout and "pending" in status.stdout
    counts = json.loads(ouen(off, "notify", "status", "--json").stdout)["counts"]
    assert counts["pending"]["email"] == len(world.outbox()) > 0

    refused = ouen(off, "notify", "test", "someone@example.jp")
    assert refused.exit_code == 1 and "OUEN_SMTP_HOST" in refused.stderr
    sent = ouen(on, "notify", "test", "someone@example.jp")
    assert sent.exit_code == 0, sent.stderr
    test_mail = smtp.messages[-1].message
    assert smtp.messages[-1].rcpt_tos == ["someone@example.jp"]
    assert str(make_header(decode_header(test_mail["Subject"]))) == "ouen（応援）テスト通知"
    assert "https://ouen.example.jp" in test_mail.get_content()
    hooked = ouen(on, "notify", "test", webhooks.url("/slack"), "--format", "slack")
    assert hooked.exit_code == 0 and webhooks.deliveries[-1].json["text"].startswith("ouen（応援）テスト通知")
    bad = ouen(on, "notify", "test", "not an address")
    assert bad.exit_code == 1 and "address" in bad.stderr

    ran = ouen(on, "notify", "run", "--once")
    assert ran.exit_code == 0, ran.stderr
    assert json.loads(ran.stdout.strip().splitlines()[-1])["sent"] == len(world.outbox())
    assert {m.rcpt_tos[0] for m in smtp.messages} == {r.address for r in world.outbox()} | {"someone@example.jp"}

    first = world.outbox()[0]
    with Session(world.engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first.id).values(status="dead"))
        session.commit()
    assert "dead #" in ouen(off, "notify", "status").stdout
    retried = ouen(off, "notify", "retry", str(first.id))
    assert retried.exit_code == 0 and "1件" in retried.stdout
    assert world.outbox(id=first.id)[0].status == "pending"
    assert ouen(off, "notify", "retry", "999999").exit_code == 1

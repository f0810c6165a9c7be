"""Notifications for a national drill: at least 1,000 messages from a real server to a local SMTP server and a
local webhook receiver; reports how long until every one has arrived (target < 30 s), as JSON.

    python bench/notify.py [--database sqlite|postgres] [--staff 5] [--out bench/results/notify.json]

A real uvicorn server (create_app, the sender running in it) on a fresh database with 63 associations x
`--staff` staff who have e-mail addresses and one signed JSON webhook per association. The secretariat
declares a drill over 46 prefectures (all but Hokkaido, so coordination has somewhere to fail over to),
opens cross-block support and closes it: each event tells the affected associations, every coordinator
and the secretariat. Drill recipients are "*" (a national drill that practises real channels). The clock
runs from the first API call until the receivers hold every message of the outbox; duplicates (by
idempotency key) and bad signatures are counted. The receivers run in this process (aiosmtpd and an HTTP
server on 127.0.0.1), so they share the machine's cores with the server. PostgreSQL needs
OUEN_TEST_POSTGRES_URL (a schema of its own is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from coordinator.auth.models import User  # noqa: E402
from coordinator.db import make_engine  # noqa: E402
from coordinator.notifications.models import NotificationAddress  # noqa: E402
from coordinator.notifications.webhook import new_nonce, signing_secret  # noqa: E402
from tests.notifications.receivers import WebhookReceiver, start_smtp  # noqa: E402
from tests.support import ServerProcess, create_user_with_token, free_port, prepare_database  # noqa: E402

TARGET_SECONDS = 30.0
SIGNING_KEY = "bench-signing-key"
PREFECTURES = [f"{code:02d}" for code in range(2, 48)]  # all but Hokkaido (01)


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(f"[notify] {message}", file=sys.stderr, flush=True)


def people(url: str, staff: int, hooks: WebhookReceiver) -> str:
    """Staff with e-mail addresses, a signed webhook per association; returns the secretariat's token."""
    engine = make_engine(url)
    try:
        prepare_database(engine)
        with engine.connect() as connection:
            associations = [row[0] for row in connection.execute(text(
                "SELECT id FROM association WHERE id <> 'clair' ORDER BY id"))]
        secretariat = create_user_with_token(engine, "secretariat", "clair")[1]
        users = [create_user_with_token(engine, "staff", a)[0] for a in associations for _ in range(staff)]
        users.append(create_user_with_token(engine, "secretariat", "clair")[0])
        with Session(engine) as session:
            for user in users:
                session.execute(update(User).where(col(User.id) == user.id).values(
                    email=f"user{user.id}@{(user.association_id or 'x').replace('_', '-')}.example.jp"))
            contacts = [NotificationAddress(association_id=a, channel="webhook", address=hooks.url(f"/{a}"),
                                            format="json", secret_nonce=new_nonce()) for a in associations]
            session.add_all(contacts)
            session.commit()
            for contact in contacts:
                hooks.secrets[f"/{contact.association_id}"] = signing_secret(SIGNING_KEY, contact.id or 0,
                                                                             contact.secret_nonce or "")
    finally:
        engine.dispose()
    return secretariat


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def outbox_size(url: str) -> dict[str, int]:
    """Outbox rows by channel."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {row[0]: int(row[1]) for row in connection.execute(text(
                "SELECT channel, COUNT(*) FROM notification_outbox GROUP BY channel"))}
    finally:
        engine.dispose()


def run(url: str, scratch: Path, staff: int) -> dict[str, Any]:
    """Set up, start the server, drive the drill, wait for every message; the figures."""
    smtp = start_smtp(free_port())
    hooks = WebhookReceiver()
    server: ServerProcess | None = None
    try:
        secretariat = people(url, staff, hooks)
        env = {"OUEN_SMTP_HOST": "127.0.0.1", "OUEN_SMTP_PORT": str(smtp.port), "OUEN_SMTP_SECURITY": "none",
               "OUEN_SMTP_FROM": "ouen@example.jp", "OUEN_NOTIFY_SIGNING_KEY": SIGNING_KEY,
               "OUEN_NOTIFY_DRILL_RECIPIENTS": '["*"]', "OUEN_PUBLIC_URL": "https://ouen.example.jp",
               "OUEN_LOG_LEVEL": "warning", "OUEN_ACCESS_LOG": "false"}
        server = ServerProcess(url, scratch / "server.log", env=env)
        base = server.start()
        headers = {"Authorization": f"Bearer {secretariat}"}
        progress("server ready; declaring the national drill")
        assert server.process is not None
        server_cpu, own_cpu = cpu_seconds(server.process.pid), time.process_time()
        started = time.perf_counter()
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            declared = client.post("/api/v1/disasters", json={
                "name": "【訓練】全国広域災害（通知ベンチ）", "kind": "earthquake", "mode": "drill",
                "area": {"prefectures": PREFECTURES}})
            assert declared.status_code == 201, declared.text
            disaster_id = declared.json()["id"]
            for path in (f"/api/v1/disasters/{disaster_id}/cross-block", f"/api/v1/disasters/{disaster_id}/close"):
                response = client.post(path)
                assert response.status_code == 200, response.text
        committed = time.perf_counter() - started
        expected = outbox_size(url)
        total = sum(expected.values())
        progress(f"{total} messages committed in {committed:.1f} s; waiting for delivery")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with smtp.lock:
                emails = len({m.key for m in smtp.messages})
            with hooks.lock:
                webhooks = len(hooks.kept)
            if emails >= expected.get("email", 0) and webhooks >= expected.get("webhook", 0):
                break
            time.sleep(0.02)
        delivered = time.perf_counter() - started
        server_cpu, own_cpu = cpu_seconds(server.process.pid) - server_cpu, time.process_time() - own_cpu
        with smtp.lock:
            received_mails = len(smtp.messages)
            drill_marked = sum(1 for m in smtp.messages if str(m.message["Subject"]).startswith("【訓練】")
                               or m.message.get("X-Ouen-Drill") == "yes")
        with hooks.lock:
            received_hooks = len(hooks.deliveries)
            bad_signatures = sum(1 for d in hooks.deliveries if not d.signed_ok)
        return {
            "notifications": total, "by_channel": expected,
            "delivered": {"email": emails, "webhook": webhooks},
            "duplicates": {"email": received_mails - emails, "webhook": received_hooks - webhooks},
            "bad_signatures": bad_signatures, "emails_marked_drill": drill_marked,
            "seconds_to_commit_the_three_events": round(committed, 2),
            "seconds_until_all_delivered": round(delivered, 2),
            "messages_per_second": round((emails + webhooks) / delivered, 1) if delivered else None,
            # CPU seconds spent meanwhile: the server (API, outbox, sender) and this process (the receivers).
            # On a shared machine the wall time depends on the others' load; the CPU time does not.
            "server_cpu_seconds": round(server_cpu, 2), "receivers_cpu_seconds": round(own_cpu, 2),
            "target_seconds": TARGET_SECONDS,
            "met": emails + webhooks >= total >= 1000 and delivered < TARGET_SECONDS,
        }
    finally:
        if server is not None:
            server.stop()
        smtp.stop()
        hooks.stop()


def main() -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--staff", type=int, default=5, help="staff (with e-mail) per association")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "notify.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    schema = admin = None
    with tempfile.TemporaryDirectory() as scratch:
        if args.database == "sqlite":
            url = f"sqlite:///{scratch}/notify.sqlite3"
        else:
            base = os.environ["OUEN_TEST_POSTGRES_URL"]
            schema = f"notify_{uuid.uuid4().hex[:12]}"
            admin = make_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False)
        try:
            figures = run(url, Path(scratch), args.staff)
        finally:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            if (Path(scratch) / "server.log").exists():
                shutil.copyfile(Path(scratch) / "server.log", args.out.with_suffix(".server.log"))
            if schema is not None and admin is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    report = {"benchmark": "notify", "database": args.database, "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_before": load_before, "load_average_after": os.getloadavg()},
              "staff_per_association": args.staff, **figures}
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

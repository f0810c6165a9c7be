"""The one settings class; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_agreement_file() -> Path:
    from agreements.loader import DEFAULT_PATH  # imported late: settings must stay light to import

    return DEFAULT_PATH


def _default_data_dir() -> Path:
    from geo.datadir import DEFAULT_DATA_DIR  # data/ in a checkout, geo/data in an installed wheel

    return DEFAULT_DATA_DIR


class Settings(BaseSettings):
    """Runtime configuration, read from OUEN_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="OUEN_", extra="ignore")

    database_url: str = "sqlite:///./ouen.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    agreement_file: Path = Field(default_factory=_default_agreement_file)
    data_dir: Path = Field(default_factory=_default_data_dir)
    session_cookie_name: str = "ouen_session"
    session_days: int = 7
    cookie_secure: bool = False
    login_max_failures: int = 5  # failed sign-ins for one login from one address within the window
    login_window_seconds: int = 300
    login_address_max_failures: int = 30  # failed sign-ins from one address for any logins (spraying)
    # Proxies whose X-Forwarded-For is believed (addresses or networks, JSON list); empty: the peer is the
    # client. docs/operations.md "Behind a proxy".
    trusted_proxies: list[str] = []
    # Largest request body read at all (bytes); larger ones get 413 before authentication.
    max_body_bytes: int = 1_048_576
    log_level: str = "info"
    # Live channel (/api/v1/live, docs/realtime.md "Configuration"); 0 turns a period off.
    live_heartbeat_seconds: float = 15.0  # heartbeat period
    live_idle_seconds: float = 60.0  # close 4408 after this long without a client message
    live_poll_seconds: float = 2.0  # safety-net read of the event table (writes by other processes)
    live_max_queue: int = 512  # frames a subscriber may lag before it must resync (close 4409)
    # Largest client message: a subscribe message or a pong needs a few hundred bytes (close 1009 above).
    live_max_message_bytes: int = 4096
    # How often every socket's credentials are checked again (revoked, signed out, disabled, new role:
    # close 4401); revocations known through events are acted on at once. 0 turns the periodic check off.
    live_revalidate_seconds: float = 10.0
    # PostgreSQL NOTIFY channel of the live channel: the server listens on it, and every writer (the
    # server, `ouen plan --commit`, `ouen drill run`, `ouen demo`, ...) announces its events on it.
    live_channel: str = "ouen_events"
    # Operations (docs/operations.md "Configuration").
    log_format: str = "json"  # json: one JSON object per line with request_id | text: plain lines
    access_log: bool = True  # one "ouen.access" line per HTTP request (replaces uvicorn's access lines)
    metrics_enabled: bool = True  # Prometheus text at /metrics (keep it off the public proxy)
    # Extra origins (scheme://host[:port]) allowed to send cookie-authenticated unsafe requests, besides
    # the request's own Host; needed only when a proxy rewrites Host.
    trusted_origins: list[str] = []
    hsts_seconds: int = 31_536_000  # Strict-Transport-Security max-age, sent only when cookie_secure
    # How long an Idempotency-Key and its answer are kept (docs/api.md "Idempotency-Key").
    idempotency_days: int = 7
    # How long a progress report (departed, arrived, completed) may be taken back (issue 15 item 1).
    undo_minutes: int = 10
    # JMA bulletins (docs/bulletins.md "Settings"). Every input proposes; none declares.
    bulletin_max_bytes: int = 5 * 1024 * 1024  # a larger bulletin is refused (JMA's largest are < 1 MB)
    jma_feed_enabled: bool = False  # poll JMA's Atom feeds (off by default: a closed network has none)
    jma_feed_urls: list[str] = ["https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
                                "https://www.data.jma.go.jp/developer/xml/feed/extra.xml"]
    jma_feed_interval_seconds: float = 60.0  # between polls of a feed (JMA updates them about once a minute)
    jma_feed_max_backoff_seconds: float = 900.0  # longest wait after repeated failures
    bulletin_folder: Path | None = None  # watched directory: each *.xml dropped there is taken in once
    bulletin_folder_interval_seconds: float = 5.0
    # Where people open the pages: links in e-mails and webhooks (docs/notifications.md). Empty: http://host:port.
    public_url: str = ""
    # Background jobs (coordinator/jobs): the reminder watch and the notification sender run inside the app
    # unless this is false (then run them apart with `ouen notify run`).
    jobs_in_app: bool = True
    reminder_check_seconds: float = 60.0  # how often requests and approvals waiting too long are looked for
    # E-mail over SMTP (docs/notifications.md "E-mail"); no host: e-mails wait in the outbox, none is sent.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"  # anything else is refused at start
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "ouen@localhost"
    smtp_from_name: str = "応援 ouen"
    smtp_ca_file: Path | None = None  # extra CA certificate (PEM) for a relay with a private CA
    smtp_timeout_seconds: float = 30.0
    # Notification delivery (docs/notifications.md "Delivery").
    notify_signing_key: SecretStr = SecretStr("")  # derives each webhook's HMAC secret; required for webhooks
    notify_max_attempts: int = 8  # then the message is a dead letter, shown to the secretariat
    notify_backoff_seconds: float = 30.0  # first retry after this long, doubling each time
    notify_backoff_max_seconds: float = 3600.0
    notify_poll_seconds: float = 5.0  # the sender also looks every so often (writes by other processes)
    notify_lease_seconds: float = 120.0  # a claimed message another sender may take over after this long
    notify_batch: int = 200
    notify_workers: int = 4  # parallel SMTP connections (and webhook clients) per pass
    notify_webhook_timeout_seconds: float = 10.0
    # Drills send e-mail and webhooks only to these addresses ("a@example.jp", "@example.jp" for a domain,
    # a webhook URL, or "*" for everyone); empty: drills notify in the app only, never by e-mail or webhook.
    notify_drill_recipients: list[str] = []


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

"""The one settings class; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration, read from OUEN_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="OUEN_", extra="ignore")

    database_url: str = "sqlite:///./ouen.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    agreement_file: Path = PROJECT_ROOT / "agreements" / "default.toml"
    data_dir: Path = PROJECT_ROOT / "data"
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
    # JMA bulletins (docs/bulletins.md "Settings"). Every input proposes; none declares.
    bulletin_max_bytes: int = 5 * 1024 * 1024  # a larger bulletin is refused (JMA's largest are < 1 MB)
    jma_feed_enabled: bool = False  # poll JMA's Atom feeds (off by default: a closed network has none)
    jma_feed_urls: list[str] = ["https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
                                "https://www.data.jma.go.jp/developer/xml/feed/extra.xml"]
    jma_feed_interval_seconds: float = 60.0  # between polls of a feed (JMA updates them about once a minute)
    jma_feed_max_backoff_seconds: float = 900.0  # longest wait after repeated failures
    bulletin_folder: Path | None = None  # watched directory: each *.xml dropped there is taken in once
    bulletin_folder_interval_seconds: float = 5.0


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

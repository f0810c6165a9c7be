"""`ouen serve`: migrate, load the associations, create the first secretariat account once, run the server."""

from __future__ import annotations

import socket
import sys

import typer
import uvicorn
from sqlmodel import Session

from coordinator.app import create_app
from coordinator.auth.credentials import new_password
from coordinator.auth.service import ensure_first_secretariat
from coordinator.cli import app
from coordinator.cli.db import prepare_database
from coordinator.db import make_engine
from coordinator.settings import get_settings


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints one ready line to stdout once it is listening."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            typer.echo(f"ouen: ready at http://{self.config.host}:{self.config.port}/ "
                       "(Ctrl+C で停止 / to stop)")
            sys.stdout.flush()  # a supervisor or test reading a pipe sees the line at once


def _print_first_account(login: str, password: str, url: str) -> None:
    # Printed once to the terminal only: never logged, never written to a file.
    typer.echo("\n".join([
        "",
        "初回起動: 事務局アカウントを作成しました。/ First start: created a secretariat account.",
        f"  ログイン名 / login:    {login}",
        f"  パスワード / password: {password}",
        "  このパスワードは今回しか表示されません。控えてください。/ This password is shown only now: note it.",
        f"  サインイン / sign in: {url} （またはPOST /api/v1/auth/login）",
        "  他の利用者は `ouen users add` で追加できます。/ Add more users with `ouen users add`.",
        "",
    ]))
    sys.stdout.flush()


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, "--host", help="待ち受けアドレス / listen address (OUEN_HOST)"),
    port: int | None = typer.Option(None, "--port", help="ポート / port (OUEN_PORT)"),
) -> None:
    """Run the service: migrates the database, loads associations, and on first start creates a
    secretariat account whose password is printed once."""
    settings = get_settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    engine = make_engine(settings.database_url)
    prepare_database(engine)
    with Session(engine, expire_on_commit=False) as session:
        password = new_password()
        created = ensure_first_secretariat(session, password=password)
        if created is not None:
            _print_first_account(created.login, password, f"http://{host}:{port}/")
        del password
    # The app's live channel uses the PostgreSQL LISTEN/NOTIFY backplane when the engine is PostgreSQL
    # (several instances), the in-process one otherwise. Permessage-deflate roughly doubles the server's
    # CPU per live message for small JSON frames (docs/realtime.md), so it stays off.
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the app reads it
    # only from OUEN_TRUSTED_PROXIES (coordinator/auth/addresses.py). ws_max_size: no client message of the
    # live protocol needs more than OUEN_LIVE_MAX_MESSAGE_BYTES (uvicorn's default is 16 MiB).
    config = uvicorn.Config(create_app(settings, engine=engine), host=host, port=port,
                            log_level=settings.log_level, ws_per_message_deflate=False, proxy_headers=False,
                            ws_max_size=settings.live_max_message_bytes)
    try:
        _AnnouncingServer(config).run()
    finally:
        engine.dispose()

"""`ouen db upgrade`: migrate the configured database to the newest schema and load the associations."""

from __future__ import annotations

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.associations.service import load_associations
from coordinator.cli import app
from coordinator.db import make_engine
from coordinator.errors import DomainError
from coordinator.live.publisher import enable_pg_notify
from coordinator.migrations import current_revision, head_revision, upgrade_engine
from coordinator.settings import get_settings

db_app = typer.Typer(help="データベース / the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def prepare_database(engine: Engine) -> int:
    """Migrate to head and load the associations; returns how many association rows changed."""
    upgrade_engine(engine)
    with Session(engine) as session:
        return load_associations(session, data_dir=get_settings().data_dir)


def open_migrated_database() -> Engine:
    """An engine on the configured database, or exit 1 when it is not at the newest revision. Events it
    writes are announced to live servers (PostgreSQL NOTIFY on OUEN_LIVE_CHANNEL), so a plan committed or a
    drill run from the command line shows on every dashboard at once, not at the next poll."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    revision, head = current_revision(engine), head_revision()
    if revision != head:
        engine.dispose()
        fail(f"データベースが最新ではありません（{revision or '空'} → {head}）。`ouen db upgrade` を実行してください。",
             f"The database is not at the newest revision ({revision or 'empty'} -> {head}): run `ouen db upgrade`.")
    enable_pg_notify(engine, settings.live_channel)
    return engine


def fail(message_ja: str, message_en: str) -> None:
    """Print a bilingual error to stderr and exit with status 1."""
    typer.echo(f"エラー: {message_ja}\nerror: {message_en}", err=True)
    raise typer.Exit(1)


def fail_with(error: DomainError) -> None:
    """Print a domain error (with its field) to stderr and exit with status 1."""
    where = f" [{error.field}]" if error.field else ""
    fail(f"{error.message_ja}{where}", f"{error.message_en}{where}")


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database (OUEN_DATABASE_URL) to the newest revision and load the associations."""
    engine = make_engine(get_settings().database_url)
    try:
        changed = prepare_database(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"データベースはリビジョン {revision} です（協会 {changed} 件を更新）。\n"
               f"database at revision {revision} ({changed} association rows changed)")

"""`ouen backup FILE` and `ouen restore FILE`: the configured database to a file and back."""

from __future__ import annotations

from pathlib import Path

import typer

from coordinator.cli import app
from coordinator.cli.db import fail, fail_with
from coordinator.db import make_engine
from coordinator.errors import DomainError
from coordinator.ops.backup import FORMATS, backup, restore
from coordinator.settings import get_settings


@app.command("backup")
def backup_command(
    file: Path = typer.Argument(..., help="書き出すファイル / file to write"),
    format: str = typer.Option("auto", "--format", help=f"形式 / format: {', '.join(FORMATS)} "
                               "(auto: SQLite → sqlite, PostgreSQL → pg_dump if installed, else json)"),
) -> None:
    """Back up the database (OUEN_DATABASE_URL) while it keeps serving."""
    engine = make_engine(get_settings().database_url)
    try:
        chosen = backup(engine, file, format=format)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"バックアップしました（形式 {chosen}）: {file}\nbacked up ({chosen}) to {file}")


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="バックアップファイル / backup file"),
    yes: bool = typer.Option(False, "--yes", help="確認なしで置き換える / replace without asking"),
) -> None:
    """Replace the database's contents with a backup. Stop every `ouen serve` instance first."""
    if not yes and not typer.confirm("データベースの内容を置き換えます。/ This replaces the database's contents. "
                                     "Continue?"):
        fail("中止しました。", "aborted.")
    engine = make_engine(get_settings().database_url)
    try:
        kind = restore(engine, file)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"復元しました（形式 {kind}）: {file}\nrestored ({kind}) from {file}")

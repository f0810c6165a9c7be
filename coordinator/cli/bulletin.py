"""`ouen bulletin ingest|list`: hand JMA bulletins in from files and see what they proposed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from coordinator.bulletins import service
from coordinator.cli import app
from coordinator.cli.db import fail_with, open_migrated_database
from coordinator.errors import DomainError
from coordinator.settings import get_settings

bulletin_app = typer.Typer(help="気象庁の電文 / JMA bulletins: hand in files, list what they proposed.",
                           no_args_is_help=True)
app.add_typer(bulletin_app, name="bulletin")


@bulletin_app.command("ingest")
def ingest(files: Annotated[list[Path], typer.Argument(help="電文の XML ファイル / bulletin XML files", exists=True,
                                                       dir_okay=False, readable=True)],
           drill: Annotated[bool, typer.Option("--drill", help="【訓練】as a drill: proposes drill declarations")]
           = False) -> None:
    """Store each bulletin once and print what it did (proposed, updated, withdrawn, below the threshold ...)."""
    engine = open_migrated_database()
    mode = "drill" if drill else "live"
    try:
        for path in files:
            with Session(engine, expire_on_commit=False) as session:
                try:
                    result = service.ingest(session, data=path.read_bytes(), source="cli", actor=None, mode=mode,
                                            max_bytes=get_settings().bulletin_max_bytes)
                except DomainError as error:
                    typer.echo(f"{path}: ", err=True, nl=False)
                    fail_with(error)
            bulletin, proposal = result.bulletin, result.proposal
            mark = "【訓練】" if mode == "drill" else ""
            seen = " (登録済み / already stored)" if result.duplicate else ""
            typer.echo(f"{mark}{path.name}: 電文 / bulletin {bulletin.id} {bulletin.title} → {bulletin.outcome}{seen}")
            typer.echo(f"  {bulletin.reason_ja} / {bulletin.reason_en}")
            if proposal is not None:
                typer.echo(f"  提案 / proposal {proposal.id} [{proposal.status}] {proposal.name} "
                           f"(/bulletins#proposal-{proposal.id})")
    finally:
        engine.dispose()


@bulletin_app.command("list")
def list_bulletins(drill: Annotated[bool, typer.Option("--drill", help="drill bulletins instead of live")] = False,
                   limit: Annotated[int, typer.Option(help="how many, newest first")] = 20) -> None:
    """The newest stored bulletins: id, received (UTC), title, outcome, proposal."""
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            from sqlmodel import col, select

            from coordinator.bulletins.models import Bulletin

            rows = session.exec(select(Bulletin).where(Bulletin.mode == ("drill" if drill else "live"))
                                .order_by(col(Bulletin.id).desc()).limit(limit)).all()
    finally:
        engine.dispose()
    typer.echo("id\treceived_utc\ttitle\toutcome\tproposal")
    for row in rows:
        typer.echo(f"{row.id}\t{row.received_at:%Y-%m-%d %H:%M}\t{row.title}\t{row.outcome}\t{row.proposal_id or '-'}")

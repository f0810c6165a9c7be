"""`ouen drill run|list|report|purge`: scripted exercises in drill mode, their reports, their removal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from coordinator.cli import app
from coordinator.cli.db import fail_with, open_migrated_database
from coordinator.disasters.models import Disaster
from coordinator.drills.eventlog import drill_events
from coordinator.drills.html import render_html
from coordinator.drills.loader import ScenarioError, load_scenario
from coordinator.drills.purge import purge_drill
from coordinator.drills.report import compare, compute_report
from coordinator.drills.runner import DrillRefused, run_scenario
from coordinator.drills.scenario import MAX_SPEED
from coordinator.errors import DomainError
from coordinator.events.models import Event

drill_app = typer.Typer(help="訓練 / drills: run a scenario, list, report, purge.", no_args_is_help=True)
app.add_typer(drill_app, name="drill")


def parse_speed(value: str | None) -> float | str | None:
    """--speed: "instant", or a number from 1 (live pace) to 600; None keeps the scenario's own."""
    if value is None:
        return "scenario"
    if value == "instant":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = -1.0
    if not 1 <= speed <= MAX_SPEED:
        raise typer.BadParameter(f"--speed must be 'instant' or 1..{MAX_SPEED}, got {value!r} / "
                                 f"'instant' か 1〜{MAX_SPEED} を指定してください")
    return speed


@drill_app.command("run")
def run(scenario: Annotated[Path, typer.Argument(help="シナリオ YAML / scenario file")],
        speed: Annotated[str | None, typer.Option(help="instant, or 1 (live) .. 600 times live pace")] = None,
        ) -> None:
    """Run a scenario as a DRILL (never live) on the server's database (OUEN_DATABASE_URL); prints the drill id."""
    chosen = parse_speed(speed)
    try:
        parsed = load_scenario(scenario)
    except ScenarioError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    engine = open_migrated_database()
    try:
        result = run_scenario(engine, parsed, speed=chosen, source_text=scenario.read_text(encoding="utf-8"),
                              sleep=None)
    except DrillRefused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    except DomainError as error:
        fail_with(error)
        return
    finally:
        engine.dispose()
    typer.echo(f"【訓練】訓練を実行しました / DRILL finished: drill id {result.drill_id} "
               f"({result.scenario_id}, {result.injects} injects, {len(result.failures)} failed steps)")
    for failure in result.failures:
        typer.echo(f"  ! {failure}")


@drill_app.command("list")
def list_drills() -> None:
    """List drills: id, scenario, status, name."""
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            drills = session.exec(select(Disaster).where(Disaster.mode == "drill").order_by(col(Disaster.id))).all()
            started = {e.disaster_id: e.payload for e in session.exec(
                select(Event).where(Event.type == "drill.started"))}
    finally:
        engine.dispose()
    typer.echo("id\tscenario\tstatus\tname")
    for drill in drills:
        scenario = (started.get(drill.id) or {}).get("scenario_id", "-")
        typer.echo(f"{drill.id}\t{scenario}\t{drill.status}\t{drill.name}")


@drill_app.command("report")
def report(drill_id: Annotated[int, typer.Argument(help="訓練の番号 / drill id")],
           html: Annotated[Path | None, typer.Option(help="write the HTML report here")] = None,
           json_file: Annotated[Path | None, typer.Option("--json", help="write the JSON report here")] = None,
           compare_with: Annotated[int | None, typer.Option("--compare", help="an earlier drill id")] = None) -> None:
    """After-action report of a drill, from its event log (JSON on stdout unless --html/--json)."""
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            figures = compute_report(drill_events(session, drill_id))
            comparison = (compare(figures, compute_report(drill_events(session, compare_with)))
                          if compare_with is not None else None)
    except DomainError as error:
        fail_with(error)
        return
    finally:
        engine.dispose()
    document = {**figures, **({"comparison": comparison} if comparison else {})}
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if json_file is not None:
        json_file.write_text(text, encoding="utf-8")
    if html is not None:
        html.write_text(render_html(figures, comparison), encoding="utf-8")
    if json_file is None and html is None:
        typer.echo(text)


@drill_app.command("purge")
def purge(drill_id: Annotated[int, typer.Argument(help="訓練の番号 / drill id")]) -> None:
    """Remove every trace of one drill; refuses a live disaster."""
    engine = open_migrated_database()
    try:
        with Session(engine) as session:
            counts = purge_drill(session, drill_id=drill_id)
    except DomainError as error:
        fail_with(error)
        return
    finally:
        engine.dispose()
    typer.echo(f"【訓練】{drill_id} を削除しました / purged drill {drill_id}: "
               + ", ".join(f"{k} {v}" for k, v in counts.items()))

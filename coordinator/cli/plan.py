"""`ouen plan DISASTER_ID [--commit] [--json]`: print (and optionally commit) a disaster's support plan;
`--release DISPATCH_ID --reason TEXT` puts a declined (need, supporter) pair back into plans.

Works on the configured database (OUEN_DATABASE_URL). The command acts as the secretariat's system
actor: a secretariat user that exists only in this process (no row, id None), so it may plan every block
and both stages; its events carry `actor_user_id: null` and `"via": "cli"` in the plan.committed
payload. Whoever can run it already has the database URL, i.e. full access.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlmodel import Session

from coordinator.auth.models import ROLE_SECRETARIAT, User
from coordinator.cli import app
from coordinator.cli.db import fail_with, open_migrated_database
from coordinator.errors import DomainError
from coordinator.matching.models import PlanPublic
from coordinator.matching.service import commit_plan, make_plan, release_declined


def system_secretariat() -> User:
    """The in-process secretariat actor of the command line (never stored, id None)."""
    return User(id=None, login="system:ouen-plan", display_name="ouen plan (CLI)", role=ROLE_SECRETARIAT,
                association_id=None)


def format_plan(plan: PlanPublic) -> str:
    """The plan as a table: need, supporter, people, stage, km, first reason; then unmet and advice."""
    state = "確定 / committed" if plan.committed else "試算 / dry run"
    lines = [f"支援計画 / support plan: disaster {plan.disaster_id} ({plan.mode}), {state}, "
             f"cross-block {'open' if plan.cross_block_open else 'closed'}"]
    header = f"{'need':>6}  {'requester':<16} {'supporter':<16} {'people':>6} {'stage':>5} {'km':>8}  reason"
    lines += [header, "-" * len(header)]
    for p in plan.proposals:
        first = p.reasons[0].en if p.reasons else ""
        mark = "" if p.committable else f"  [not committable: {p.withheld_reason.en if p.withheld_reason else ''}]"
        dispatch = f"  -> dispatch {p.dispatch_id}" if p.dispatch_id is not None else ""
        lines.append(f"{p.need_id:>6}  {p.requester_id:<16} {p.supplier_id:<16} {p.headcount:>6} {p.stage:>5} "
                     f"{p.distance_km:>8.1f}  {first}{mark}{dispatch}")
    if not plan.proposals:
        lines.append("(提案なし / no proposals)")
    if plan.unmet:
        lines.append("")
        lines.append("未充足 / unmet:")
        for u in plan.unmet:
            lines.append(f"{u.need_id:>6}  {u.requester_id:<16} {u.headcount:>3} people  [{u.code}]  {u.reason.en}")
            lines.append(f"{'':>6}  {u.reason.ja}")
    t = plan.totals
    lines.append("")
    lines.append(f"covered {t.covered} / {t.people_to_plan} people to plan (asked {t.people_asked}, fixed "
                 f"{t.people_fixed}, pending {t.people_pending}); cross-block people {t.cross_block_people}; "
                 f"{t.total_km:.1f} person-km; {t.proposals} proposals")
    if plan.replaces:
        verb = "cancelled" if plan.committed else "a commit cancels"
        lines.append(f"replaces earlier proposed dispatches ({verb}): {', '.join(map(str, plan.replaces))}")
    if plan.recommendation is not None:
        lines.append(f"推奨 / recommendation: {plan.recommendation.ja}")
        lines.append(f"    {plan.recommendation.en}")
    for note in plan.notes:
        lines.append(f"注 / note: {note.ja} / {note.en}")
    if plan.declined_pairs:
        lines.append("")
        lines.append("辞退により除外 / left out after a decline (ouen plan ID --release DISPATCH_ID --reason …):")
        for pair in plan.declined_pairs:
            lines.append(f"  dispatch {pair.dispatch_id}: need {pair.need_id}  {pair.supplier.name_ja} "
                         f"({pair.supplier.id})  {pair.decline_reason or ''}")
    return "\n".join(lines)


@app.command("plan")
def plan_command(
    disaster_id: Annotated[int, typer.Argument(help="災害ID / the disaster's id")],
    commit: Annotated[bool, typer.Option("--commit", help="提案を派遣として作成 / create the proposals")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print JSON")] = False,
    release: Annotated[int | None, typer.Option(
        "--release", help="辞退した組み合わせを計画に戻す（派遣ID）/ put a declined pair back into plans (dispatch id)",
    )] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="--release の理由 / why (with --release)")] = None,
) -> None:
    """Print a disaster's support plan; --commit creates its proposals (as the secretariat); --release puts
    a declined (need, supporter) pair back into plans, with --reason (audited, "via": "cli")."""
    if release is not None and not (reason and reason.strip()):
        typer.echo("--reason is required with --release / --release には --reason が必要です", err=True)
        raise typer.Exit(2)
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            actor = system_secretariat()
            if release is not None:
                pair = release_declined(session, disaster_id=disaster_id, dispatch_id=release, actor=actor,
                                        reason=(reason or "").strip(), via="cli")
                typer.echo(f"計画に戻しました / back in plans: dispatch {pair.dispatch_id} "
                           f"({pair.supplier.name_ja}, need {pair.need_id})")
                return
            if commit:
                result = commit_plan(session, disaster_id=disaster_id, actor=actor, via="cli")
            else:
                result = make_plan(session, disaster_id=disaster_id, actor=actor)
    except DomainError as error:
        fail_with(error)
        return
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.public.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_plan(result.public))

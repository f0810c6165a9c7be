"""The bulletins' to-do provider (contract 1): open proposals wait for the secretariat."""

from __future__ import annotations

from sqlmodel import Session, col, select

from coordinator.auth.models import ROLE_SECRETARIAT
from coordinator.bulletins.models import Proposal
from coordinator.todo.models import TodoContext, TodoItem


def proposals_to_decide(session: Session, context: TodoContext) -> list[TodoItem]:
    """One item per mode with open proposals: confirm, edit or dismiss them on /bulletins."""
    if context.actor.role != ROLE_SECRETARIAT:
        return []
    items = []
    for mode in ("live", "drill"):
        rows = list(session.exec(select(Proposal).where(Proposal.status == "open", Proposal.mode == mode)
                                 .order_by(col(Proposal.created_at), col(Proposal.id))))
        if not rows:
            continue
        mark_ja, mark_en = ("【訓練】", "[Drill] ") if mode == "drill" else ("", "")
        names = [p.name for p in rows[:3]]
        more = len(rows) > 3
        items.append(TodoItem(
            kind="decide_bulletin_proposals", mode=mode, count=len(rows),
            title_ja=f"{mark_ja}気象庁の情報による宣言の提案が {len(rows)} 件あります",
            title_en=f"{mark_en}{len(rows)} declarations proposed from JMA bulletins",
            detail_ja="、".join(names) + ("ほか" if more else "")
            + "。内容を確かめて宣言するか、理由を書いて却下してください。",
            detail_en="; ".join(names) + (" and more" if more else "")
            + ". Declare each one, or dismiss it with a reason.",
            link="/bulletins" + ("?mode=drill" if mode == "drill" else ""),
            since=rows[0].created_at, urgent=mode == "live", entity="proposal",
            entity_ids=[p.id for p in rows if p.id is not None]))
    return items

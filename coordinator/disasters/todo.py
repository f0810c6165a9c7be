"""To-do provider of the disaster domain: cross-block (stage 2) decisions for the secretariat."""

from __future__ import annotations

from sqlmodel import Session, col, select

from coordinator.auth.models import as_utc
from coordinator.disasters import policy
from coordinator.todo.models import TodoContext, TodoItem


def cross_block_decisions(session: Session, context: TodoContext) -> list[TodoItem]:
    """Disasters whose open needs are not covered while cross-block support is still closed."""
    from coordinator.needs.models import Need
    from coordinator.readmodel.people import needs_people

    candidates = {d.id: d for d in context.disasters
                  if not d.cross_block_open and policy.secretariat_capacity(context.actor, d) is not None}
    if not candidates:
        return []
    needs = list(session.exec(select(Need).where(col(Need.disaster_id).in_(list(candidates)),
                                                 Need.status == "open")))
    if not needs:
        return []
    # People proposed or further along cover a need (the one roll-up: coordinator/readmodel/people.py).
    covered = {need_id: counts.proposed for need_id, counts in needs_people(session, needs).items()}
    items = []
    for disaster_id, disaster in candidates.items():
        short = [(n, n.headcount - int(covered.get(n.id, 0) or 0)) for n in needs if n.disaster_id == disaster_id]
        short = [(n, missing) for n, missing in short if missing > 0]
        if not short:
            continue
        people = sum(missing for _, missing in short)
        mark_ja, mark_en = context.drill_mark(disaster)
        oldest = min(as_utc(n.created_at) for n, _ in short)
        items.append(TodoItem(
            kind="cross_block_decision", disaster_id=disaster_id, disaster_name=disaster.name, mode=disaster.mode,
            count=1, title_ja=f"{mark_ja}ブロック間支援の開始を判断 — 未充足のニーズ {len(short)}件（{people}人）",
            title_en=f"{mark_en}Decide on cross-block support — {len(short)} need{'s' * (len(short) != 1)} "
                     f"short of {people} people",
            detail_ja="ブロック内の応援で足りない場合、事務局がブロック間（第2段階）支援を開始します",
            detail_en="When the block cannot cover its needs, the secretariat opens cross-block (stage 2) support",
            link=f"/disasters/{disaster_id}#cross-block", since=oldest, entity="need",
            entity_ids=[n.id for n, _ in short if n.id is not None]))
    return items

"""Declined (need, supporter) pairs (issue 12 item 11): a supporter that declined a need is not proposed for
that need again until it offers again (an active offer for the disaster created or amended after the
decline) or a person releases the pair (the secretariat; the requester block's acting coordinator for a
stage-1 pair; or the supporter's own staff), with a reason, audited as `plan.pair_released`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coordinator.auth.models import User, as_utc
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster
from coordinator.dispatches import policy as dispatch_policy
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import DispatchState
from coordinator.errors import Conflict, Forbidden, NotFound
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.matching import policy
from coordinator.matching.models import DeclinedPairRelease
from coordinator.offers.models import Offer


@dataclass
class DeclinedPair:
    """The latest decline of one (need, supporter) pair, and what (if anything) put it back into plans."""

    dispatch: Dispatch
    release: DeclinedPairRelease | None
    offered_again_at: datetime | None

    @property
    def excluded(self) -> bool:
        """True while plans leave the pair out."""
        return self.release is None and self.offered_again_at is None

    @property
    def lifted_by(self) -> str | None:
        """"release" (a person), "offer" (the supporter offered again) or None (still left out)."""
        if self.release is not None:
            return "release"
        return "offer" if self.offered_again_at is not None else None


def _declined_at(dispatch: Dispatch) -> datetime:
    return as_utc(dispatch.answered_at or dispatch.proposed_at)


def declined_pairs(session: Session, disaster: Disaster, dispatches: Iterable[Dispatch],
                   offers: Iterable[Offer]) -> list[DeclinedPair]:
    """Each declined pair of the disaster (its latest decline), from rows already read; one query for the
    releases. Ordered by dispatch id."""
    latest: dict[tuple[int, str], Dispatch] = {}
    for dispatch in dispatches:
        if dispatch.state != DispatchState.declined.value:
            continue
        key = (dispatch.need_id, dispatch.supplier_id)
        seen = latest.get(key)
        if seen is None or (_declined_at(dispatch), dispatch.id or 0) > (_declined_at(seen), seen.id or 0):
            latest[key] = dispatch
    if not latest:
        return []
    offered: dict[str, datetime] = {}
    for offer in offers:
        if offer.status == "active":
            moment = max(as_utc(offer.created_at), as_utc(offer.updated_at))
            if offer.association_id not in offered or moment > offered[offer.association_id]:
                offered[offer.association_id] = moment
    releases = {r.dispatch_id: r for r in session.exec(
        select(DeclinedPairRelease).where(DeclinedPairRelease.disaster_id == disaster.id))}
    pairs = []
    for dispatch in sorted(latest.values(), key=lambda d: d.id or 0):
        again = offered.get(dispatch.supplier_id)
        pairs.append(DeclinedPair(dispatch, releases.get(dispatch.id or 0),
                                  again if again is not None and again > _declined_at(dispatch) else None))
    return pairs


@writes
def release_pair(session: Session, *, disaster_id: int, dispatch_id: int, actor: User, reason: str,
                 agreement: Any, via: str = "api") -> DeclinedPair:
    """Put a declined pair back into plans: refused unless the dispatch is the pair's latest decline and
    the pair is still left out; recorded with who, in which capacity and why, with its event."""
    try:
        disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
        dispatch = session.get(Dispatch, dispatch_id)
        if dispatch is None or dispatch.disaster_id != disaster.id:
            raise NotFound(f"dispatch {dispatch_id} is not a dispatch of disaster {disaster_id}",
                           f"派遣 {dispatch_id} はこの災害の派遣ではありません", field="dispatch_id")
        if dispatch.state != DispatchState.declined.value:
            raise Conflict(f"dispatch {dispatch_id} was not declined ({dispatch.state})",
                           f"派遣 {dispatch_id} は辞退されていません（{dispatch.state}）", field="dispatch_id")
        capacity = policy.release_capacity(actor, disaster, agreement=agreement, dispatch=dispatch)
        if capacity is None:
            raise Forbidden("Only the secretariat, the requester block's acting coordinator (stage 1) or the "
                            "supporter's own staff may put a declined pair back into plans",
                            "辞退された組み合わせを計画に戻せるのは、事務局、要請元ブロックの幹事団体（第1段階）、"
                            "または辞退した協会の職員のみです")
        pair = _pair_of(session, disaster, dispatch)
        if pair.dispatch.id != dispatch.id:
            raise Conflict(f"the supporter declined this need again later (dispatch {pair.dispatch.id}): "
                           "release that one",
                           f"この協会はその後も辞退しています（派遣 {pair.dispatch.id}）。そちらを戻してください",
                           field="dispatch_id", details={"latest_dispatch_id": pair.dispatch.id})
        if not pair.excluded:
            raise Conflict("this pair is already back in plans", "この組み合わせはすでに計画の対象に戻っています",
                           field="dispatch_id", details={"lifted_by": pair.lifted_by})
        release = DeclinedPairRelease(
            disaster_id=disaster.id or 0, mode=disaster.mode, dispatch_id=dispatch.id or 0,
            need_id=dispatch.need_id, supplier_id=dispatch.supplier_id, reason=reason, capacity=capacity,
            released_by_user_id=actor.id, released_by_association_id=actor.association_id, released_at=utcnow())
        session.add(release)
        session.flush()
        record_event(session, type="plan.pair_released", entity="declined_pair", entity_id=dispatch.id or 0,
                     disaster_id=disaster.id, mode=disaster.mode, actor_user_id=actor.id,
                     actor_association_id=actor.association_id,
                     associations=dispatch_policy.event_readers(disaster, dispatch),
                     payload={"dispatch_id": dispatch.id, "need_id": dispatch.need_id,
                              "supplier_id": dispatch.supplier_id, "requester_id": dispatch.requester_id,
                              "reason": reason, "capacity": capacity, "via": via})
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("this pair is already back in plans", "この組み合わせはすでに計画の対象に戻っています",
                       field="dispatch_id") from None
    except BaseException:
        session.rollback()
        raise
    session.refresh(release)
    session.refresh(dispatch)
    return DeclinedPair(dispatch, release, None)


def _pair_of(session: Session, disaster: Disaster, dispatch: Dispatch) -> DeclinedPair:
    """The pair of this declined dispatch, as plans see it now."""
    same = list(session.exec(select(Dispatch).where(
        Dispatch.disaster_id == disaster.id, Dispatch.need_id == dispatch.need_id,
        Dispatch.supplier_id == dispatch.supplier_id, Dispatch.mode == disaster.mode)))
    offers = list(session.exec(select(Offer).where(
        Offer.disaster_id == disaster.id, Offer.mode == disaster.mode,
        Offer.association_id == dispatch.supplier_id).order_by(col(Offer.id))))
    (pair,) = declined_pairs(session, disaster, same, offers)
    return pair

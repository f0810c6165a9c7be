"""Run a scenario as a drill: declare it (drill mode only), play the injects on a virtual clock, and act
for the simulated associations (answering requests, coordinating) — never for associations people play.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agreements import AgreementError, Capability, eligible_supporters
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.bulletins.service import ingest as ingest_bulletin
from coordinator.db import unit_of_work
from coordinator.disasters.models import AreaInput, Disaster, DisasterCreate
from coordinator.disasters.service import declare_disaster, open_cross_block
from coordinator.dispatches import policy as dispatch_policy
from coordinator.dispatches.models import Dispatch, DispatchCreate
from coordinator.dispatches.service import propose_dispatch, transition_dispatch
from coordinator.dispatches.transitions import OPEN_STATES, WITHDRAWN_STATES
from coordinator.drills.clock import VirtualClock
from coordinator.drills.failover import mark_unavailable
from coordinator.drills.marks import DRILL_MARK, marked, record_drill_event
from coordinator.drills.scenario import (
    AmendNeedInject,
    BulletinInject,
    CoordinatorUnreachableInject,
    CrossBlockInject,
    DeclineInject,
    NeedInject,
    OfferInject,
    Scenario,
    SilentInject,
)
from coordinator.errors import Conflict, DomainError
from coordinator.needs.models import Need, NeedCreate, NeedUpdate
from coordinator.needs.service import amend_need, create_need
from coordinator.offers.models import Offer, OfferCreate
from coordinator.offers.service import create_offer
from coordinator.readmodel.people import needs_people
from coordinator.reference import block_of, current_agreement

DRILL_MODE = "drill"
_DEPART_AFTER_MINUTES = 60  # assumption: a team leaves about an hour after accepting
_COST_PER_PERSON_YEN = 30000  # assumption: a drill's placeholder expected cost per person


class DrillRefused(Exception):
    """The runner refuses something no drill may do (e.g. declare a live disaster)."""


def ensure_drill(data: DisasterCreate) -> DisasterCreate:
    """The one gate every drill declaration passes: mode drill and the 【訓練】 mark, or refuse."""
    if data.mode != DRILL_MODE:
        raise DrillRefused("a drill can only declare a disaster in drill mode / 訓練は訓練モードの災害のみ宣言できます")
    if not data.name.startswith(DRILL_MARK):
        raise DrillRefused(f"a drill's name starts with {DRILL_MARK} / 訓練の名前は{DRILL_MARK}で始まります")
    return data


@dataclass(order=True)
class _Step:
    minute: float
    order: int
    kind: str = field(compare=False)
    data: Any = field(compare=False)


@dataclass
class DrillRun:
    """What a finished run leaves behind: its drill id (= the drill disaster's id) and counts."""

    drill_id: int
    scenario_id: str
    minutes: float
    injects: int = 0
    failures: list[str] = field(default_factory=list)


class DrillRunner:
    """Plays one scenario against the database through the domain services, in drill mode only."""

    def __init__(self, engine: Engine, scenario: Scenario, *, speed: float | str | None = "scenario",
                 today: date | None = None, sleep: Callable[[float], None] | None = None,
                 source_text: str = "") -> None:
        self.engine = engine
        self.scenario = scenario
        chosen = scenario.clock.speed if speed == "scenario" else speed
        chosen = None if chosen == "instant" else chosen
        self.clock = VirtualClock(float(chosen) if chosen is not None else None,
                                  **({"sleep": sleep} if sleep else {}))
        self.today = today or date.today()
        self.source_hash = hashlib.sha256(source_text.encode("utf-8")).hexdigest() if source_text else ""
        self.rng = random.Random(scenario.seed)
        self.suffix = secrets.token_hex(3)
        self.users: dict[str, User] = {}
        self.need_ids: dict[str, int] = {}
        self.silent: set[str] = set()
        self.played = {"clair" if p == "secretariat" else p for p in scenario.played}
        self.request_minute: dict[int, float] = {}
        self.given_up: set[tuple[int, str]] = set()
        self.queue: list[_Step] = []
        self.counter = itertools.count()
        self.disaster_id = 0
        self.last_tick: float | None = None
        self.run_info: DrillRun | None = None

    # --- accounts ---------------------------------------------------------------------------------

    def _user(self, session: Session, who: str) -> User:
        """The simulated actor of an association (or "clair"): a User that is never stored.

        Never stored, so a drill creates no account (no credentials, nothing to sign in with), and no
        account event reaches live subscribers; its events name the association, not a user.
        """
        user = self.users.get(who)
        if user is None:
            user = User(login=f"drill-{self.suffix}-{who.replace('_', '-')}",
                        display_name=f"{DRILL_MARK}模擬 / simulated {who}",
                        role=ROLE_SECRETARIAT if who == "clair" else ROLE_STAFF,
                        association_id=who, is_active=True)
            self.users[who] = user
        return user

    def _secretariat(self, session: Session, disaster: Disaster) -> tuple[str, User]:
        acting = disaster.acting_roles.get("secretariat") or {}
        who = acting.get("id", "clair") if acting.get("is_failover") else "clair"
        return who, self._user(session, who)

    # --- scheduling -------------------------------------------------------------------------------

    def _push(self, minute: float, kind: str, data: Any) -> None:
        heapq.heappush(self.queue, _Step(minute, next(self.counter), kind, data))

    def _tick(self, session: Session, minute: float) -> None:
        if self.last_tick == minute:
            return
        self.last_tick = minute
        when = self.scenario.start + timedelta(minutes=minute)
        with unit_of_work(session):
            record_drill_event(session, disaster_id=self.disaster_id, type="drill.clock", minute=minute,
                               virtual_time=when.isoformat())

    def run(self) -> DrillRun:
        """Run the whole scenario; returns the drill id. Domain errors of single steps are recorded."""
        scenario = self.scenario
        end = scenario.duration_delta().total_seconds() / 60.0
        with Session(self.engine, expire_on_commit=False) as session:
            self._start(session)
            for index, inject in enumerate(scenario.injects):
                self._push(inject.offset(scenario.start).total_seconds() / 60.0, "inject", (index, inject))
            while self.queue and self.queue[0].minute <= end:
                minute = self.queue[0].minute
                for awake in self.clock.advance_to(minute):
                    self._tick(session, round(awake, 3))
                    self._plan(session, round(awake, 3))
                self._tick(session, minute)
                while self.queue and self.queue[0].minute == minute:
                    self._do(session, heapq.heappop(self.queue))
                self._plan(session, minute)
            for awake in self.clock.advance_to(end):
                self._tick(session, round(awake, 3))
                self._plan(session, round(awake, 3))
            self._tick(session, end)
            assert self.run_info is not None
            self.run_info.minutes = end
            with unit_of_work(session):
                record_drill_event(session, disaster_id=self.disaster_id, type="drill.finished", minute=end,
                                   failures=self.run_info.failures, pending_steps=len(self.queue))
        return self.run_info

    def _start(self, session: Session) -> None:
        scenario = self.scenario
        secretariat = self._user(session, "clair")
        data = ensure_drill(DisasterCreate(
            name=marked(f"{scenario.disaster.name} [{scenario.id} {self.suffix}]"), kind=scenario.disaster.kind,
            mode=DRILL_MODE, area=AreaInput.model_validate(scenario.disaster.area.model_dump(exclude_none=True))))
        disaster = declare_disaster(session, data=data, actor=secretariat, today=self.today)
        assert disaster.id is not None and disaster.mode == DRILL_MODE
        self.disaster_id = disaster.id
        self.run_info = DrillRun(drill_id=disaster.id, scenario_id=scenario.id, minutes=0)
        with unit_of_work(session):
            record_drill_event(
                session, disaster_id=disaster.id, type="drill.started", minute=0.0,
                scenario_id=scenario.id, title=scenario.title, seed=scenario.seed,
                scenario_sha256=self.source_hash, speed="instant" if self.clock.instant else self.clock.speed,
                start=scenario.start.isoformat(), duration_minutes=scenario.duration_delta().total_seconds() / 60.0,
                played=sorted(self.played), request_timeout_hours=current_agreement().request_timeout_hours)

    # --- steps ------------------------------------------------------------------------------------

    def _do(self, session: Session, step: _Step) -> None:
        try:
            if step.kind == "inject":
                self._inject(session, step.minute, *step.data)
            elif step.kind == "answer":
                self._answer(session, step.minute, *step.data)
            elif step.kind == "progress":
                self._progress(session, step.minute, *step.data)
        except DomainError as error:
            assert self.run_info is not None
            what = f"{step.kind} at minute {step.minute}: {error.message_en}"
            self.run_info.failures.append(what)
            with unit_of_work(session):
                record_drill_event(session, disaster_id=self.disaster_id, type="drill.step_failed",
                                   minute=step.minute, step=step.kind, message_en=error.message_en,
                                   message_ja=error.message_ja)

    def _disaster(self, session: Session) -> Disaster:
        disaster = session.get(Disaster, self.disaster_id, populate_existing=True)
        assert disaster is not None
        return disaster

    def _inject(self, session: Session, minute: float, index: int, inject: Any) -> None:
        assert self.run_info is not None
        self.run_info.injects += 1
        with unit_of_work(session):
            record_drill_event(session, disaster_id=self.disaster_id, type="drill.inject", minute=minute,
                               index=index, inject=inject.model_dump(mode="json"))
        if isinstance(inject, NeedInject):
            need = create_need(session, disaster_id=self.disaster_id, actor=self._user(session, inject.requester),
                               data=NeedCreate(requester_id=inject.requester, kind=inject.kind,
                                               language=inject.language, headcount=inject.headcount,
                                               start=self.today + timedelta(days=inject.start_day),
                                               days=inject.days, place=inject.place, remote=inject.remote,
                                               notes=marked(inject.notes)))
            assert need.id is not None
            self.need_ids[inject.key] = need.id
        elif isinstance(inject, AmendNeedInject):
            need_id = self.need_ids[inject.need]
            requester = session.get(Need, need_id)
            assert requester is not None
            changes = inject.model_dump(include={"headcount", "language", "days", "notes"}, exclude_none=True)
            if "notes" in changes:
                changes["notes"] = marked(changes["notes"])
            amend_need(session, need_id=need_id, data=NeedUpdate(**changes),
                       actor=self._user(session, requester.requester_id))
        elif isinstance(inject, OfferInject):
            create_offer(session, disaster_id=self.disaster_id, actor=self._user(session, inject.association),
                         data=OfferCreate(languages=inject.languages, kinds=inject.kinds, headcount=inject.headcount,
                                          available_from=self.today + timedelta(days=inject.from_day),
                                          available_until=self.today + timedelta(days=inject.until_day),
                                          notes=marked("模擬の申し出 / simulated offer")))
        elif isinstance(inject, DeclineInject):
            waiting = session.exec(select(Dispatch).where(
                Dispatch.disaster_id == self.disaster_id, Dispatch.supplier_id == inject.association,
                Dispatch.state == "requested").order_by(col(Dispatch.id))).all()
            for dispatch in waiting:
                transition_dispatch(session, dispatch_id=dispatch.id or 0, action="decline",
                                    actor=self._user(session, inject.association), reason=marked(inject.reason))
        elif isinstance(inject, SilentInject):
            self.silent.add(inject.association)
        elif isinstance(inject, CoordinatorUnreachableInject):
            who = "clair" if inject.association == "secretariat" else inject.association
            self.silent.add(who)
            mark_unavailable(session, disaster_id=self.disaster_id, unavailable=[who], minute=minute)
        elif isinstance(inject, BulletinInject):
            # Stored as this drill's own bulletin: it proposes a drill declaration (【訓練】) or an area change
            # of this drill, for a person to confirm; the runner never confirms it.
            ingest_bulletin(session, data=Path(inject.file).read_bytes(), source="drill", actor=None, mode=DRILL_MODE,
                            drill_id=self.disaster_id, today=self.today)
        elif isinstance(inject, CrossBlockInject):
            disaster = self._disaster(session)
            who, actor = self._secretariat(session, disaster)
            if who not in self.played and not disaster.cross_block_open:
                open_cross_block(session, disaster_id=self.disaster_id, actor=actor)

    def _answer(self, session: Session, minute: float, dispatch_id: int, accept: bool) -> None:
        dispatch = session.get(Dispatch, dispatch_id, populate_existing=True)
        if dispatch is None or dispatch.state != "requested" or self._human_or_silent(dispatch.supplier_id):
            return
        supplier = self._user(session, dispatch.supplier_id)
        if accept:
            try:
                transition_dispatch(session, dispatch_id=dispatch_id, action="accept", actor=supplier,
                                    expected_cost_yen=_COST_PER_PERSON_YEN * dispatch.headcount)
            except Conflict:
                accept = False
            else:
                self._push(minute + _DEPART_AFTER_MINUTES, "progress", (dispatch_id, "depart"))
                return
        transition_dispatch(session, dispatch_id=dispatch_id, action="decline", actor=supplier,
                            reason=marked("模擬：今回は応援できません / simulated: cannot help this time"))

    def _progress(self, session: Session, minute: float, dispatch_id: int, action: str) -> None:
        dispatch = session.get(Dispatch, dispatch_id, populate_existing=True)
        need = session.get(Need, dispatch.need_id) if dispatch else None
        if dispatch is None or need is None or self._human_or_silent(dispatch.supplier_id):
            return
        expected = {"depart": "accepted", "arrive": "en_route", "complete": "on_site"}[action]
        if dispatch.state != expected:
            return
        transition_dispatch(session, dispatch_id=dispatch_id, action=action,
                            actor=self._user(session, dispatch.supplier_id))
        if action == "depart":
            speed = self.scenario.actor(dispatch.supplier_id).travel_km_per_hour
            travel = 0.0 if need.remote else (dispatch.distance_km or 0.0) / speed * 60.0
            self._push(minute + round(travel), "progress", (dispatch_id, "arrive"))
        elif action == "arrive":
            self._push(minute + need.days * 24 * 60, "progress", (dispatch_id, "complete"))

    def _human_or_silent(self, association_id: str) -> bool:
        return association_id in self.played or association_id in self.silent

    # --- the simulated coordinators ----------------------------------------------------------------

    def _plan(self, session: Session, minute: float) -> None:
        """Propose, approve and request people for uncovered needs, as the acting coordinators would."""
        disaster = self._disaster(session)
        needs = session.exec(select(Need).where(Need.disaster_id == self.disaster_id, Need.status == "open")
                             .order_by(col(Need.id))).all()
        offers = session.exec(select(Offer).where(Offer.disaster_id == self.disaster_id, Offer.status == "active")
                              .order_by(col(Offer.id))).all()
        dispatches = session.exec(select(Dispatch).where(Dispatch.disaster_id == self.disaster_id)
                                  .order_by(col(Dispatch.id))).all()
        timeout = current_agreement().request_timeout_hours * 60
        for dispatch in dispatches:
            asked = self.request_minute.get(dispatch.id or 0)
            if dispatch.state == "requested" and asked is not None and minute - asked >= timeout:
                self._give_up(session, disaster, dispatch)
        dispatches = session.exec(select(Dispatch).where(Dispatch.disaster_id == self.disaster_id)
                                  .order_by(col(Dispatch.id))).all()
        people = needs_people(session, needs)  # "proposed": everyone asked for or sent, withdrawn ones aside
        taken = {need_id: counts.proposed for need_id, counts in people.items()}
        busy: dict[str, int] = {}
        refused = set(self.given_up)
        for d in dispatches:
            if d.state in WITHDRAWN_STATES:
                refused.add((d.need_id, d.supplier_id))
                continue
            if d.state in OPEN_STATES:
                busy[d.supplier_id] = busy.get(d.supplier_id, 0) + d.headcount
        offered: dict[str, int] = {}
        capabilities: dict[str, Capability] = {}
        for offer in offers:
            offered[offer.association_id] = offered.get(offer.association_id, 0) + offer.headcount
            known = capabilities.get(offer.association_id, Capability(frozenset(), frozenset()))
            capabilities[offer.association_id] = Capability(known.languages | set(offer.languages),
                                                            known.kinds | set(offer.kinds))
        for need in needs:
            gap = need.headcount - taken.get(need.id or 0, 0)
            if gap <= 0 or not capabilities:
                continue
            try:
                ranked = eligible_supporters(current_agreement(), requester=need.requester_id, kind=need.kind,
                                             language=need.language, place=need.place,
                                             affected=frozenset(disaster.affected_associations),
                                             cross_block_open=disaster.cross_block_open, capabilities=capabilities)
            except AgreementError:
                continue
            for candidate in ranked.eligible:
                supplier = candidate.association_id
                free = offered.get(supplier, 0) - busy.get(supplier, 0)
                if supplier not in capabilities or free <= 0 or (need.id, supplier) in refused:
                    continue
                approver = self._approver(session, disaster, need.requester_id, candidate.stage)
                if approver is None:
                    continue
                headcount = min(gap, free)
                self._propose(session, minute, need, supplier, headcount, approver)
                gap -= headcount
                busy[supplier] = busy.get(supplier, 0) + headcount
                if gap <= 0:
                    break

    def _approver(self, session: Session, disaster: Disaster, requester: str, stage: int) -> User | None:
        if stage == 2:
            who, user = self._secretariat(session, disaster)
        else:
            block = block_of(requester) or ""
            who = ((disaster.acting_roles.get("coordinators") or {}).get(block) or {}).get("association_id", "")
            if not who:
                return None
            user = self._user(session, who)
        # People playing a coordinator or the secretariat decide themselves: the runner leaves it to them.
        return None if who in self.played or who in self.silent else user

    def _dispatch_approver(self, session: Session, dispatch: Dispatch, proposer: User) -> User | None:
        """The proposer when it may approve this dispatch, else the first simulated association that may
        (None when only people playing a role may: they decide themselves)."""
        disaster = session.get(Disaster, dispatch.disaster_id)
        assert disaster is not None
        block = block_of(dispatch.requester_id)
        if dispatch_policy.approval_capacity(proposer, disaster, dispatch, block) is not None:
            return proposer
        for who in dispatch_policy.approvers(disaster, dispatch, block).by_association:
            if who not in self.played and who not in self.silent:
                return self._user(session, who)
        return None

    def _propose(self, session: Session, minute: float, need: Need, supplier: str, headcount: int,
                 approver: User) -> None:
        try:
            dispatch = propose_dispatch(session, disaster_id=self.disaster_id, actor=approver, data=DispatchCreate(
                need_id=need.id or 0, supplier_id=supplier, headcount=headcount,
                notes=marked("模擬コーディネーターの提案 / simulated coordinator's proposal")))
            # Nobody approves their own association's dispatch: when the proposer supplies it, its deputy or
            # the secretariat approves (dispatches/policy.py approvers).
            deciding = self._dispatch_approver(session, dispatch, approver)
            if deciding is None:
                return  # only people playing a role may approve it: they decide themselves
            for action in ("approve", "request"):
                dispatch = transition_dispatch(session, dispatch_id=dispatch.id or 0, action=action, actor=deciding)
        except DomainError as error:
            assert self.run_info is not None
            self.run_info.failures.append(f"plan at minute {minute}: {error.message_en}")
            self.given_up.add((need.id or 0, supplier))
            return
        assert dispatch.id is not None
        self.request_minute[dispatch.id] = minute
        if self._human_or_silent(supplier):
            return
        actor = self.scenario.actor(supplier)
        accept = self.rng.random() < actor.accept_probability
        low, high = actor.answer_after_minutes
        self._push(minute + self.rng.randint(low, high), "answer", (dispatch.id, accept))

    def _give_up(self, session: Session, disaster: Disaster, dispatch: Dispatch) -> None:
        """A request unanswered past the agreement's timeout: the coordinator cancels it and asks someone else."""
        approver = self._approver(session, disaster, dispatch.requester_id, dispatch.stage)
        if approver is None:
            return
        with contextlib.suppress(DomainError):  # answered or withdrawn meanwhile: nothing to cancel
            transition_dispatch(session, dispatch_id=dispatch.id or 0, action="cancel", actor=approver,
                                reason=marked("回答期限切れ / no answer within the agreement's timeout"))
        self.given_up.add((dispatch.need_id, dispatch.supplier_id))


def run_scenario(engine: Engine, scenario: Scenario, **options: Any) -> DrillRun:
    """Run a scenario as a drill on this (migrated) database; see DrillRunner for the options."""
    return DrillRunner(engine, scenario, **options).run()

"""HTTP: the secretariat's and coordinators' pages (declare, edit, home); the API decides who may act."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from coordinator.auth.deps import OptionalUser
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.contacts.service import visible_contacts
from coordinator.db import SessionDep, SessionRoute
from coordinator.disasters.actions import disaster_actions
from coordinator.disasters.models import DISASTER_KINDS, MODES
from coordinator.disasters.service import list_disasters
from coordinator.events.models import utcnow
from coordinator.offers.service import list_standing_capacity
from coordinator.reference import current_agreement
from coordinator.sitreps import policy as sitrep_policy
from coordinator.sitreps.service import list_reports
from coordinator.web.i18n import Translator, language_of
from coordinator.web.mapview import region_box
from coordinator.web.picture import disaster_picture
from coordinator.web.router import (
    _association_names,
    _disaster_or_error,
    _login_redirect,
    _map,
    _reference,
    render,
)
from coordinator.web.timefmt import jst
from coordinator.web.timeline import timeline_rows
from geo.prefectures import prefectures as all_prefectures

router = APIRouter(include_in_schema=False, route_class=SessionRoute)
RECENT_DRILLS = 8
UNAUTHENTICATED = {"error": {"code": "unauthenticated", "field": "authorization",
                             "message": {"ja": "サインインしてください", "en": "Sign in first"}}}


def may_declare(user: User, *, today: date | None = None) -> bool:
    """Whether to offer the declare form: the secretariat, and staff of this year's coordinators and deputies
    (the API has the last word: it refuses whoever the authority rules do not allow)."""
    if user.role == ROLE_SECRETARIAT:
        return True
    if user.role != ROLE_STAFF or not user.association_id:
        return False
    agreement = current_agreement()
    try:
        year = agreement.roles_for(agreement.fiscal_year_of(today or date.today()))
    except Exception:  # AgreementError: no roles for this year, so nobody but the secretariat
        return False
    return any(user.association_id == r.coordinator or user.association_id in r.deputies
               for r in year.blocks.values())


def _codes(value: str | None, width: int) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip().isdigit()
            and len(part.strip()) == width]


def declare_prefill(params: dict[str, str]) -> dict[str, Any]:
    """The declare form's prefill from the query string (contract 5); unknown or malformed values are dropped."""
    prefill: dict[str, Any] = {}
    if params.get("name"):
        prefill["name"] = params["name"][:200]
    if params.get("kind") in DISASTER_KINDS:
        prefill["kind"] = params["kind"]
    if params.get("mode") in MODES:
        prefill["mode"] = params["mode"]
    if _codes(params.get("prefectures"), 2):
        prefill["prefectures"] = _codes(params.get("prefectures"), 2)
    if _codes(params.get("municipalities"), 5):
        prefill["municipalities"] = _codes(params.get("municipalities"), 5)
    try:
        lon, lat = (float(x) for x in (params.get("epicentre") or "").split(","))
        prefill["epicentre"] = {"lon": lon, "lat": lat}
    except ValueError:
        pass
    with suppress(KeyError, ValueError):
        prefill["radius_km"] = float(params["radius_km"])
    if (params.get("bulletin") or "").isdigit():
        prefill["bulletin"] = int(params["bulletin"])
    return prefill


def _prefecture_list(t: Translator, blocks: dict[str, str]) -> list[dict[str, str]]:
    return [{"code": p.code, "name": t.pick(p.name_ja, p.name_en), "block": blocks.get(p.code, "")}
            for p in all_prefectures()]


def _form_page(request: Request, user: User, *, disaster: Any = None, prefill: dict[str, Any]) -> HTMLResponse:
    t = Translator(language_of(request))
    view = _map(request)
    return render(
        request, "declare.html", user=user, disaster=disaster,
        title=t("edit.title") if disaster else t("declare.title"),
        view=view, layer=Markup(view.layers[t.language]), kinds=DISASTER_KINDS,
        prefectures=_prefecture_list(t, view.prefecture_blocks), may=may_declare(user) or disaster is not None,
        config={"prefill": prefill, "editing": disaster.id if disaster else None,
                "area_route": disaster is None or "change_area" in disaster_actions(user, disaster)},
    )


@router.get("/disasters/new")
def declare_page(request: Request, user: OptionalUser) -> Response:
    """The declare form: area picker, preview of what the declaration does, live or drill chosen explicitly."""
    if user is None:
        return _login_redirect(request)
    return _form_page(request, user, prefill=declare_prefill(dict(request.query_params)))


@router.get("/disasters/{disaster_id}/edit")
def edit_page(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The same form for an open disaster: its name and (when the API offers it) its area."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    area = dict(disaster.area_input)
    prefill: dict[str, Any] = {"name": disaster.name, "kind": disaster.kind, "mode": disaster.mode}
    for key in ("prefectures", "municipalities", "epicentre", "radius_km"):
        if key in area:
            prefill[key] = area[key]
    return _form_page(request, user, disaster=disaster, prefill=prefill)



@router.get("/disasters/{disaster_id}/plan")
def plan_page(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The plan before commit: supporter → need with reasons, totals, what it replaces; commit all or some."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    picture = disaster_picture(session, disaster_id=disaster_id, actor=user)
    t = Translator(language_of(request))
    view = _map(request)
    needs = {n["id"]: {k: n[k] for k in ("place_name", "start", "end", "days", "notes", "remote", "headcount")}
             for n in picture["needs"]}
    return render(
        request, "plan.html", user=user, disaster=disaster, title=t("plan.title"), may=picture["may"]["plan"],
        view=view,
        config={"names": _association_names(view, t), "blocks_of": {p.association_id: p.block for p in view.points},
                "needs": needs, **_reference(t)},
    )


def _capacity_by_language(rows: list[Any], blocks: dict[str, str | None]) -> list[dict[str, Any]]:
    by_language: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_language.setdefault(row.language, {"language": row.language, "people": 0, "associations": set(),
                                                      "by_block": {}})
        entry["people"] += row.headcount
        entry["associations"].add(row.association_id)
        block = blocks.get(row.association_id) or ""
        entry["by_block"][block] = entry["by_block"].get(block, 0) + row.headcount
    result = sorted(by_language.values(), key=lambda e: (-e["people"], e["language"]))
    for entry in result:
        entry["associations"] = len(entry["associations"])
    return result


def _year_roles(t: Translator, names: dict[str, str], today: date) -> dict[str, Any]:
    agreement = current_agreement()
    year = agreement.fiscal_year_of(today)
    try:
        roles = agreement.roles_for(year)
    except Exception:  # AgreementError: the page says the year has no roles instead of failing
        return {"year": year, "blocks": []}
    return {"year": year, "blocks": [
        {"id": block.id, "name": t.pick(block.name_ja, block.name_en), "members": len(block.members),
         "coordinator": names.get(roles.blocks[block.id].coordinator, roles.blocks[block.id].coordinator),
         "deputies": [names.get(d, d) for d in roles.blocks[block.id].deputies]}
        for block in agreement.blocks if block.id in roles.blocks]}


def render_home(request: Request, session: Session, user: User, *, title_key: str = "coord.home_title") -> Response:
    """The peacetime home: to-do, open disasters and drills, the associations by block, standing capacity by
    language, this fiscal year's coordinators and deputies. Every part says so when it is empty."""
    live = list_disasters(session, actor=user, mode="live", status="open")
    drills = list_disasters(session, actor=user, mode="drill")[:RECENT_DRILLS]
    capacity = list_standing_capacity(session, actor=user)
    t = Translator(language_of(request))
    view = _map(request)
    names = _association_names(view, t)
    blocks = {p.association_id: p.block for p in view.points}
    colours = {b.id: b.colour for b in view.blocks}
    return render(
        request, "home.html", user=user, title=t(title_key), live=live, drills=drills, view=view,
        layer=Markup(view.layers[t.language]), colours=colours, names=names,
        members={b.id: sum(1 for p in view.points if p.block == b.id) for b in view.blocks},
        capacity=_capacity_by_language(capacity, blocks), capacity_scope="own" if user.role == ROLE_STAFF else "all",
        language_names={lang["tag"]: lang["name"] for lang in _reference(t)["languages"]},
        roles=_year_roles(t, names, date.today()), may_declare=may_declare(user),
        config={"home": True},
    )


@router.get("/home")
def home_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The secretariat's and coordinators' home, in peacetime and during a disaster."""
    if user is None:
        return _login_redirect(request)
    return render_home(request, session, user)


@router.get("/web/timeline/{disaster_id}")
def timeline_json(disaster_id: int, session: SessionDep, user: OptionalUser,
                  since: int = Query(0, ge=0), limit: int = Query(200, ge=1, le=1000)) -> JSONResponse:
    """The timeline page's data: events with the actor's name and capacity, what they were about, and why."""
    if user is None:
        return JSONResponse(UNAUTHENTICATED, status_code=401)
    rows = timeline_rows(session, disaster_id=disaster_id, actor=user, since=since, limit=limit)
    return JSONResponse(rows)


def css_string(text: str) -> Markup:
    """A CSS string literal of `text` (for @page margin boxes), safe inside <style>."""
    escaped = "".join(c if c.isalnum() or c in " ・：:·（）()-/【】第報版" else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


@router.get("/disasters/{disaster_id}/sitrep")
def sitrep_page(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser,
                report: int | None = Query(None, ge=1)) -> Response:
    """The situation report on A4: issuer and JST time, the secretariat's summary of report N (the latest by
    default), figures and the map on page 1, then affected associations, coverage, needs with places and
    dispatches; page numbers in the margin. The acting secretariat issues and corrects reports here."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    picture = disaster_picture(session, disaster_id=disaster_id, actor=user)
    reports = list_reports(session, disaster_id=disaster_id, actor=user)
    # Contacts as far as this reader may see them (none for observers; contacts/policy.py).
    contacts = visible_contacts(session, disaster=disaster, actor=user)
    chosen = next((r for r in reports if r.number == report), None) if report else (reports[0] if reports else None)
    t = Translator(language_of(request))
    view = _map(request)
    reference = _reference(t)
    issuer = t.pick(chosen.issuer_name_ja, chosen.issuer_name_en) if chosen else ""
    footer = (f"{issuer} · {t('coord.sitrep_number', n=chosen.number)} · {jst(chosen.issued_at)}" if chosen
              else f"{disaster.name} · {jst(utcnow())}")
    return render(
        request, "sitrep.html", user=user, title=t("sitrep.title"), disaster=disaster, picture=picture, view=view,
        layer=Markup(view.layers[t.language]), names=_association_names(view, t), now=jst(utcnow()),
        kind_names={k["id"]: k["name"] for k in reference["kinds"]}, reports=reports, report=chosen,
        language_names={lang["tag"]: lang["name"] for lang in reference["languages"]},
        may_write=sitrep_policy.can_write(user, disaster), footer=css_string(footer), contacts=contacts,
        box=region_box(view, {a for a, state in picture["states"].items() if state != "idle"}
                       | {a for arrow in picture["arrows"] for a in (arrow["supplier_id"], arrow["requester_id"])}),
        drill_mark=css_string(t("drill.banner")) if disaster.mode == "drill" else None,
        config={"report": {"id": chosen.id, "number": chosen.number, "version": chosen.version,
                           "summary": chosen.summary} if chosen else None},
    )

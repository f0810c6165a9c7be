"""HTTP: the secretariat's and coordinators' pages (declare, edit, home); the API decides who may act."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from coordinator.auth.deps import OptionalUser
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.db import SessionDep, SessionRoute
from coordinator.disasters.models import DISASTER_KINDS, MODES
from coordinator.disasters.reference import current_agreement
from coordinator.web.i18n import Translator, language_of
from coordinator.web.router import _disaster_or_error, _has_route, _login_redirect, _map, render
from geo.prefectures import prefectures as all_prefectures

router = APIRouter(include_in_schema=False, route_class=SessionRoute)
BULLETIN_CONFIRM_PATH = "/api/v1/bulletins/{bulletin_id}/confirm"


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
    bulletin = prefill.get("bulletin")
    return render(
        request, "declare.html", user=user, disaster=disaster,
        title=t("edit.title") if disaster else t("declare.title"),
        view=view, layer=Markup(view.layers[t.language]), kinds=DISASTER_KINDS,
        prefectures=_prefecture_list(t, view.prefecture_blocks), may=may_declare(user) or disaster is not None,
        config={"prefill": prefill, "editing": disaster.id if disaster else None,
                "bulletin_route": _has_route(request.app, BULLETIN_CONFIRM_PATH) if bulletin else False,
                "area_route": _has_route(request.app, "/api/v1/disasters/{disaster_id}/area")},
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


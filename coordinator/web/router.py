"""HTTP: the web pages (login, national dashboard, association page, timeline, sitrep) and their helpers.

Pages render a skeleton and the first picture on the server (Jinja2, autoescaped); scripts then read
and write through the JSON API with the same session cookie, and follow /api/v1/live when it is served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlmodel import Session

import realtime
from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.deps import OptionalUser, settings_of
from coordinator.auth.models import ROLE_STAFF, User
from coordinator.db import SessionDep, SessionRoute
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster, list_disasters
from coordinator.errors import DomainError
from coordinator.reference import current_agreement
from coordinator.todo.service import todo_for
from coordinator.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, catalogue, language_of
from coordinator.web.mapview import MapView, arrow_geometry, map_view
from coordinator.web.picture import disaster_picture
from coordinator.web.redirects import safe_next
from coordinator.web.static_files import static_url
from coordinator.web.timefmt import jst

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
LIVE_CLIENT = Path(realtime.__file__).resolve().parent / "client.js"

templates = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)
templates.globals["arrow_geometry"] = arrow_geometry
templates.filters["jst"] = jst
# Pages embed their data as JSON: Japanese stays UTF-8 (a third of the \uXXXX-escaped size).
templates.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
templates.globals["static"] = lambda name: static_url(STATIC_DIR, name)
router = APIRouter(include_in_schema=False, route_class=SessionRoute)


def _login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)


def _reference(t: Translator) -> dict[str, Any]:
    agreement = current_agreement()
    return {
        "kinds": [
            {"id": k.id, "name": t.pick(k.name_ja, k.name_en), "remote": k.remote} for k in agreement.kinds
        ],
        "languages": [
            {"tag": lang.tag, "name": t.pick(lang.name_ja, lang.name_en)} for lang in agreement.languages
        ],
        "cost_policies": list(agreement.cost.allowed),
        "cost_default": agreement.cost.default,
        "rotation": {
            "default": agreement.rotation.default_days,
            "min": agreement.rotation.min_days,
            "max": agreement.rotation.max_days,
        },
    }


def _map(request: Request) -> MapView:
    settings = settings_of(request)
    return map_view(Path(settings.data_dir), Path(settings.agreement_file))


def _association_names(view: MapView, t: Translator) -> dict[str, str]:
    names = {p.association_id: t.pick(p.name_ja, p.name_en) for p in view.points}
    names[SECRETARIAT_ID] = t("role.secretariat")
    return names


def render(
    request: Request,
    template: str,
    *,
    user: User | None,
    title: str,
    disaster: Disaster | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page in the visitor's language, with the drill banner and watermark when `disaster` is a drill."""
    language = language_of(request)
    t = Translator(language)
    config = {
        "lang": language,
        "user": None,
        "disaster_id": disaster.id if disaster else None,
        "mode": disaster.mode if disaster else None,
        **context.pop("config", {}),
    }
    if user is not None:
        config["user"] = {
            "id": user.id,
            "login": user.login,
            "role": user.role,
            "association_id": user.association_id,
        }
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = templates.get_template(template).render(
        t=t,
        lang=language,
        languages=LANGUAGES,
        user=user,
        disaster=disaster,
        title=title,
        here=here,
        is_drill=bool(disaster is not None and disaster.mode == "drill"),
        config=config,
        messages=dict(catalogue(language)),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _error_page(request: Request, user: User | None, error: DomainError) -> HTMLResponse:
    t = Translator(language_of(request))
    message = error.message_ja if t.language == "ja" else error.message_en
    return render(
        request, "error.html", user=user, title=t("error.title"), message=message, status_code=error.status
    )


@router.get("/")
def home(user: OptionalUser) -> RedirectResponse:
    """Signed out: the login page; staff: their association page; everyone else: the national dashboard."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/association" if user.role == ROLE_STAFF else "/dashboard", status_code=303)


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str | None = None) -> HTMLResponse:
    """The sign-in form (posts to /api/v1/auth/login with fetch)."""
    t = Translator(language_of(request))
    return render(request, "login.html", user=user, title=t("login.title"), next_url=safe_next(next))


@router.get("/lang/{language}")
def switch_language(language: str, next: str | None = None) -> RedirectResponse:
    """Remember the chosen language in a cookie (a year) and go back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/dashboard")
def dashboard_landing(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The live dashboard: the most recent open live disaster, or a page saying there is none."""
    if user is None:
        return _login_redirect(request)
    live = list_disasters(session, actor=user, mode="live", status="open")
    if live:
        return RedirectResponse(f"/disasters/{live[0].id}", status_code=303)
    from coordinator.web.coordination import render_home  # the peacetime home (imports this module)

    return render_home(request, session, user, title_key="dashboard.title")


@router.get("/dashboard/pick")
def pick_disaster(disaster: int) -> RedirectResponse:
    """The disaster picker's target (works without scripts): go to that disaster's dashboard."""
    return RedirectResponse(f"/disasters/{disaster}", status_code=303)


@router.get("/drills")
def drills_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Drills, listed apart from live disasters and clearly marked."""
    if user is None:
        return _login_redirect(request)
    drills = list_disasters(session, actor=user, mode="drill")
    t = Translator(language_of(request))
    return render(
        request, "disasters.html", user=user, title=t("drills.title"), drills=True, disasters=drills
    )


def _disaster_or_error(
    request: Request, session: Session, user: User, disaster_id: int
) -> Disaster | HTMLResponse:
    try:
        disaster = get_disaster(session, disaster_id=disaster_id, actor=user)
    except DomainError as error:
        return _error_page(request, user, error)
    return disaster


@router.get("/disasters/{disaster_id}")
def dashboard(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The national dashboard of one disaster: map, panels, actions; live."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    # The picker lists disasters of the same mode only: a drill never shows up among live ones.
    picker = list_disasters(session, actor=user, mode=disaster.mode, status="open")
    picture = disaster_picture(session, disaster_id=disaster_id, actor=user)
    t = Translator(language_of(request))
    view = _map(request)
    names = _association_names(view, t)
    return render(
        request,
        "dashboard.html",
        user=user,
        title=t("dashboard.title"),
        disaster=disaster,
        picker=picker,
        picture=picture,
        view=view,
        layer=Markup(view.layers[t.language]),
        names=names,
        config={
            "picture": picture,
            "names": names,
            "points": {p.association_id: [p.x, p.y] for p in view.points},
            "blocks_of": {p.association_id: p.block for p in view.points},
            **_reference(t),
        },
    )


def _staff_config(request: Request, t: Translator, names: dict[str, str], mine: str | None) -> dict[str, Any]:
    """What the staff pages' scripts need: names, reference lists, routes, the live heartbeat period."""
    settings = settings_of(request)
    return {"names": names, "association_id": mine,
            "heartbeat_seconds": settings.live_heartbeat_seconds, **_reference(t)}


@router.get("/disasters/{disaster_id}/association")
def association_page(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Staff's page for one disaster: requests to answer, needs (when affected) or open needs to offer
    against (otherwise), offers, progress; phone first, works on a weak connection (docs/web.md)."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    t = Translator(language_of(request))
    view = _map(request)
    names = _association_names(view, t)
    mine = user.association_id if user.role == ROLE_STAFF else None
    affected = bool(mine and mine in disaster.affected_associations)
    return render(
        request,
        "association.html",
        user=user,
        title=t("association.title"),
        disaster=disaster,
        mine=mine,
        mine_name=names.get(mine or "", mine or ""),
        affected=affected,
        config={**_staff_config(request, t, names, mine), "affected": affected,
                "cross_block_open": disaster.cross_block_open},
    )


@router.get("/association")
def association_home(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """Staff's home: what to do now (to-do list, requests waiting for an answer), open disasters (live, and
    drills apart), the association's disaster contacts and its standing capacity."""
    if user is None:
        return _login_redirect(request)
    live = list_disasters(session, actor=user, mode="live", status="open")
    drills = list_disasters(session, actor=user, mode="drill", status="open")
    t = Translator(language_of(request))
    view = _map(request)
    names = _association_names(view, t)
    mine = user.association_id if user.role == ROLE_STAFF else None
    # The count of what waits for us in the tab title from the first paint (coord.js keeps it current).
    waiting_count = todo_for(session, actor=user).count if mine else 0
    title = (f"({waiting_count}) " if waiting_count else "") + t("association.title")
    return render(
        request,
        "association_home.html",
        user=user,
        title=title,
        live=live,
        drills=drills,
        mine=mine,
        mine_name=names.get(mine or "", mine or ""),
        config=_staff_config(request, t, names, mine),
    )


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The service worker (scope "/"): keeps static assets and visited pages for opening without a connection."""
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/disasters/{disaster_id}/timeline")
def timeline_page(disaster_id: int, request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """The disaster's events, oldest first, read page by page from the JSON API."""
    if user is None:
        return _login_redirect(request)
    disaster = _disaster_or_error(request, session, user, disaster_id)
    if isinstance(disaster, HTMLResponse):
        return disaster
    t = Translator(language_of(request))
    view = _map(request)
    names = _association_names(view, t)
    return render(
        request,
        "timeline.html",
        user=user,
        title=t("timeline.title"),
        disaster=disaster,
        points=view.points,
        config={"names": names},
    )


@router.get("/web/picture/{disaster_id}")
def picture_json(disaster_id: int, session: SessionDep, user: OptionalUser) -> JSONResponse:
    """The dashboard's data for one disaster (what this user may see), re-read on every live event."""
    if user is None:
        error = {
            "code": "unauthenticated",
            "field": "authorization",
            "message": {"ja": "サインインしてください", "en": "Sign in first"},
        }
        return JSONResponse({"error": error}, status_code=401)
    picture = disaster_picture(session, disaster_id=disaster_id, actor=user)
    return JSONResponse(picture)


@router.get("/web/live-client.js")
def live_client() -> FileResponse:
    """realtime/client.js, served as is (one copy of the client in the repository)."""
    return FileResponse(LIVE_CLIENT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

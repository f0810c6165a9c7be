"""HTTP: the secretariat's page of users and accounts (/admin/users), on the account API (docs/authority.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coordinator.auth.deps import OptionalUser
from coordinator.auth.models import ROLES
from coordinator.auth.policy import may_manage_accounts
from coordinator.db import SessionRoute
from coordinator.errors import Forbidden
from coordinator.web.i18n import Translator, language_of
from coordinator.web.router import _association_names, _error_page, _login_redirect, _map, render

router = APIRouter(include_in_schema=False, route_class=SessionRoute)


@router.get("/admin/users")
def accounts_page(request: Request, user: OptionalUser) -> Response:
    """Add users, reset passwords, disable and enable, change roles, sign out sessions, revoke tokens."""
    if user is None:
        return _login_redirect(request)
    if not may_manage_accounts(user):
        return _error_page(request, user, Forbidden("Only the secretariat manages accounts",
                                                    "アカウントを管理できるのは事務局のみです"))
    t = Translator(language_of(request))
    names = _association_names(_map(request), t)
    associations = sorted(({"id": k, "name": v} for k, v in names.items() if k != "clair"),
                          key=lambda a: a["id"])
    return render(request, "accounts.html", user=user, title=t("accounts.title"),
                  config={"roles": list(ROLES), "associations": associations, "names": names, "me": user.id})

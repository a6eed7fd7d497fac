"""Who is logged in to the back office, and may they open this page.

Every /admin handler (except the login and password-link pages) declares a guard and
`opt={"role": ...}`; the guard enforces the stricter of the two. Anonymous visitors are
sent to the login page on GET and refused (403) otherwise; a role too low gets a French
403 page. Nothing of the page is computed before the guard has passed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from app.db.models import StaffUser
from app.staff import sessions
from app.staff.roles import RANK, Role, at_least

COOKIE = "creneau_staff"
COOKIE_PATH = "/admin"
LOGIN_PATH = "/admin/connexion"
HOME_PATH = "/admin"


class StaffLoginRequired(HTTPException):
    """An anonymous visitor on a staff page (GET: sent to the login page)."""

    status_code = 401

    def __init__(self, return_to: str) -> None:
        super().__init__(detail="login required")
        self.return_to = return_to


class StaffForbidden(HTTPException):
    """Logged in, but this page needs a higher role (or a non-GET without a session)."""

    status_code = 403

    def __init__(self, *, logged_in: bool) -> None:
        super().__init__(detail="forbidden")
        self.logged_in = logged_in


def safe_return_path(value: str | None) -> str:
    """Only paths of the back office; anything else (other hosts, //evil, odd schemes)
    becomes the dashboard."""
    if not value or not value.startswith("/admin") or value.startswith("//"):
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or any(ord(c) < 32 for c in value):
        return HOME_PATH
    if parts.path != "/admin" and not parts.path.startswith("/admin/"):
        return HOME_PATH
    if ".." in parts.path.split("/") or parts.path.startswith(LOGIN_PATH):
        return HOME_PATH
    return value


def login_redirect_target(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    path = connection.url.path
    query = connection.url.query
    return_to = path + (f"?{query}" if query else "")
    if return_to == HOME_PATH:
        return LOGIN_PATH
    return f"{LOGIN_PATH}?suite={quote(return_to, safe='/')}"


async def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser | None:
    """The logged-in staff member (read once per request, kept on request.state)."""
    state = connection.state
    if "staff_loaded" in state:
        loaded: StaffUser | None = state.get("staff")
        return loaded
    app_state = connection.app.state
    staff = await sessions.staff_for_token(
        app_state.db, connection.cookies.get(COOKIE), app_state.clock()
    )
    state.staff = staff
    state.staff_loaded = True
    return staff


def _guard(minimum: Role) -> Guard:
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        declared = handler.opt.get("role", minimum.value)
        required = max(Role(declared), minimum, key=lambda role: RANK[role])
        staff = await current_staff(connection)
        if staff is None:
            if connection.scope.get("method") in {"GET", "HEAD"}:
                raise StaffLoginRequired(login_redirect_target(connection))
            raise StaffForbidden(logged_in=False)
        if not at_least(staff.role, required):
            raise StaffForbidden(logged_in=True)

    guard.__name__ = f"{minimum.value}s_only"
    return guard


staff_only = _guard(Role.VIEWER)
agents_only = _guard(Role.AGENT)
admins_only = _guard(Role.ADMIN)


# Annotate a handler's parameter `staff: CurrentStaff` to receive the logged-in member.
CurrentStaff = NamedDependency[StaffUser]


async def provide_staff(request: Request[Any, Any, Any]) -> StaffUser | None:
    """The dependency `staff`: the logged-in member (None only on unguarded pages)."""
    return await current_staff(request)


def visible_site_ids(staff: StaffUser) -> set[int] | None:
    """The sites whose bookings this member sees: None means every site (administrators and
    read-only viewers); agents see their own sites only."""
    if staff.role == Role.AGENT.value:
        return {site.id for site in staff.sites}
    return None


def session_cookie(token: str, secure: bool) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=token,
        path=COOKIE_PATH,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=int(sessions.ABSOLUTE.total_seconds()),
    )


def expired_cookie(secure: bool) -> Cookie:
    return Cookie(
        key=COOKIE,
        value="",
        path=COOKIE_PATH,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=0,
        expires=0,
    )

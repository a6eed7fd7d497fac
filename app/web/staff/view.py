"""Rendering back-office pages: the layout's menu comes from the route table, so a link
shows only when its page exists and the member's role may open it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar, Request
from litestar.response import Template

from app.staff.roles import at_least, label

AnyRequest = Request[Any, Any, Any]

# (label, path) in the order of the menu; each shows if the page exists and the role may.
MENU = (
    ("Tableau de bord", "/admin"),
    ("Planning", "/admin/planning"),
    ("Rendez-vous", "/admin/rendez-vous"),
    ("Réserver", "/admin/reserver"),
    ("Export", "/admin/export"),
    ("Statistiques", "/admin/statistiques"),
    ("Configuration", "/admin/configuration"),
    ("RGPD", "/admin/rgpd"),
    ("Comptes", "/admin/comptes"),
    ("Journal", "/admin/journal"),
    ("Mon compte", "/admin/compte"),
)


PARIS = ZoneInfo("Europe/Paris")


def when(moment: datetime) -> str:
    """ "28/11/2026 à 06 h 12" in Paris time, for tables of the back office."""
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour:02d}\u00a0h\u00a0{local.minute:02d}"


@dataclass(frozen=True)
class MenuItem:
    label: str
    path: str
    current: bool


def page_roles(app: Litestar) -> dict[str, str]:
    """Path → the role its GET handler declares (computed once per application)."""
    cached: dict[str, str] | None = getattr(app.state, "staff_page_roles", None)
    if cached is not None:
        return cached
    roles: dict[str, str] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods: set[str] = getattr(handler, "http_methods", set())
            role = handler.opt.get("role")
            if "GET" in methods and role and route.path.startswith("/admin"):
                roles[route.path] = role
    app.state.staff_page_roles = roles
    return roles


def _is_current(item_path: str, path: str) -> bool:
    if item_path == "/admin":
        return path == "/admin"
    return path == item_path or path.startswith(item_path + "/")


def staff_menu(request: AnyRequest) -> list[MenuItem]:
    """The menu of the logged-in member (empty when nobody is logged in)."""
    staff = request.state.get("staff")
    if staff is None:
        return []
    roles = page_roles(request.app)
    path = request.url.path
    return [
        MenuItem(text, item_path, _is_current(item_path, path))
        for text, item_path in MENU
        if item_path in roles and at_least(staff.role, roles[item_path])
    ]


def staff_page(
    request: AnyRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """A whole back-office page (never cached: it shows personal data)."""
    full_context = {
        "staff": request.state.get("staff"),
        "commune": getattr(request.app.state, "commune", None),
        "role_label": label,
        "when": when,
        **(context or {}),
    }
    return Template(
        template,
        context=full_context,
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Vary": "HX-Request", **(headers or {})},
    )

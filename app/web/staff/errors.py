"""What an anonymous visitor or a member without the role gets on a staff page."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Response

from app.web.staff.auth import StaffForbidden, StaffLoginRequired
from app.web.staff.view import staff_page

FORBIDDEN = (
    "Accès refusé",
    "Votre rôle ne permet pas d'ouvrir cette page ni de faire cette action. Si vous en avez "
    "besoin, demandez-le à un administrateur de la commune.",
)
LOGGED_OUT = (
    "Session expirée",
    "Vous n'êtes pas ou plus connecté : rien n'a été enregistré. Connectez-vous puis recommencez.",
)


def login_required_handler(
    request: Request[Any, Any, Any], exc: StaffLoginRequired
) -> Response[Any]:
    if request.headers.get("hx-request") == "true":
        # htmx would follow a 303 and swap the login page into a part of the page: it is
        # told to load the login page as a whole instead.
        return Response(
            b"",
            status_code=200,
            headers={"HX-Redirect": exc.return_to, "Cache-Control": "no-store"},
        )
    return Redirect(exc.return_to, status_code=303, headers={"Cache-Control": "no-store"})


def forbidden_handler(request: Request[Any, Any, Any], exc: StaffForbidden) -> Response[Any]:
    title, message = FORBIDDEN if exc.logged_in else LOGGED_OUT
    return staff_page(
        request,
        "staff/error.html",
        {"title": title, "message": message, "status_code": 403, "logged_in": exc.logged_in},
        status_code=403,
    )

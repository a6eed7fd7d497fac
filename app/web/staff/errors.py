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


# The back office's wording where the citizen pages' would send staff to the booking flow
# (or promise that their answers are kept).
STAFF_MESSAGES = {
    404: (
        "Page introuvable",
        "Cette page du back-office n'existe pas, ou ce qu'elle montrait a été supprimé. "
        "Vérifiez l'adresse, ou repartez du menu du back-office.",
    ),
    405: (
        "Action impossible sur cette page",
        "Cette page ne s'utilise pas de cette façon. Repartez du menu du back-office.",
    ),
    500: (
        "Une erreur est survenue",
        "Le service a rencontré un problème. Vérifiez dans le back-office ce qui a été "
        "enregistré, puis réessayez dans quelques instants.",
    ),
}


def staff_error_page(request: Request[Any, Any, Any], context: dict[str, Any]) -> Response[Any]:
    """An error page of the back office (the context of app.web.errors.error_page)."""
    status_code = context["status_code"]
    if status_code in STAFF_MESSAGES:
        title, message = STAFF_MESSAGES[status_code]
        context = {**context, "title": title, "message": message, "page_title": title}
    return staff_page(request, "staff/error.html", context, status_code=status_code)


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

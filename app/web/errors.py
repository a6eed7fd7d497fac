"""Every error a visitor can meet gets a French page with a way back, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Response

from app.web.rendering import render
from app.web.staff.view import staff_page

logger = logging.getLogger("creneau.web")

MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Demande incomprise",
        "Les informations envoyées n'ont pas pu être lues. Revenez à la page précédente "
        "et réessayez.",
    ),
    403: (
        "Formulaire expiré",
        "Pour votre sécurité, ce formulaire n'est plus valable (il a peut-être été ouvert "
        "dans un autre onglet ou il y a longtemps). Rechargez la page puis recommencez.",
    ),
    404: (
        "Page introuvable",
        "L'adresse demandée n'existe pas ou plus. Vérifiez-la, ou reprenez la prise de "
        "rendez-vous depuis le début.",
    ),
    405: (
        "Action impossible sur cette page",
        "Cette page ne s'utilise pas de cette façon. Reprenez la prise de rendez-vous depuis "
        "le début.",
    ),
    413: (
        "Envoi trop volumineux",
        "Les informations envoyées sont trop longues. Raccourcissez-les et réessayez.",
    ),
    500: (
        "Une erreur est survenue",
        "Le service a rencontré un problème. Vos réponses enregistrées sont conservées : "
        "réessayez dans quelques instants.",
    ),
}

# The back office's own wording where the citizen's would send staff to the booking wizard.
STAFF_MESSAGES: dict[int, tuple[str, str]] = {
    404: (
        "Page introuvable",
        "L'adresse demandée n'existe pas ou plus. Vérifiez-la, ou repartez du menu du back-office.",
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


def error_page(request: Request[Any, Any, Any], status_code: int) -> Response[Any]:
    known = status_code if status_code in MESSAGES else (500 if status_code >= 500 else 400)
    staff_side = request.url.path.startswith("/admin")
    title, message = (STAFF_MESSAGES if staff_side else MESSAGES).get(known, MESSAGES[known])
    context = {
        "title": title,
        "message": message,
        "status_code": status_code,
        "page_title": title,
        # Loaded at start-up: an error page must not depend on the database answering.
        "commune": getattr(request.app.state, "commune", None),
    }
    if staff_side:
        return staff_page(request, "staff/error.html", context, status_code=status_code)
    return render(request, "errors/error.html", context, status_code=status_code)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        logger.error("server error on %s %s", request.method, request.url.path, exc_info=exc)
    response = error_page(request, exc.status_code)
    response.headers.update(exc.headers or {})  # e.g. the `Allow` a 405 must carry
    return response


def unexpected_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500)

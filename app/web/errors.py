"""Every error a visitor can meet gets a French page with a way back, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Response

from app.db.unavailable import temporarily_unavailable
from app.web.rendering import render
from app.web.staff.errors import staff_error_page

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
    503: (
        "Service momentanément indisponible",
        "Le service est très sollicité en ce moment. Vos réponses enregistrées sont "
        "conservées : réessayez dans un instant.",
    ),
    500: (
        "Une erreur est survenue",
        "Le service a rencontré un problème. Vos réponses enregistrées sont conservées : "
        "réessayez dans quelques instants.",
    ),
}


def error_page(
    request: Request[Any, Any, Any], status_code: int, said: tuple[str, str] | None = None
) -> Response[Any]:
    """The French page of an error: `said` (title, message), or the status's usual ones."""
    known = status_code if status_code in MESSAGES else (500 if status_code >= 500 else 400)
    title, message = said or MESSAGES[known]
    context = {
        "title": title,
        "message": message,
        "status_code": status_code,
        "page_title": title,
        # Loaded at start-up: an error page must not depend on the database answering.
        "commune": getattr(request.app.state, "commune", None),
    }
    if request.url.path.startswith("/admin"):
        return staff_error_page(request, context)
    return render(request, "errors/error.html", context, status_code=status_code)


def too_many_requests_page(
    request: Request[Any, Any, Any], seconds: int, *, answers_kept: bool
) -> Response[Any]:
    """429: this connection asked too often (app/protection); says when to come back."""
    minutes = max(1, -(-seconds // 60))
    wait = "une minute" if minutes == 1 else f"{minutes} minutes"
    kept = " : vos réponses sont conservées" if answers_kept else ""
    message = (
        "Pour laisser sa chance à chacun, le nombre de demandes de rendez-vous venant "
        f"d'une même connexion est limité. Réessayez dans {wait}{kept}."
    )
    response = error_page(request, 429, ("Trop de demandes depuis votre connexion", message))
    response.headers["Retry-After"] = str(seconds)
    return response


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        logger.error("server error on %s %s", request.method, request.url.path, exc_info=exc)
    response = error_page(request, exc.status_code)
    response.headers.update(exc.headers or {})  # e.g. the `Allow` a 405 must carry
    return response


def unexpected_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500)


# Seconds a client is asked to wait when the database has no connection to give.
RETRY_AFTER_SECONDS = 5


def database_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A database out of connections (pool or server), restarting, or locked: 503 with
    `Retry-After`, « réessayez dans un instant ». Any other error stays a 500."""
    if not temporarily_unavailable(exc):
        return unexpected_exception_handler(request, exc)
    # One line, without the statement or its parameters: the cause is the database's load.
    logger.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    response = error_page(request, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

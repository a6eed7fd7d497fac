"""The commune's public pages and assets: legal notice, accessibility statement, logo and
the stylesheet carrying its colour. Read from the database on each request, so a change
made by an administrator shows at once in every process."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import select

from app.booking.catalogue import current_commune
from app.configuration import colours
from app.db.models import Commune
from app.web.rendering import render

FOREVER = "public, max-age=31536000, immutable"  # the address changes with the content


async def _commune_page(request: Request[Any, Any, Any], title: str, field: str) -> Response[Any]:
    async with request.app.state.db.read() as session:
        commune = await current_commune(session)
    if commune is None:
        raise NotFoundException()
    return render(
        request,
        "commune/page.html",
        {"commune": commune, "page_title": title, "body": getattr(commune, field)},
    )


@get("/mentions-legales", name="legal-notice")
async def legal_notice(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _commune_page(request, "Mentions légales", "legal_notice_html")


@get("/accessibilite", name="accessibility")
async def accessibility(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _commune_page(request, "Déclaration d'accessibilité", "accessibility_html")


@get("/logo/{name:str}", name="commune-logo")
async def commune_logo(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """The logo under its digest: /logo/<sha256>."""
    async with request.app.state.db.read() as session:
        row = (
            await session.execute(
                select(Commune.logo_data, Commune.logo_content_type)
                .where(Commune.logo_digest == name, Commune.logo_digest != "")
                .limit(1)
            )
        ).first()
    if row is None or not row.logo_data:
        raise NotFoundException()
    return Response(
        row.logo_data,
        media_type=row.logo_content_type,
        headers={"Cache-Control": FOREVER, "Content-Disposition": "inline"},
    )


@get("/habillage/{name:str}", name="commune-colours", sync_to_thread=False)
def commune_colours(name: FromPath[str]) -> Response[str]:
    """/habillage/1b4f8a.css: the colour variables of the citizen pages (no inline style:
    the Content-Security-Policy allows only our own stylesheets)."""
    colour = colours.normalise(name.removesuffix(".css")) if name.endswith(".css") else None
    if colour is None:
        raise NotFoundException()
    body = f":root {{ --primaire: {colour}; --primaire-fonce: {colours.darker(colour)}; }}\n"
    return Response(body, media_type="text/css", headers={"Cache-Control": FOREVER})

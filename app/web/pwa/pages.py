"""The pages of the installed app: "Mes rendez-vous" (what this device remembers, drawn
by static/js/pwa.js from IndexedDB), one booking's detail, and the offline pages. They hold
no personal data, so the service worker can keep them; `POST /mes-rendez-vous/etat`
refreshes what the device remembers when the network is there."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.response import Response, Template

from app.booking import changes, links
from app.booking.catalogue import current_commune
from app.booking.links import LinkState
from app.web.pwa.memo import Status, device_memo

AnyRequest = Request[Any, Any, Any]
# "Mes rendez-vous" asks about at most this many bookings at once.
MAX_LINKS = 50
STATES = {
    LinkState.USABLE: "confirme",
    LinkState.CANCELLED: "annule",
    LinkState.PAST: "passe",
    LinkState.SUPERSEDED: "remplace",
    LinkState.UNKNOWN: "inconnu",
}


async def _page(request: AnyRequest, template: str, title: str, **extra: Any) -> Template:
    async with request.app.state.db.read() as session:
        commune = await current_commune(session)
    return Template(
        template_name=template,
        context={"commune": commune, "page_title": title, **extra},
        headers={"Cache-Control": "no-cache", "Vary": "HX-Request"},
    )


class DevicePagesController(Controller):
    @get("/mes-rendez-vous", name="my-bookings")
    async def my_bookings(self, request: AnyRequest) -> Template:
        return await _page(request, "pwa/mes_rendez_vous.html", "Mes rendez-vous")

    @get("/mes-rendez-vous/rendez-vous", name="my-booking")
    async def my_booking(self, request: AnyRequest) -> Template:
        return await _page(request, "pwa/rendez_vous.html", "Mon rendez-vous")

    @get("/hors-ligne", name="offline")
    async def offline(self, request: AnyRequest) -> Template:
        return await _page(request, "pwa/hors_ligne.html", "Hors connexion", modification=False)

    @get("/hors-ligne/modification", name="offline-modification")
    async def offline_modification(self, request: AnyRequest) -> Template:
        return await _page(
            request,
            "pwa/hors_ligne.html",
            "Modification impossible hors connexion",
            modification=True,
        )

    @post("/mes-rendez-vous/etat", name="my-bookings-state")
    async def refresh(self, request: AnyRequest) -> Response[dict[str, Any]]:
        """For each remembered cancel link: what has become of its booking, and the booking
        as the device may now show it (new links when it changed)."""
        body = await request.json()
        paths = body.get("liens") if isinstance(body, dict) else None
        if not isinstance(paths, list) or len(paths) > MAX_LINKS:
            raise HTTPException(status_code=400, detail="Requête non valable.")
        state = request.app.state
        settings, now, db = state.settings, state.clock(), state.db
        answers = []
        for path in paths:
            if not isinstance(path, str) or not path.startswith(links.CANCEL_PREFIX):
                continue
            claim = links.read_token(
                settings.secret_key, path.removeprefix(links.CANCEL_PREFIX), "cancel"
            )
            booking = await changes.find_booking(db, claim.booking_id) if claim else None
            current = links.link_state(claim, booking, now) if claim else LinkState.UNKNOWN
            answer: dict[str, Any] = {"lien": path, "etat": STATES[current]}
            # A replaced link gets no newer ones: the last e-mail has them.
            if current is not LinkState.SUPERSEDED and booking and booking.anonymised_at is None:
                status: Status = "annule" if booking.status == "cancelled" else "confirme"
                answer["rendez_vous"] = device_memo(booking, settings.secret_key, status)
            answers.append(answer)
        return Response({"rendez_vous": answers}, headers={"Cache-Control": "no-store"})

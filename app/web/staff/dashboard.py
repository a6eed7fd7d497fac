"""/admin: the back office's home page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Response
from sqlalchemy import func, select

from app.db.models import Booking, Desk, Site
from app.web.staff.auth import CurrentStaff, staff_only, visible_site_ids
from app.web.staff.view import staff_menu, staff_page

AnyRequest = Request[Any, Any, Any]

DESCRIPTIONS = {
    "/admin/planning": "Les rendez-vous par jour et par semaine, les places libres.",
    "/admin/rendez-vous": "Chercher un rendez-vous, le déplacer ou l'annuler.",
    "/admin/reserver": "Prendre un rendez-vous pour une personne au téléphone ou au guichet.",
    "/admin/export": "Télécharger les rendez-vous d'une période (tableur).",
    "/admin/statistiques": "Réservations, taux de remplissage, absences.",
    "/admin/configuration": "La commune, les sites, les types de rendez-vous, les horaires.",
    "/admin/rgpd": "Retrouver, exporter ou effacer les données d'une personne.",
    "/admin/comptes": "Les comptes du personnel, leurs rôles et leurs sites.",
    "/admin/journal": "Qui a fait quoi, et quand.",
    "/admin/compte": "Votre mot de passe.",
}


async def todays_counts(request: AnyRequest, staff: CurrentStaff) -> list[tuple[str, int]]:
    """Confirmed bookings of today, per site the member sees (each site's own day)."""
    now: datetime = request.app.state.clock()
    visible = visible_site_ids(staff)
    async with request.app.state.db.read() as session:
        query = select(Site).order_by(Site.position, Site.id)
        if visible is not None:
            query = query.where(Site.id.in_(visible))
        sites = list((await session.execute(query)).scalars())
        counts = []
        for site in sites:
            local = now.astimezone(ZoneInfo(site.timezone))
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            count = (
                await session.execute(
                    select(func.count())
                    .select_from(Booking)
                    .join(Desk, Desk.id == Booking.desk_id)
                    .where(
                        Desk.site_id == site.id,
                        Booking.status == "confirmed",
                        Booking.start >= start,
                        Booking.start < start + timedelta(days=1),
                    )
                )
            ).scalar_one()
            counts.append((site.name, count))
    return counts


class DashboardController(Controller):
    path = "/admin"
    guards = [staff_only]
    opt = {"role": "viewer"}

    @get("/", name="staff-dashboard")
    async def dashboard(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        links = [
            (item, DESCRIPTIONS.get(item.path, ""))
            for item in staff_menu(request)
            if item.path != "/admin"
        ]
        return staff_page(
            request,
            "staff/dashboard.html",
            {"links": links, "counts": await todays_counts(request, staff)},
        )

"""/admin/export: the bookings of a period as a CSV file (every staff role, their sites)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, get, post
from litestar.response import Response, Template

from app.reports.csv_export import bookings_csv, export_filename
from app.reports.period import PeriodError, parse_period
from app.reports.rows import bookings_between
from app.staff.audit import record
from app.web.citizen.forms import read_form
from app.web.staff.auth import staff_only
from app.web.staff.data_access import AnyRequest, chosen_sites, readable_sites, staff_of
from app.web.staff.view import PARIS, staff_page

TEMPLATE = "staff/export.html"


def default_values(today: date) -> dict[str, str]:
    """From the first day of the month to the end of the next four weeks."""
    return {
        "du": today.replace(day=1).isoformat(),
        "au": (today + timedelta(days=28)).isoformat(),
        "site": "",
    }


class ExportController(Controller):
    path = "/admin/export"

    @get("/", guards=[staff_only], opt={"role": "viewer"}, name="staff-export")
    async def form(self, request: AnyRequest) -> Template:
        today = request.app.state.clock().astimezone(PARIS).date()  # the back office's day
        return await self._page(request, default_values(today), {})

    @post("/", guards=[staff_only], opt={"role": "viewer"})
    async def download(self, request: AnyRequest) -> Response[Any]:
        values = await read_form(request)
        db = request.app.state.db
        staff = staff_of(request)
        errors: dict[str, str] = {}
        async with db.read() as session:
            sites = await readable_sites(session, staff)
        site_ids, site, site_error = chosen_sites(values.get("site"), sites)
        if site_error:
            errors["site"] = site_error
        try:
            period = parse_period(values.get("du", ""), values.get("au", ""))
        except PeriodError as error:
            errors = {**error.errors, **errors}
        if errors:
            return await self._page(request, values, errors, status_code=422)
        now = request.app.state.clock()
        async with db.write() as session:
            rows = await bookings_between(session, period.first_day, period.last_day, site_ids)
            where = site.name if site else "tous les sites"
            await record(
                session,
                staff,
                "export_csv",
                f"site:{site.id}" if site else "sites",
                f"Export CSV du {period.first_day:%d/%m/%Y} au {period.last_day:%d/%m/%Y} "
                f"({where}) : {len(rows)} rendez-vous",
                {
                    "du": period.first_day.isoformat(),
                    "au": period.last_day.isoformat(),
                    "sites": sorted(site_ids or []),
                    "lignes": len(rows),
                },
                now=now,
            )
        name = export_filename(period.first_day, period.last_day, site.name if site else None)
        return Response(
            status_code=200,
            content=bookings_csv(rows),
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def _page(
        self,
        request: AnyRequest,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        status_code: int = 200,
    ) -> Template:
        async with request.app.state.db.read() as session:
            sites = await readable_sites(session, staff_of(request))
        return staff_page(
            request,
            TEMPLATE,
            {"values": values, "errors": errors, "sites": sites},
            status_code=status_code,
        )

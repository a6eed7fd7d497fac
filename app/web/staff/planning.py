"""/admin/planning: a site's (or a desk's) day or week for the agents: bookings, absences,
closures and free places. Filters are GET parameters (view, day, site, desk: nothing
personal); the day's list prints on one or two A4 pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Response

from app.booking.agenda import load_agenda, visible_sites
from app.booking.planning import monday_of
from app.web.staff.agent_view import ATTENDANCE_LABELS, STATUS_LABELS, parse_day, parse_int
from app.web.staff.auth import CurrentStaff, staff_only, visible_site_ids
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
VIEWS = ("jour", "semaine")


class PlanningController(Controller):
    path = "/admin/planning"
    guards = [staff_only]
    opt = {"role": "viewer"}

    @get("/", name="staff-planning")
    async def planning(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        vue: FromQuery[str | None] = None,
        jour: FromQuery[str | None] = None,
        site: FromQuery[str | None] = None,
        guichet: FromQuery[str | None] = None,
    ) -> Response[Any]:
        view = vue if vue in VIEWS else "jour"
        now = request.app.state.clock()
        async with request.app.state.db.read() as session:
            sites = await visible_sites(session, visible_site_ids(staff))
            if not sites and not site:
                return staff_page(request, "staff/planning_no_site.html")
            if not sites:
                raise NotFoundException()
            chosen = sites[0]
            if site:
                asked = next((s for s in sites if s.id == parse_int(site)), None)
                if asked is None:
                    raise NotFoundException()  # no such site, or not one of the agent's
                chosen = asked
            desk = next((d for d in chosen.desks if d.id == parse_int(guichet)), None)
            tz = ZoneInfo(chosen.timezone)
            today = now.astimezone(tz).date()
            day = parse_day(jour) or today
            first, last = (
                (day, day)
                if view == "jour"
                else (monday_of(day), monday_of(day) + timedelta(days=6))
            )
            days = await load_agenda(session, chosen, desk, first, last, now)

        step = timedelta(days=1 if view == "jour" else 7)

        def link(**changes: Any) -> str:
            params = {"vue": view, "jour": day.isoformat(), "site": chosen.id}
            if desk is not None:
                params["guichet"] = desk.id
            params.update(changes)
            return "/admin/planning?" + urlencode(params)

        context = {
            "view": view,
            "sites": sites,
            "site": chosen,
            "desk": desk,
            "day": day,
            "first": first,
            "last": last,
            "today": today,
            "days": days,
            "tz": tz,
            "previous_link": link(jour=(day - step).isoformat()),
            "next_link": link(jour=(day + step).isoformat()),
            "today_link": link(jour=today.isoformat()),
            "day_link": lambda d: link(vue="jour", jour=d.isoformat()),
            "other_view_link": link(vue="semaine" if view == "jour" else "jour"),
            "status_labels": STATUS_LABELS,
            "attendance_labels": ATTENDANCE_LABELS,
        }
        return staff_page(request, "staff/planning.html", context)

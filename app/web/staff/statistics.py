"""/admin/statistiques: figures of a period (every staff role, their sites), as tables and
as SVG charts. A GET form: the period and the site are no personal data."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template

from app.reports.charts import Bar, column_chart, row_chart
from app.reports.period import PeriodError, last_weeks, parse_period
from app.reports.statistics import Statistics, statistics
from app.reports.wording import lead_time, percent
from app.web.staff.auth import staff_only
from app.web.staff.data_access import AnyRequest, chosen_sites, readable_sites, staff_of
from app.web.staff.view import PARIS, staff_page

TEMPLATE = "staff/statistiques.html"


def charts(result: Statistics, where: str) -> dict[str, Any]:
    weeks = [
        Bar(f"{monday:%d/%m}", figures.bookings, str(figures.bookings))
        for monday, figures in result.weeks.items()
    ]
    types = [
        Bar(f"{line.title} ({line.site})", line.figures.bookings, str(line.figures.bookings))
        for line in result.types
    ]
    fill = [
        Bar(
            f"{monday:%d/%m}",
            (figures.fill_rate or 0) * 100,
            percent(figures.fill_rate),
        )
        for monday, figures in result.weeks.items()
    ]
    period = f"du {result.period.first_day:%d/%m/%Y} au {result.period.last_day:%d/%m/%Y}, {where}"
    return {
        "weeks": column_chart(
            "graphique-semaines",
            "Rendez-vous par semaine",
            f"Nombre de rendez-vous maintenus par semaine (date du lundi), {period}. "
            "Les chiffres sont aussi dans le tableau « Par semaine ».",
            weeks,
        ),
        "fill": column_chart(
            "graphique-remplissage",
            "Taux de remplissage par semaine",
            f"Places réservées sur places offertes, par semaine, {period}. "
            "Les chiffres sont aussi dans le tableau « Par semaine ».",
            fill,
        ),
        "types": row_chart(
            "graphique-types",
            "Rendez-vous par type",
            f"Nombre de rendez-vous maintenus par type, {period}. "
            "Les chiffres sont aussi dans le tableau « Par type de rendez-vous ».",
            types,
        ),
    }


class StatisticsController(Controller):
    path = "/admin/statistiques"

    @get("/", guards=[staff_only], opt={"role": "viewer"}, name="staff-statistics")
    async def page(
        self,
        request: AnyRequest,
        du: FromQuery[str | None] = None,
        au: FromQuery[str | None] = None,
        site: FromQuery[str | None] = None,
    ) -> Template:
        today = request.app.state.clock().astimezone(PARIS).date()  # the back office's day
        default = last_weeks(today)
        values = {
            "du": du if du is not None else default.first_day.isoformat(),
            "au": au if au is not None else default.last_day.isoformat(),
            "site": site or "",
        }
        errors: dict[str, str] = {}
        async with request.app.state.db.read() as session:
            sites = await readable_sites(session, staff_of(request))
            site_ids, chosen, site_error = chosen_sites(values["site"], sites)
            if site_error:
                errors["site"] = site_error
            try:
                period = parse_period(values["du"], values["au"])
                values["du"], values["au"] = (
                    period.first_day.isoformat(),
                    period.last_day.isoformat(),
                )
            except PeriodError as error:
                errors = {**error.errors, **errors}
            result = None if errors else await statistics(session, period, site_ids)
        context: dict[str, Any] = {
            "values": values,
            "errors": errors,
            "sites": sites,
            "result": result,
            "where": chosen.name if chosen else "tous les sites",
            "percent": percent,
            "lead_time": lead_time,
        }
        if result is not None:
            context["charts"] = charts(result, context["where"])
        return staff_page(request, TEMPLATE, context, status_code=422 if errors else 200)

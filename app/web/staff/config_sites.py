"""/admin/configuration/sites: sites and their closures, for administrators."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.configuration import sites as domain
from app.db.models import Site
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.forms import read_form
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
BASE = "/admin/configuration/sites"
NOTICES = {
    "cree": "Le site est créé.",
    "enregistre": "Le site est enregistré.",
    "ferme": "La fermeture est enregistrée.",
    "ferme-annules": "La fermeture est enregistrée et les rendez-vous de ces jours sont "
    "annulés ; chaque personne a été prévenue.",
    "ferme-gardes": "La fermeture est enregistrée ; les rendez-vous déjà pris ces jours-là "
    "sont maintenus.",
    "rouvert": "La fermeture est supprimée.",
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# Years far from now are typos (and the last days of year 9999 overflow).
YEARS = range(1900, 3000)


def parse_day(value: str) -> date | None:
    value = value.strip()
    try:
        if ISO_DAY.match(value):
            day = date.fromisoformat(value)
        elif match := FRENCH_DAY.match(value):
            day_of_month, month, year = (int(part) for part in match.groups())
            day = date(year, month, day_of_month)
        else:
            return None
    except ValueError:
        return None
    return day if day.year in YEARS else None


class SitesController(Controller):
    path = BASE
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="staff-config-sites")
    async def index(self, request: AnyRequest, etat: FromQuery[str | None] = None) -> Response[Any]:
        async with request.app.state.db.read() as session:
            sites = await domain.list_sites(session)
        return staff_page(
            request, "staff/config/sites.html", {"sites": sites, "notice": NOTICES.get(etat or "")}
        )

    @get("/nouveau", name="staff-config-site-new")
    async def new_form(self, request: AnyRequest) -> Response[Any]:
        values = {"name": "", "address": "", "timezone": "Europe/Paris"}
        return await self._site_page(request, None, values, {})

    @post("/nouveau")
    async def create(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        return await self._save(request, staff, None)

    @get("/{site_id:int}", name="staff-config-site")
    async def edit_form(
        self, request: AnyRequest, site_id: FromPath[int], etat: FromQuery[str | None] = None
    ) -> Response[Any]:
        site = await self._site(request, site_id)
        values = {"name": site.name, "address": site.address, "timezone": site.timezone}
        return await self._site_page(request, site, values, {}, notice=NOTICES.get(etat or ""))

    @post("/{site_id:int}")
    async def update(
        self, request: AnyRequest, staff: CurrentStaff, site_id: FromPath[int]
    ) -> Response[Any]:
        return await self._save(request, staff, await self._site(request, site_id))

    @post("/{site_id:int}/fermetures")
    async def add_closure(
        self, request: AnyRequest, staff: CurrentStaff, site_id: FromPath[int]
    ) -> Response[Any]:
        site = await self._site(request, site_id)
        form = await read_form(request)
        closure = {
            "first_day": form.get("first_day", ""),
            "last_day": form.get("last_day", ""),
            "label": form.get("label", "").strip(),
        }
        first, last = parse_day(closure["first_day"]), parse_day(closure["last_day"])
        errors = domain.check_closure(first, last, closure["label"])
        values = {"name": site.name, "address": site.address, "timezone": site.timezone}
        if errors:
            return await self._site_page(
                request, site, values, {}, closure=closure, closure_errors=errors, status_code=422
            )
        assert first is not None and last is not None
        decision = form.get("decision") or None
        state = request.app.state
        async with state.db.write() as session:
            stored = await session.get(Site, site.id)
            result = await domain.add_closure(
                session, staff, state.settings, stored, first=first, last=last,
                label=closure["label"], decision=decision, now=state.clock(),
            )  # fmt: skip
        if isinstance(result, domain.ClosureConflict):
            return staff_page(
                request,
                "staff/config/closure_conflict.html",
                {"site": site, "closure": closure, "first": first, "last": last,
                 "bookings": result.bookings,
                 "local": lambda moment: moment.astimezone(ZoneInfo(site.timezone))},
                status_code=409,
            )  # fmt: skip
        outcome = {domain.CANCEL: "ferme-annules", domain.KEEP: "ferme-gardes"}.get(
            decision or "", "ferme"
        )
        return Redirect(f"{BASE}/{site.id}?etat={outcome}", status_code=303)

    @post("/{site_id:int}/fermetures/{closure_id:int}/supprimer")
    async def remove_closure(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        site_id: FromPath[int],
        closure_id: FromPath[int],
    ) -> Response[Any]:
        site = await self._site(request, site_id)
        async with request.app.state.db.write() as session:
            removed = await domain.remove_closure(
                session, staff, site, closure_id, request.app.state.clock()
            )
        if not removed:
            raise NotFoundException()
        return Redirect(f"{BASE}/{site.id}?etat=rouvert", status_code=303)

    async def _save(self, request: AnyRequest, staff: Any, site: Site | None) -> Response[Any]:
        form = await read_form(request)
        values = {
            "name": form.get("name", "").strip(),
            "address": form.get("address", "").strip(),
            "timezone": form.get("timezone", "").strip(),
        }
        errors = domain.check_site(**values)
        if errors:
            return await self._site_page(request, site, values, errors, status_code=422)
        async with request.app.state.db.write() as session:
            saved = await domain.save_site(
                session, staff, site_id=site.id if site else None, commune_id=staff.commune_id,
                now=request.app.state.clock(), **values,
            )  # fmt: skip
        return Redirect(
            f"{BASE}/{saved.id}?etat={'enregistre' if site else 'cree'}", status_code=303
        )

    async def _site(self, request: AnyRequest, site_id: int) -> Site:
        async with request.app.state.db.read() as session:
            site = await domain.get_site(session, site_id)
        if site is None:
            raise NotFoundException()
        return site

    async def _site_page(
        self,
        request: AnyRequest,
        site: Site | None,
        values: dict[str, str],
        errors: dict[str, str],
        *,
        notice: str | None = None,
        closure: dict[str, str] | None = None,
        closure_errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        closures = []
        if site is not None:
            async with request.app.state.db.read() as session:
                closures = await domain.closures_of(session, site.id)
        return staff_page(
            request,
            "staff/config/site_form.html",
            {
                "site": site,
                "values": values,
                "errors": {**errors, **(closure_errors or {})},
                "notice": notice,
                "closures": closures,
                "closure": closure or {"first_day": "", "last_day": "", "label": ""},
            },
            status_code=status_code,
        )

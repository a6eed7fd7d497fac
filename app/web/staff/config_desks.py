"""/admin/configuration/guichets: desks, the types they serve, their calendar connection."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.calendar_sync.connections import load_connection
from app.calendar_sync.desk_event import DETAILS
from app.configuration import desk_calendars
from app.configuration import desks as domain
from app.configuration.sites import list_sites
from app.db.models import Desk
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.forms import int_list, parse_int, read_form
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
BASE = "/admin/configuration/guichets"
NOTICES = {
    "cree": "Le guichet est créé.",
    "enregistre": "Le guichet est enregistré.",
    "supprime": "Le guichet est supprimé.",
    "agenda": "L'agenda est connecté : les rendez-vous à venir y seront publiés.",
    "deconnecte": "L'agenda est déconnecté.",
    "confidentialite": "Le choix est enregistré : il vaut pour les agendas de tous les "
    "guichets et pour les adresses d'abonnement.",
}


class DesksController(Controller):
    path = BASE
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="staff-config-desks")
    async def index(self, request: AnyRequest, etat: FromQuery[str | None] = None) -> Response[Any]:
        async with request.app.state.db.read() as session:
            desks = await domain.list_desks(session)
            connections = await domain.connections_by_desk(session)
        return staff_page(
            request,
            "staff/config/desks.html",
            {"desks": desks, "connections": connections, "notice": NOTICES.get(etat or "")},
        )

    @get("/nouveau", name="staff-config-desk-new")
    async def new_form(self, request: AnyRequest) -> Response[Any]:
        return await self._desk_page(request, None, {"name": "", "site_id": None, "types": []}, {})

    @post("/nouveau")
    async def create(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        return await self._save(request, staff, None)

    @get("/{desk_id:int}", name="staff-config-desk")
    async def edit_form(
        self, request: AnyRequest, desk_id: FromPath[int], etat: FromQuery[str | None] = None
    ) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        values = {"name": desk.name, "site_id": desk.site_id, "types": [t.id for t in desk.types]}
        return await self._desk_page(request, desk, values, {}, notice=NOTICES.get(etat or ""))

    @post("/{desk_id:int}")
    async def update(
        self, request: AnyRequest, staff: CurrentStaff, desk_id: FromPath[int]
    ) -> Response[Any]:
        return await self._save(request, staff, await self._desk(request, desk_id))

    @post("/{desk_id:int}/supprimer")
    async def remove(
        self, request: AnyRequest, staff: CurrentStaff, desk_id: FromPath[int]
    ) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        async with request.app.state.db.write() as session:
            refused = await domain.remove_desk(session, staff, desk.id, request.app.state.clock())
        if refused is None:
            return Redirect(f"{BASE}?etat=supprime", status_code=303)
        zone = ZoneInfo(desk.site.timezone)
        return staff_page(
            request,
            "staff/config/desk_in_use.html",
            {
                "desk": desk,
                "future": refused.future,
                "past_count": refused.past_count,
                "local": lambda moment: moment.astimezone(zone),
            },
            status_code=409,
        )

    # --- calendar connection -----------------------------------------------------------

    @get("/{desk_id:int}/agenda", name="staff-config-desk-calendar")
    async def calendar_form(self, request: AnyRequest, desk_id: FromPath[int]) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        async with request.app.state.db.read() as session:
            connection = await load_connection(session, desk.id)
        values = self._calendar_values(connection)
        return await self._calendar_page(request, desk, connection, values, {})

    @post("/{desk_id:int}/agenda")
    async def calendar_save(
        self, request: AnyRequest, staff: CurrentStaff, desk_id: FromPath[int]
    ) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        raw = await read_form(request)
        form = desk_calendars.CalendarForm(
            server_url=raw.get("server_url", "").strip(),
            username=raw.get("username", "").strip(),
            password=raw.get("calendar_password", ""),
            agent_email=raw.get("agent_email", "").strip(),
            publish_calendar_url=raw.get("publish_calendar_url", "").strip(),
            read_calendar_urls=[
                line.strip() for line in raw.get("read_calendar_urls", "").splitlines()
                if line.strip()
            ],
            all_busy=raw.get("all_busy") == "oui",
        )  # fmt: skip
        state = request.app.state
        async with state.db.read() as session:
            connection = await load_connection(session, desk.id)
        values = {
            "server_url": form.server_url, "username": form.username,
            "agent_email": form.agent_email, "publish_calendar_url": form.publish_calendar_url,
            "read_calendar_urls": "\n".join(form.read_calendar_urls), "all_busy": form.all_busy,
        }  # fmt: skip
        reusable = connection is not None and desk_calendars.same_account(
            connection, form.server_url, form.username
        )
        errors = form.errors(has_stored_password=reusable)
        if connection is not None and not reusable and "calendar_password" in errors:
            errors["calendar_password"] = desk_calendars.OTHER_ACCOUNT
        if errors:
            return await self._calendar_page(request, desk, connection, values, errors, status=422)
        outcome = await desk_calendars.connect(
            state.db, state.settings, staff, desk, form, state.clock()
        )
        if not outcome.saved:
            return await self._calendar_page(
                request, desk, connection, values, {}, report=outcome.report,
                problem=outcome.problem or "La connexion n'a pas été enregistrée : "
                "voyez l'étape en échec ci-dessous.", status=422,
            )  # fmt: skip
        return Redirect(f"{BASE}/{desk.id}/agenda?etat=agenda", status_code=303)

    @post("/{desk_id:int}/agenda/tester")
    async def calendar_test(self, request: AnyRequest, desk_id: FromPath[int]) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        state = request.app.state
        outcome = await desk_calendars.test_stored(state.db, state.settings, desk.id)
        async with state.db.read() as session:
            connection = await load_connection(session, desk.id)
        values = {
            "server_url": connection.server_url if connection else "https://",
            "username": connection.username if connection else "",
            "agent_email": connection.agent_email if connection else "",
            "publish_calendar_url": connection.publish_calendar_url if connection else "",
            "read_calendar_urls": "\n".join(s.url for s in connection.sources)
            if connection
            else "",
            "all_busy": connection.all_busy if connection else False,
        }
        return await self._calendar_page(
            request, desk, connection, values, {}, report=outcome.report, problem=outcome.problem,
            tested=True,
        )  # fmt: skip

    @post("/{desk_id:int}/agenda/confidentialite")
    async def calendar_details(
        self, request: AnyRequest, staff: CurrentStaff, desk_id: FromPath[int]
    ) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        raw = await read_form(request)
        async with request.app.state.db.write() as session:
            error = await desk_calendars.choose_details(
                session, staff, raw.get("calendar_details", ""), request.app.state.clock()
            )
        if error is None:
            return Redirect(f"{BASE}/{desk.id}/agenda?etat=confidentialite", status_code=303)
        async with request.app.state.db.read() as session:
            connection = await load_connection(session, desk.id)
        return await self._calendar_page(
            request, desk, connection, self._calendar_values(connection), {},
            details_error=error, status=422,
        )  # fmt: skip

    @post("/{desk_id:int}/agenda/deconnecter")
    async def calendar_disconnect(
        self, request: AnyRequest, staff: CurrentStaff, desk_id: FromPath[int]
    ) -> Response[Any]:
        desk = await self._desk(request, desk_id)
        async with request.app.state.db.write() as session:
            await desk_calendars.disconnect(session, staff, desk, request.app.state.clock())
        return Redirect(f"{BASE}/{desk.id}?etat=deconnecte", status_code=303)

    # --- helpers ---------------------------------------------------------------------

    async def _save(self, request: AnyRequest, staff: Any, desk: Desk | None) -> Response[Any]:
        form = await read_form(request)
        name, site_id = form.get("name", "").strip(), parse_int(form.get("site_id"))
        type_ids = await int_list(request, "types")
        values = {"name": name, "site_id": site_id, "types": type_ids}
        async with request.app.state.db.read() as session:
            sites = await list_sites(session)
            types = await domain.all_types(session)
        errors = domain.check_desk(name, site_id, type_ids, sites, types)
        if errors or site_id is None:  # a missing site is one of the errors
            return await self._desk_page(request, desk, values, errors, status_code=422)
        try:
            async with request.app.state.db.write() as session:
                saved = await domain.save_desk(
                    session, staff, desk_id=desk.id if desk else None, name=name,
                    site_id=site_id, type_ids=type_ids, now=request.app.state.clock(),
                )  # fmt: skip
        except domain.DeskError as error:
            errors["site_id"] = str(error)
            return await self._desk_page(request, desk, values, errors, status_code=422)
        return Redirect(
            f"{BASE}/{saved.id}?etat={'enregistre' if desk else 'cree'}", status_code=303
        )

    async def _desk(self, request: AnyRequest, desk_id: int) -> Desk:
        async with request.app.state.db.read() as session:
            desk = await domain.get_desk(session, desk_id)
        if desk is None:
            raise NotFoundException()
        return desk

    async def _desk_page(
        self,
        request: AnyRequest,
        desk: Desk | None,
        values: dict[str, Any],
        errors: dict[str, str],
        *,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            sites = await list_sites(session)
            types = await domain.all_types(session)
            connection = await load_connection(session, desk.id) if desk else None
        return staff_page(
            request,
            "staff/config/desk_form.html",
            {
                "desk": desk,
                "values": values,
                "errors": errors,
                "notice": notice,
                "sites": sites,
                "types": types,
                "site_names": {site.id: site.name for site in sites},
                "connection": connection,
            },
            status_code=status_code,
        )

    @staticmethod
    def _calendar_values(connection: Any) -> dict[str, Any]:
        return {
            "server_url": connection.server_url if connection else "https://",
            "username": connection.username if connection else "",
            "agent_email": connection.agent_email if connection else "",
            "publish_calendar_url": connection.publish_calendar_url if connection else "",
            "read_calendar_urls": "\n".join(s.url for s in connection.sources)
            if connection
            else "",
            "all_busy": connection.all_busy if connection else False,
        }

    async def _calendar_page(
        self,
        request: AnyRequest,
        desk: Desk,
        connection: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        *,
        report: Any = None,
        problem: str | None = None,
        tested: bool = False,
        details_error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        etat = request.query_params.get("etat")
        async with request.app.state.db.read() as session:
            drifts = await desk_calendars.drifts(session, desk.id)
            details = await desk_calendars.details_choice(session)
        zone = ZoneInfo(desk.site.timezone)
        return staff_page(
            request,
            "staff/config/desk_calendar.html",
            {
                "desk": desk,
                "connection": connection,
                "values": values,
                "errors": errors,
                "report": report,
                "problem": problem,
                "tested": tested,
                "notice": NOTICES.get(etat or "") if etat else None,
                "drifts": drifts,
                "details": details,
                "details_choices": list(DETAILS.items()),
                "details_error": details_error,
                "local": lambda moment: moment.astimezone(zone),
            },
            status_code=status,
        )

"""/admin/configuration: the index of the settings, and the commune's identity."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.catalogue import current_commune
from app.configuration import identity
from app.configuration.logo import MAX_BYTES
from app.db.models import Commune
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.config_forms import IDENTITY_FORM_BODY, read_config_form
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
IDENTITY = "staff/configuration/commune.html"


class ConfigurationController(Controller):
    path = "/admin/configuration"
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="config-index")
    async def index(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        return staff_page(request, "staff/configuration/index.html")

    @get("/commune", name="config-commune")
    async def commune_form(
        self, request: AnyRequest, staff: CurrentStaff, fait: FromQuery[str | None] = None
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            commune = await _commune(session)
        return staff_page(
            request,
            IDENTITY,
            {
                "values": identity.form_values(commune),
                "errors": {},
                "saved": fait == "1",
                "current": commune,
                "max_logo_kb": MAX_BYTES // 1024,
            },
        )

    @post("/commune", request_max_body_size=IDENTITY_FORM_BODY)
    async def commune_save(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        form = await read_config_form(request, file_field="logo")
        parsed, errors, values = identity.parse(form.values, form.file)
        state = request.app.state
        async with state.db.write() as session:
            commune = await _commune(session)
            if parsed is None:
                return staff_page(
                    request,
                    IDENTITY,
                    {
                        "values": values,
                        "errors": errors.messages,
                        "saved": False,
                        "current": commune,
                        "max_logo_kb": MAX_BYTES // 1024,
                    },
                    status_code=422,
                )
            await identity.save(session, commune, parsed, staff, state.clock())
        async with state.db.read() as session:
            # This process's copy (error pages, back-office header); citizen pages read
            # the commune on each request.
            state.commune = await current_commune(session)
        return Redirect("/admin/configuration/commune?fait=1", status_code=303)


async def _commune(session: AsyncSession) -> Commune:
    """The commune being configured (there is one: the administrator's account is in it)."""
    commune = await current_commune(session)
    if commune is None:
        raise NotFoundException()
    return commune

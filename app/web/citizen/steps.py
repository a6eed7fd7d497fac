"""Steps 1 to 4 of the citizen flow: type, information, people, contact details."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response

from app.booking import wizard
from app.booking.catalogue import get_type, type_groups
from app.booking.changes import modified_booking_id
from app.booking.contact import display_phone, validate_contact
from app.booking.limits import citizen_limit
from app.booking.reference import reference
from app.web.citizen.forms import parse_int, read_form
from app.web.citizen.notices import limit_message
from app.web.citizen.protection import over_limit
from app.web.citizen.session import (
    DRAFT_COOKIE,
    RESTART_REASONS,
    CitizenContext,
    Visit,
    current_draft,
    draft_cookie,
    see_other,
    visit,
)
from app.web.citizen.view import step_context
from app.web.rendering import render

AnyRequest = Request[Any, Any, Any]


class EarlyStepsController(Controller):
    path = "/rendez-vous"

    @get("/", name="wizard-start")
    async def start(self) -> Redirect:
        return see_other(wizard.step(1).path)

    # --- 1. type -------------------------------------------------------------------

    @get("/type", name="step-type")
    async def type_form(
        self, request: AnyRequest, motif: FromQuery[str | None] = None
    ) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        selected = draft.state.get("type_id") if draft and draft.booking_id is None else None
        return await self._type_page(request, selected, notice=RESTART_REASONS.get(motif or ""))

    @post("/type")
    async def type_submit(self, request: AnyRequest) -> Response[Any]:
        ctx = CitizenContext.of(request)
        form = await read_form(request)
        async with request.app.state.db.read() as session:
            chosen = await get_type(session, parse_int(form.get("type_id")))
        if chosen is None:
            return await self._type_page(
                request,
                None,
                errors={"type_id": "Choisissez un type de rendez-vous dans la liste."},
                status_code=422,
            )
        draft = await current_draft(request, ctx)
        if draft is None or draft.booking_id is not None:
            if refused := await over_limit(request, "start"):
                return refused
            token, _ = await ctx.drafts.create({"type_id": chosen.id}, ctx.now)
            return see_other(wizard.step(2).path, draft_cookie(ctx.settings, token))
        current = Visit(ctx, draft, chosen, request.cookies[DRAFT_COOKIE])
        return await current.advance(wizard.choose_type(draft.state, chosen.id, chosen.max_people))

    async def _type_page(
        self,
        request: AnyRequest,
        selected: int | None,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            data = await reference(session)
        request.state.reference = data  # the page's frame reads the commune from it
        context = await step_context(
            request,
            1,
            groups=type_groups(data),
            selected=selected,
            notice=notice,
            errors=errors or {},
        )
        return render(request, "citizen/step1_type.html", context, status_code=status_code)

    # --- 2. information ----------------------------------------------------------------

    @get("/informations", name="step-information")
    async def information(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 2)
        if isinstance(current, Redirect):
            return current
        context = await step_context(request, 2, appointment_type=current.appointment_type)
        return render(request, "citizen/step2_information.html", context)

    @post("/informations")
    async def information_submit(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 2)
        if isinstance(current, Redirect):
            return current
        return await current.advance({**current.state, "info_seen": True})

    # --- 3. people -------------------------------------------------------------------

    @get("/personnes", name="step-people")
    async def people(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 3)
        if isinstance(current, Redirect):
            return current
        return await self._people_page(request, current, str(current.state.get("people", 1)))

    @post("/personnes")
    async def people_submit(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 3)
        if isinstance(current, Redirect):
            return current
        raw = (await read_form(request)).get("people", "")
        people = _people(raw, current.appointment_type.max_people)
        if isinstance(people, str):
            return await self._people_page(
                request, current, raw, errors={"people": people}, status_code=422
            )
        return await current.advance(wizard.set_people(current.state, people))

    async def _people_page(
        self,
        request: AnyRequest,
        current: Visit,
        value: str,
        *,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        context = await step_context(
            request,
            3,
            appointment_type=current.appointment_type,
            value=value,
            errors=errors or {},
        )
        return render(request, "citizen/step3_people.html", context, status_code=status_code)

    # --- 4. contact details --------------------------------------------------------------

    @get("/coordonnees", name="step-contact")
    async def contact(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 4)
        if isinstance(current, Redirect):
            return current
        saved = current.state.get("contact") or {}
        values = {key: saved.get(key, "") for key in ("last_name", "first_name", "email")}
        values["phone"] = display_phone(saved["phone"]) if saved.get("phone") else ""
        for name, value in (saved.get("extra") or {}).items():
            values[f"extra_{name}"] = value
        return await self._contact_page(request, current, values)

    @post("/coordonnees")
    async def contact_submit(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 4)
        if isinstance(current, Redirect):
            return current
        form = await read_form(request)
        details, errors, values = validate_contact(
            form, current.appointment_type.extra_fields or []
        )
        if details is None:
            return await self._contact_page(
                request, current, values, errors=errors.messages, status_code=422
            )
        chosen = current.appointment_type
        async with request.app.state.db.read() as session:
            limit = await citizen_limit(
                session,
                chosen,
                details.email,
                details.phone,
                current.ctx.now,
                ignore_booking_id=modified_booking_id(current.state),
            )
        if limit is not None:
            message = limit_message(limit, ZoneInfo(chosen.site.timezone))
            return await self._contact_page(
                request, current, values, errors={"email": message}, status_code=422
            )
        return await current.advance(wizard.set_contact(current.state, details.as_dict()))

    async def _contact_page(
        self,
        request: AnyRequest,
        current: Visit,
        values: dict[str, str],
        *,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        context = await step_context(
            request,
            4,
            appointment_type=current.appointment_type,
            values=values,
            errors=errors or {},
        )
        return render(request, "citizen/step4_contact.html", context, status_code=status_code)


def _people(raw: str, maximum: int) -> int | str:
    """The number of people typed, or why it cannot be taken."""
    people = parse_int(raw)
    if people is None:
        return "Saisissez le nombre de personnes en chiffres, par exemple 2."
    if people < 1:
        return "Le rendez-vous concerne au moins une personne."
    if people > maximum:
        return (
            f"Ce rendez-vous accueille au plus {maximum} "
            f"personne{'s' if maximum > 1 else ''} à la fois. Pour plus de "
            "personnes, prenez un autre rendez-vous ensuite."
        )
    return people

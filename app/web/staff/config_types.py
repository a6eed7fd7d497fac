"""/admin/configuration/types: the appointment types (list, create, edit, activate)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.configuration import appointment_types as types
from app.configuration.cancellations import decision_from, shown_ids
from app.db.models import Site
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.config_forms import (
    TEXT_FORM_BODY,
    SubmittedForm,
    orphan_rows,
    read_config_form,
    replay,
)
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
BASE = "/admin/configuration/types"
FORM = "staff/configuration/type_form.html"
DONE = {
    "cree": "Le type de rendez-vous est créé.",
    "modifie": "Les changements sont enregistrés.",
    "active": "Le type de rendez-vous est activé : les citoyens peuvent le réserver.",
    "desactive": "Le type de rendez-vous est désactivé : il n'est plus proposé aux citoyens.",
}


def _form_context(
    form: types.TypeForm, sites: list[Site], errors: dict[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        "form": form,
        "values": form.values,
        "sites": sites,
        "errors": errors,
        "kinds": types.EXTRA_KINDS,
        "numbers": types.NUMBERS,
        **extra,
    }


def _ask(
    request: AnyRequest,
    appointment_type: Any,
    outcome: types.NeedsDecision,
    submitted: SubmittedForm,
) -> Response[Any]:
    count = len(outcome.stranded)
    return staff_page(
        request,
        "staff/configuration/orphans.html",
        {
            "heading": "Des rendez-vous sont pris sur les guichets retirés",
            "question": f"Retirer ces guichets du type « {appointment_type.title} » "
            f"laisserait {count} rendez-vous déjà pris sur un guichet qui ne le reçoit plus.",
            "orphans": orphan_rows(outcome.stranded, appointment_type.site.timezone),
            "orphan_ids": ",".join(str(b.id) for b in outcome.stranded),
            "action": f"{BASE}/{appointment_type.id}",
            "hidden": replay(submitted),
            "keep_label": "Les garder et enregistrer le type",
            "cancel_label": "Les annuler, prévenir les citoyens et enregistrer le type",
            "back_href": f"{BASE}/{appointment_type.id}",
            "back_label": "Ne rien changer et revenir au type de rendez-vous",
            "trail": "Types de rendez-vous",
        },
        status_code=409,
    )


class TypesController(Controller):
    path = BASE
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="config-types")
    async def list_types(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        fait: FromQuery[str | None] = None,
        a_venir: FromQuery[int | None] = None,
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            all_types = await types.all_types(session)
        return staff_page(
            request,
            "staff/configuration/types.html",
            {"types": all_types, "done": DONE.get(fait or ""), "upcoming": a_venir or 0},
        )

    @get("/nouveau", name="config-type-new")
    async def new_form(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        async with request.app.state.db.read() as session:
            sites = await types.sites_with_desks(session)
        form = types.blank_form()
        if len(sites) == 1:
            form.values["site_id"] = str(sites[0].id)
        return staff_page(request, FORM, _form_context(form, sites, {}, editing=None))

    @post("/nouveau", request_max_body_size=TEXT_FORM_BODY)
    async def create(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        submitted = await read_config_form(request)
        state = request.app.state
        async with state.db.write() as session:
            sites = await types.sites_with_desks(session)
            values, errors, form = types.parse(
                submitted.values, submitted.lists.get("desks", []), sites
            )
            if values is None:
                return staff_page(
                    request,
                    FORM,
                    _form_context(form, sites, errors.messages, editing=None),
                    status_code=422,
                )
            await types.create(session, values, staff, state.clock())
        return Redirect(f"{BASE}?fait=cree", status_code=303)

    @get("/{type_id:int}", name="config-type-edit")
    async def edit_form(
        self, request: AnyRequest, staff: CurrentStaff, type_id: FromPath[int]
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            appointment_type = await types.find(session, type_id)
            if appointment_type is None:
                raise NotFoundException()
            sites = await types.sites_with_desks(session)
        form = types.form_of(appointment_type)
        return staff_page(request, FORM, _form_context(form, sites, {}, editing=appointment_type))

    @post("/{type_id:int}", request_max_body_size=TEXT_FORM_BODY)
    async def update(
        self, request: AnyRequest, staff: CurrentStaff, type_id: FromPath[int]
    ) -> Response[Any]:
        submitted = await read_config_form(request)
        state = request.app.state
        async with state.db.write() as session:
            appointment_type = await types.find(session, type_id)
            if appointment_type is None:
                raise NotFoundException()
            sites = await types.sites_with_desks(session)
            values, errors, form = types.parse(
                submitted.values, submitted.lists.get("desks", []), sites
            )
            if values is None:
                return staff_page(
                    request,
                    FORM,
                    _form_context(form, sites, errors.messages, editing=appointment_type),
                    status_code=422,
                )
            was_active = appointment_type.active
            outcome = await types.update(
                session,
                appointment_type,
                values,
                staff,
                state.clock(),
                settings=state.settings,
                decision=decision_from(submitted.values.get("decision", "")),
                shown=shown_ids(submitted.values.get("orphelins", "")),
            )
            if isinstance(outcome, types.NeedsDecision):
                return _ask(request, appointment_type, outcome, submitted)
            upcoming = 0
            if was_active and not values.active:
                upcoming = await types.future_bookings(session, type_id, state.clock())
        if upcoming:
            return Redirect(f"{BASE}?fait=desactive&a_venir={upcoming}", status_code=303)
        return Redirect(f"{BASE}?fait=modifie", status_code=303)

    @post("/{type_id:int}/activation")
    async def activation(
        self, request: AnyRequest, staff: CurrentStaff, type_id: FromPath[int]
    ) -> Response[Any]:
        submitted = await read_config_form(request)
        active = submitted.values.get("actif") == "1"
        state = request.app.state
        async with state.db.write() as session:
            appointment_type = await types.find(session, type_id)
            if appointment_type is None:
                raise NotFoundException()
            await types.set_active(session, appointment_type, active, staff, state.clock())
            upcoming = 0 if active else await types.future_bookings(session, type_id, state.clock())
        done = "active" if active else "desactive"
        suffix = f"&a_venir={upcoming}" if upcoming else ""
        return Redirect(f"{BASE}?fait={done}{suffix}", status_code=303)

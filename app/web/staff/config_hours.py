"""/admin/configuration/horaires: opening rules. Deleting or shortening one that would
leave bookings outside the new hours shows them and asks what to do with them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.configuration import appointment_types, opening_rules
from app.configuration.cancellations import Decision, decision_from, shown_ids
from app.configuration.opening_rules import NeedsDecision
from app.db.models import OpeningRule, Site
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.config_forms import SubmittedForm, orphan_rows, read_config_form, replay
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
BASE = "/admin/configuration/horaires"
FORM = "staff/configuration/rule_form.html"
DONE = {
    "ajoute": "L'horaire est ajouté.",
    "modifie": "L'horaire est modifié.",
    "supprime": "L'horaire est supprimé.",
}


async def _choices(session: AsyncSession) -> dict[str, Any]:
    return {
        "sites": await appointment_types.sites_with_desks(session),
        "types": await appointment_types.all_types(session),
        "weekdays": list(enumerate(opening_rules.WEEKDAYS)),
    }


def _decision(form: SubmittedForm) -> tuple[Decision | None, set[int]]:
    return decision_from(form.values.get("decision", "")), shown_ids(
        form.values.get("orphelins", "")
    )


def _after_change(applied: opening_rules.Applied, done: str) -> Redirect:
    query = f"fait={done}"
    if applied.cancelled:
        query += f"&annules={len(applied.cancelled)}"
    elif applied.kept:
        query += f"&gardes={len(applied.kept)}"
    return Redirect(f"{BASE}?{query}", status_code=303)


class OpeningHoursController(Controller):
    path = BASE
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="config-hours")
    async def list_rules(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        fait: FromQuery[str | None] = None,
        gardes: FromQuery[int | None] = None,
        annules: FromQuery[int | None] = None,
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            choices = await _choices(session)
            rules = await opening_rules.rules(session)
        return staff_page(
            request,
            "staff/configuration/rules.html",
            {
                **choices,
                "rules": rules,
                "type_titles": {t.id: t.title for t in choices["types"]},
                "desk_names": {d.id: d.name for s in choices["sites"] for d in s.desks},
                "done": DONE.get(fait or ""),
                "kept": gardes or 0,
                "cancelled": annules or 0,
            },
        )

    @get("/nouveau", name="config-hours-new")
    async def new_form(
        self, request: AnyRequest, staff: CurrentStaff, site: FromQuery[int | None] = None
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            choices = await _choices(session)
        site_id = site or (choices["sites"][0].id if len(choices["sites"]) == 1 else None)
        values = opening_rules.blank_values(site_id)
        return staff_page(request, FORM, {**choices, "values": values, "errors": {}, "rule": None})

    @post("/nouveau")
    async def create(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        submitted = await read_config_form(request)
        state = request.app.state
        async with state.db.write() as session:
            choices = await _choices(session)
            values, errors, shown = opening_rules.parse(
                submitted.values, choices["sites"], choices["types"]
            )
            if values is None:
                context = {**choices, "values": shown, "errors": errors.messages, "rule": None}
                return staff_page(request, FORM, context, status_code=422)
            await opening_rules.add(session, values, staff, state.clock())
        return Redirect(f"{BASE}?fait=ajoute", status_code=303)

    @get("/{rule_id:int}", name="config-hours-edit")
    async def edit_form(
        self, request: AnyRequest, staff: CurrentStaff, rule_id: FromPath[int]
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            rule = await opening_rules.find(session, rule_id)
            if rule is None:
                raise NotFoundException()
            choices = await _choices(session)
        context = {**choices, "values": opening_rules.values_of(rule), "errors": {}, "rule": rule}
        return staff_page(request, FORM, context)

    @post("/{rule_id:int}")
    async def update(
        self, request: AnyRequest, staff: CurrentStaff, rule_id: FromPath[int]
    ) -> Response[Any]:
        submitted = await read_config_form(request)
        decision, shown_ids = _decision(submitted)
        state = request.app.state
        async with state.db.write() as session:
            rule = await opening_rules.find(session, rule_id)
            if rule is None:
                raise NotFoundException()
            choices = await _choices(session)
            values, errors, shown = opening_rules.parse(
                submitted.values, choices["sites"], choices["types"]
            )
            if values is None:
                context = {**choices, "values": shown, "errors": errors.messages, "rule": rule}
                return staff_page(request, FORM, context, status_code=422)
            outcome = await opening_rules.change(
                session,
                rule,
                values,
                decision=decision,
                shown=shown_ids,
                actor=staff,
                now=state.clock(),
                settings=state.settings,
            )
            if isinstance(outcome, NeedsDecision):
                hidden = replay(submitted)
                return await self._ask(request, session, rule, outcome, hidden, deleting=False)
        return _after_change(outcome, "modifie")

    @post("/{rule_id:int}/suppression")
    async def delete(
        self, request: AnyRequest, staff: CurrentStaff, rule_id: FromPath[int]
    ) -> Response[Any]:
        submitted = await read_config_form(request)
        decision, shown_ids = _decision(submitted)
        state = request.app.state
        async with state.db.write() as session:
            rule = await opening_rules.find(session, rule_id)
            if rule is None:
                raise NotFoundException()
            outcome = await opening_rules.change(
                session,
                rule,
                None,
                decision=decision,
                shown=shown_ids,
                actor=staff,
                now=state.clock(),
                settings=state.settings,
            )
            if isinstance(outcome, NeedsDecision):
                return await self._ask(request, session, rule, outcome, [], deleting=True)
        return _after_change(outcome, "supprime")

    async def _ask(
        self,
        request: AnyRequest,
        session: AsyncSession,
        rule: OpeningRule,
        outcome: NeedsDecision,
        hidden: list[tuple[str, str]],
        *,
        deleting: bool,
    ) -> Response[Any]:
        site = await session.get_one(Site, rule.site_id)
        verb = "supprimer" if deleting else "modifier"
        count = len(outcome.orphans)
        return staff_page(
            request,
            "staff/configuration/orphans.html",
            {
                "heading": "Des rendez-vous seraient hors des horaires",
                "question": f"{verb.capitalize()} l'horaire « {opening_rules.describe(rule)} » "
                f"laisserait {count} rendez-vous déjà pris en dehors des heures d'ouverture.",
                "orphans": orphan_rows(outcome.orphans, site.timezone),
                "orphan_ids": ",".join(str(b.id) for b in outcome.orphans),
                "action": f"{BASE}/{rule.id}/suppression" if deleting else f"{BASE}/{rule.id}",
                "hidden": hidden,
                "keep_label": f"Les garder comme exceptions et {verb} l'horaire",
                "cancel_label": f"Les annuler, prévenir les citoyens et {verb} l'horaire",
                "back_href": BASE,
                "back_label": "Ne rien changer et revenir aux horaires",
                "trail": "Horaires d'ouverture",
            },
            status_code=409,
        )

"""Steps 5 to 7 of the citizen flow: the planning, the recap and the confirmation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Response

from app.booking import wizard
from app.booking.availability import slot_fits
from app.booking.catalogue import current_commune, get_type
from app.booking.planning import booking_window, build_query, earliest_slot, week_slots
from app.booking.service import Confirmed, SlotTaken, confirm, load_booking
from app.calendar_sync.ics import booking_calendar
from app.web.citizen.forms import read_form
from app.web.citizen.session import (
    CitizenContext,
    current_draft,
    guard,
    restart,
    see_other,
)
from app.web.citizen.view import step_context
from app.web.rendering import render

AnyRequest = Request[Any, Any, Any]

SLOT_TAKEN = (
    "Ce créneau vient d'être pris par quelqu'un d'autre. Choisissez un autre horaire parmi "
    "ceux qui restent libres."
)
SLOT_TOO_LATE = (
    "Ce créneau est maintenant trop proche pour être réservé en ligne. Choisissez un autre "
    "horaire parmi ceux qui restent libres."
)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(raw: str | None) -> date | None:
    try:
        return monday_of(date.fromisoformat(raw)) if raw else None
    except ValueError:
        return None


class FinalStepsController(Controller):
    path = "/rendez-vous"

    # --- 5. planning ------------------------------------------------------------------

    @get("/creneau", name="step-slot")
    async def slot(
        self, request: AnyRequest, semaine: FromQuery[str | None] = None
    ) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if redirect := guard(draft, 5):
            return redirect
        notice = draft.state.get("notice")
        if notice:
            state = {k: v for k, v in draft.state.items() if k != "notice"}
            await ctx.drafts.save(draft.id, state, ctx.now)
        return await self._slot_page(request, ctx, draft.state, parse_week(semaine), notice=notice)

    @post("/creneau")
    async def slot_submit(self, request: AnyRequest) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if redirect := guard(draft, 5):
            return redirect
        raw = (await read_form(request)).get("creneau", "")
        async with request.app.state.db.read() as session:
            chosen = await get_type(session, draft.state["type_id"])
            if chosen is None:
                return restart("type")
            start = _parse_instant(raw)
            fits = False
            if start is not None:
                day = start.astimezone(ZoneInfo(chosen.site.timezone)).date()
                query = await build_query(session, chosen, draft.state["people"], ctx.now, day, day)
                fits = bool(slot_fits(query, start))
        if not fits:
            error = (
                "Choisissez un créneau dans la liste."
                if start is None
                else "Ce créneau n'est plus disponible. Choisissez-en un autre."
            )
            week = (
                monday_of(start.astimezone(ZoneInfo(chosen.site.timezone)).date())
                if start
                else None
            )
            return await self._slot_page(
                request, ctx, draft.state, week, errors={"creneau": error}, status_code=422
            )
        await ctx.drafts.save(draft.id, {**draft.state, "slot_start": start.isoformat()}, ctx.now)
        return see_other(wizard.step(6).path)

    async def _slot_page(
        self,
        request: AnyRequest,
        ctx: CitizenContext,
        state: dict[str, Any],
        week: date | None,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        people = state["people"]
        async with request.app.state.db.read() as session:
            chosen = await get_type(session, state["type_id"])
            if chosen is None:
                return restart("type")
            tz = ZoneInfo(chosen.site.timezone)
            first_day, last_day = booking_window(chosen, ctx.now)
            earliest = await earliest_slot(session, chosen, people, ctx.now)
            selected = _parse_instant(state.get("slot_start", ""))
            if week is None:
                anchor = selected or (earliest.start if earliest else None)
                week = monday_of(anchor.astimezone(tz).date() if anchor else first_day)
            week = min(max(week, monday_of(first_day)), monday_of(last_day))
            slots = await week_slots(session, chosen, people, ctx.now, week)
        days = [
            (day, [slot for slot in day_slots])
            for day, day_slots in groupby(slots, key=lambda s: s.start.astimezone(tz).date())
        ]
        context = await step_context(
            request,
            5,
            appointment_type=chosen,
            people=people,
            week=week,
            week_end=week + timedelta(days=6),
            days=days,
            tz=tz,
            selected=selected,
            earliest=earliest,
            earliest_week=monday_of(earliest.start.astimezone(tz).date()) if earliest else None,
            previous_week=week - timedelta(days=7) if week > monday_of(first_day) else None,
            next_week=week + timedelta(days=7) if week < monday_of(last_day) else None,
            notice=notice,
            errors=errors or {},
        )
        return render(request, "citizen/step5_slot.html", context, status_code=status_code)

    # --- 6. recap --------------------------------------------------------------------

    @get("/recapitulatif", name="step-recap")
    async def recap(self, request: AnyRequest) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if redirect := guard(draft, 6):
            return redirect
        async with request.app.state.db.read() as session:
            chosen = await get_type(session, draft.state["type_id"])
        if chosen is None:
            return restart("type")
        tz = ZoneInfo(chosen.site.timezone)
        start = datetime.fromisoformat(draft.state["slot_start"]).astimezone(tz)
        context = await step_context(
            request,
            6,
            appointment_type=chosen,
            state=draft.state,
            contact=draft.state["contact"],
            start=start,
        )
        return render(request, "citizen/step6_recap.html", context)

    @post("/recapitulatif")
    async def recap_submit(self, request: AnyRequest) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if draft is not None and draft.booking_id is not None:
            return see_other(wizard.step(7).path)  # a double click or a replayed confirm
        if redirect := guard(draft, 6):
            return redirect
        result = await confirm(request.app.state.db, draft.id, ctx.now, ctx.settings.uid_domain)
        if isinstance(result, Confirmed):
            return see_other(wizard.step(7).path)
        if isinstance(result, SlotTaken):
            state = {k: v for k, v in draft.state.items() if k != "slot_start"}
            notice = SLOT_TOO_LATE if result.too_late else SLOT_TAKEN
            await ctx.drafts.save(draft.id, {**state, "notice": notice}, ctx.now)
            return see_other(wizard.step(5).path)
        return restart("expire")

    # --- 7. confirmation ------------------------------------------------------------------

    @get("/confirmation", name="step-confirmation")
    async def confirmation(self, request: AnyRequest) -> Response[Any]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if redirect := guard(draft, 7):
            return redirect
        booking = await load_booking(request.app.state.db, draft.booking_id)
        tz = ZoneInfo(booking.type.site.timezone)
        context = await step_context(
            request,
            7,
            booking=booking,
            start=booking.start.astimezone(tz),
            end=booking.end.astimezone(tz),
        )
        return render(request, "citizen/step7_confirmation.html", context)

    @get("/confirmation/rendez-vous.ics", name="booking-ics")
    async def ics(self, request: AnyRequest) -> Response[bytes]:
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if redirect := guard(draft, 7):
            return redirect
        booking = await load_booking(request.app.state.db, draft.booking_id)
        async with request.app.state.db.read() as session:
            commune = await current_commune(session)
        return Response(
            booking_calendar(booking, commune, ctx.now).to_ical(),
            media_type="text/calendar",  # Litestar adds "; charset=utf-8"
            headers={
                "Content-Disposition": 'attachment; filename="rendez-vous.ics"',
                "Cache-Control": "no-store",
            },
        )


def _parse_instant(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if value.tzinfo is None or not 1 < value.year < 9999:
        return None  # far-off years would overflow when converted or widened by a day
    return value

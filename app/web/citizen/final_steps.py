"""Steps 5 to 7 of the citizen flow: the planning, the recap and the confirmation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Response

from app.booking import wizard
from app.booking.catalogue import current_commune
from app.booking.changes import ChangeRefused, modified_booking_id, move
from app.booking.limits import LimitReached
from app.booking.planning import WeekPlanner, monday_of
from app.booking.reference import reference
from app.booking.service import (
    Confirmed,
    DraftUnusable,
    HoldPolicy,
    SlotTaken,
    TooManyHolds,
    confirm,
    hold,
)
from app.booking.shared_weeks import SharedWeek, SharedWeeks
from app.calendar_sync.ics import booking_calendar
from app.notifications.events import sms_recipient
from app.web.citizen.changes import refused_modification
from app.web.citizen.forms import read_form
from app.web.citizen.notices import limit_message, too_many_holds_message
from app.web.citizen.protection import holder_of, over_limit
from app.web.citizen.session import (
    Visit,
    confirmed_booking,
    restart,
    see_other,
    state_version,
    visit,
)
from app.web.citizen.view import step_context
from app.web.pwa.memo import device_memo
from app.web.rendering import render, render_into, wants_fragment

AnyRequest = Request[Any, Any, Any]

SLOT_TAKEN = (
    "Ce créneau vient d'être pris par quelqu'un d'autre. Choisissez un autre horaire parmi "
    "ceux qui restent libres."
)
ANSWERS_CHANGED = (
    "Vos réponses ont été modifiées depuis une autre page ou un autre onglet. Vérifiez-les "
    "avant de confirmer."
)
SLOT_GONE = "Ce créneau n'est plus disponible. Choisissez-en un autre."
SLOT_TOO_LATE = (
    "Ce créneau est maintenant trop proche pour être réservé en ligne. Choisissez un autre "
    "horaire parmi ceux qui restent libres."
)


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
        current = await visit(request, 5)
        if isinstance(current, Redirect):
            return current
        notice = await current.take_notice()
        return await self._slot_page(request, current, parse_week(semaine), notice=notice)

    @post("/creneau")
    async def slot_submit(self, request: AnyRequest) -> Response[Any]:
        current = await visit(request, 5)
        if isinstance(current, Redirect):
            return current
        chosen = current.appointment_type
        tz = ZoneInfo(chosen.site.timezone)
        form = await read_form(request)
        # The week the citizen was looking at (the form's hidden field): an error keeps it.
        # The recap's "keep it longer" form posts here too, without it.
        shown_week = parse_week(form.get("semaine"))
        start = _parse_instant(form.get("creneau", ""))
        if start is None:
            return await self._slot_page(
                request,
                current,
                shown_week,
                errors={"creneau": "Choisissez un créneau dans la liste."},
                status_code=422,
            )
        if refused := await over_limit(request, "hold"):
            return refused
        ctx = current.ctx
        result = await hold(
            request.app.state.db,
            current.draft.id,
            {**current.state, "slot_start": start.isoformat()},
            ctx.now,
            keep_draft_until=ctx.now + ctx.drafts.lifetime,
            ignore_booking_id=modified_booking_id(current.state),
            policy=HoldPolicy.of(ctx.settings, holder_of(request)),
        )
        if isinstance(result, DraftUnusable):
            return restart("expire")
        if isinstance(result, TooManyHolds):
            return await self._slot_page(
                request,
                current,
                shown_week,
                errors={"creneau": too_many_holds_message(result.allowed)},
                status_code=429,
            )
        if isinstance(result, SlotTaken):
            if (
                shown_week is not None
                and not result.too_late
                and _names_a_slot(start)
                and wants_fragment(request)
            ):
                # Picked in the week on screen: only that slot changes (decision 69).
                return render_into(
                    "citizen/step5_taken.html",
                    {"start": start, "tz": tz},
                    target="#creneau-refus",
                    status_code=422,
                )
            return await self._slot_page(
                request,
                current,
                shown_week or monday_of(start.astimezone(tz).date()),
                errors={"creneau": SLOT_GONE},
                status_code=422,
            )
        return see_other(wizard.step(6).path, current.cookie)

    async def _compute_week(
        self, request: AnyRequest, current: Visit, week: date | None, selected: datetime | None
    ) -> SharedWeek:
        chosen, people, now = current.appointment_type, current.state["people"], current.ctx.now
        tz = ZoneInfo(chosen.site.timezone)
        async with request.app.state.db.read() as session:
            planner = WeekPlanner(
                session,
                chosen,
                people,
                now,
                draft_id=current.draft.id,
                ignore_booking_id=modified_booking_id(current.state),
            )
            first_day, last_day = planner.window
            earliest = await planner.first_free_slot()
            if week is None:
                anchor = selected or (earliest.start if earliest else None)
                week = monday_of(anchor.astimezone(tz).date() if anchor else first_day)
            week = min(max(week, monday_of(first_day)), monday_of(last_day))
            slots = tuple(await planner.week_slots(week))
        return SharedWeek(first_day, last_day, earliest, week, slots)

    async def _slot_page(
        self,
        request: AnyRequest,
        current: Visit,
        week: date | None,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        chosen, people, now = current.appointment_type, current.state["people"], current.ctx.now
        tz = ZoneInfo(chosen.site.timezone)
        selected = _parse_instant(current.state.get("slot_start", ""))
        hold_until = _parse_instant(current.state.get("hold_until", ""))
        shared_weeks: SharedWeeks | None = request.app.state.shared_weeks
        # Someone who holds a slot or modifies a booking sees a week of their own.
        holds_nothing = (hold_until is None or hold_until <= now) and not modified_booking_id(
            current.state
        )
        if week is None and selected is not None:
            week = monday_of(selected.astimezone(tz).date())
        key = (chosen.id, people, week)
        shared = shared_weeks.get(key) if shared_weeks and holds_nothing else None
        if shared is None:
            shared = await self._compute_week(request, current, week, selected)
            if shared_weeks and holds_nothing:
                shared_weeks.put(key, shared)
        first_day, last_day, earliest, week = (
            shared.first_day,
            shared.last_day,
            shared.earliest,
            shared.week,
        )
        slots = shared.slots
        days = [
            (day, list(day_slots))
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
        current = await visit(request, 6)
        if isinstance(current, Redirect):
            return current
        tz = ZoneInfo(current.appointment_type.site.timezone)
        notice = await current.take_notice()
        hold_until = _parse_instant(current.state.get("hold_until", ""))
        now = current.ctx.now
        context = await step_context(
            request,
            6,
            appointment_type=current.appointment_type,
            state=current.state,
            contact=current.state["contact"],
            start=datetime.fromisoformat(current.state["slot_start"]).astimezone(tz),
            hold_until=hold_until.astimezone(tz) if hold_until else None,
            hold_minutes_left=_minutes_left(now, hold_until) if hold_until else 0,
            version=state_version({k: v for k, v in current.state.items() if k != "notice"}),
            notice=notice,
        )
        return render(request, "citizen/step6_recap.html", context)

    @post("/recapitulatif")
    async def recap_submit(self, request: AnyRequest) -> Response[Any]:
        # A double click or a replayed confirm finds the booking already made: step 7.
        current = await visit(request, 6)
        if isinstance(current, Redirect):
            return current
        shown_version = (await read_form(request)).get("version")
        if shown_version and shown_version != state_version(current.state):
            return await current.advance({**current.state, "notice": ANSWERS_CHANGED})
        if refused := await over_limit(request, "confirm"):
            return refused
        ctx = current.ctx
        if modified_booking_id(current.state):
            result = await move(
                request.app.state.db,
                current.draft.id,
                ctx.now,
                settings=ctx.settings,
                keep_draft_until=ctx.now + ctx.drafts.lifetime,
            )
        else:
            result = await confirm(
                request.app.state.db,
                current.draft.id,
                ctx.now,
                uid_domain=ctx.settings.uid_domain,
                keep_draft_until=ctx.now + ctx.drafts.lifetime,
                settings=ctx.settings,
            )
        if isinstance(result, ChangeRefused):
            return refused_modification(current)
        if isinstance(result, Confirmed):
            return see_other(wizard.step(7).path, current.cookie)
        if isinstance(result, SlotTaken):
            notice = SLOT_TOO_LATE if result.too_late else SLOT_TAKEN
            return await current.advance(
                {**wizard.drop_slot(dict(current.state)), "notice": notice}
            )
        if isinstance(result, LimitReached):
            tz = ZoneInfo(current.appointment_type.site.timezone)
            return await current.advance({**current.state, "notice": limit_message(result, tz)})
        return restart("expire")

    # --- 7. confirmation ------------------------------------------------------------------

    @get("/confirmation", name="step-confirmation")
    async def confirmation(self, request: AnyRequest) -> Response[Any]:
        confirmed = await confirmed_booking(request)
        if isinstance(confirmed, Redirect):
            return confirmed
        ctx, booking = confirmed
        tz = ZoneInfo(booking.type.site.timezone)
        async with request.app.state.db.read() as session:
            data = await reference(session)
        request.state.reference = data  # the page's frame reads the commune from it
        commune = data.commune
        context = await step_context(
            request,
            7,
            booking=booking,
            sms_to=sms_recipient(commune.sms_enabled, booking.phone) if commune else None,
            start=booking.start.astimezone(tz),
            end=booking.end.astimezone(tz),
            device_memo=device_memo(booking, ctx.settings.secret_key),
            push_key=request.app.state.vapid.public_key,
        )
        return render(request, "citizen/step7_confirmation.html", context)

    @get("/confirmation/rendez-vous.ics", name="booking-ics")
    async def ics(self, request: AnyRequest) -> Response[Any]:
        confirmed = await confirmed_booking(request)
        if isinstance(confirmed, Redirect):
            return confirmed
        ctx, booking = confirmed
        async with request.app.state.db.read() as session:
            commune = await current_commune(session)
        if commune is None:  # a booking's site belongs to the commune: not expected
            raise NotFoundException()
        return Response(
            booking_calendar(booking, commune, ctx.now).to_ical(),
            media_type="text/calendar",  # Litestar adds "; charset=utf-8"
            headers={
                "Content-Disposition": 'attachment; filename="rendez-vous.ics"',
                "Cache-Control": "no-store",
            },
        )


def _minutes_left(now: datetime, until: datetime) -> int:
    return max(0, -((now - until) // timedelta(minutes=1)))  # rounded up


def _names_a_slot(start: datetime) -> bool:
    """Whether `start` can be a slot of the page: slots are named by their whole second
    (`citizen/slots.html`), so a start a fraction of a second off one would name it."""
    return start == datetime.fromtimestamp(int(start.timestamp()), UTC)


def _parse_instant(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if value.tzinfo is None or not 1 < value.year < 9999:
        return None  # far-off years would overflow when converted or widened by a day
    return value

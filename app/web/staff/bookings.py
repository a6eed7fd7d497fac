"""/admin/rendez-vous: finding a booking, its detail, and an agent's actions on it (move,
cancel, attendance).

The search is a POST form whose answer is the results page: what was typed (a name, an
e-mail, a phone number) never appears in an address, a history or a log (decision 45).
Actions are POST → 303 → GET to the detail, which says what was done (`?fait=…`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.booking.attendance import (
    AttendanceRefusal,
    AttendanceRefused,
    can_mark,
    mark_attendance,
)
from app.booking.catalogue import get_type_any
from app.booking.changes import StaffRefusal, StaffRefused, staff_cancel, staff_move
from app.booking.planning import WeekPlanner, monday_of
from app.booking.search import (
    booking_for_staff,
    booking_history,
    interpret,
    search_bookings,
)
from app.booking.service import SlotTaken
from app.db.models import Booking, StaffUser
from app.staff.roles import Role, at_least
from app.web.citizen.forms import read_form
from app.web.staff.agent_view import (
    ATTENDANCE_CHOICES,
    ATTENDANCE_LABELS,
    ATTENDANCE_REFUSALS,
    NO_SLOT,
    REFUSALS,
    SLOT_TAKEN,
    SLOT_TOO_LATE,
    STATUS_LABELS,
    no_email_hint,
    parse_day,
    parse_instant,
    parse_int,
)
from app.web.staff.auth import CurrentStaff, agents_only, staff_only, visible_site_ids
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]

EMPTY_SEARCH = (
    "Saisissez au moins deux lettres d'un nom, une référence, une adresse électronique ou "
    "un numéro de téléphone."
)
DONE = {
    "deplace": "Le rendez-vous a été déplacé.",
    "annule": "Le rendez-vous a été annulé. Sa place est de nouveau libre.",
    "reserve": "Le rendez-vous est enregistré.",
    "presence": "La présence est enregistrée.",
}
TOLD_BY_EMAIL = " La personne est prévenue par e-mail."


def detail_path(booking_id: int, done: str | None = None) -> str:
    return f"/admin/rendez-vous/{booking_id}" + (f"?fait={done}" if done else "")


class BookingsController(Controller):
    path = "/admin/rendez-vous"

    # --- search ---------------------------------------------------------------------------

    @get("/", name="staff-bookings", guards=[staff_only], opt={"role": "viewer"})
    async def search_form(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        return staff_page(request, "staff/booking_search.html", _search_context())

    @post("/", guards=[staff_only], opt={"role": "viewer"})
    async def search(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        text = (await read_form(request)).get("recherche", "")
        terms = interpret(text)
        if not terms.searchable:
            return staff_page(
                request,
                "staff/booking_search.html",
                _search_context(text, errors={"recherche": EMPTY_SEARCH}),
                status_code=422,
            )
        now = request.app.state.clock()
        async with request.app.state.db.read() as session:
            results = await search_bookings(session, terms, visible_site_ids(staff), now)
        return staff_page(
            request, "staff/booking_search.html", _search_context(text, results=results)
        )

    # --- detail ---------------------------------------------------------------------------

    @get("/{booking_id:int}", name="staff-booking", guards=[staff_only], opt={"role": "viewer"})
    async def detail(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        booking_id: FromPath[int],
        fait: FromQuery[str | None] = None,
    ) -> Response[Any]:
        booking = await _visible_booking(request, staff, booking_id)
        notice = DONE.get(fait or "", "")
        if notice and fait in ("deplace", "annule", "reserve"):
            notice += TOLD_BY_EMAIL if booking.email else no_email_hint(booking.email)
        return await _detail_page(request, staff, booking, notice=notice)

    # --- move -----------------------------------------------------------------------------

    @get(
        "/{booking_id:int}/deplacer",
        name="staff-booking-move",
        guards=[agents_only],
        opt={"role": "agent"},
    )
    async def move_form(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        booking_id: FromPath[int],
        semaine: FromQuery[str | None] = None,
    ) -> Response[Any]:
        booking = await _visible_booking(request, staff, booking_id)
        problem = _unchangeable(booking, request.app.state.clock())
        if problem:
            return await _detail_page(request, staff, booking, problem=problem, status_code=409)
        week = parse_day(semaine)
        return await _move_page(request, booking, monday_of(week) if week else None)

    @post("/{booking_id:int}/deplacer", guards=[agents_only], opt={"role": "agent"})
    async def move(
        self, request: AnyRequest, staff: CurrentStaff, booking_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        booking = await _visible_booking(request, staff, booking_id)
        start = parse_instant(form.get("creneau"))
        sequence = parse_int(form.get("sequence"))
        if start is None or sequence is None:
            return await _move_page(request, booking, None, error=NO_SLOT, status_code=422)
        now = request.app.state.clock()
        result = await staff_move(
            request.app.state.db,
            booking.id,
            sequence,
            start,
            now,
            actor=staff,
            site_ids=visible_site_ids(staff),
            settings=request.app.state.settings,
        )
        tz = ZoneInfo(booking.type.site.timezone)
        if isinstance(result, SlotTaken):
            message = SLOT_TOO_LATE if result.too_late else SLOT_TAKEN
            week = monday_of(start.astimezone(tz).date())
            return await _move_page(request, booking, week, error=message, status_code=409)
        if isinstance(result, StaffRefused):
            if result.reason is StaffRefusal.NOT_FOUND:
                raise NotFoundException()
            if result.reason is StaffRefusal.SAME_SLOT:
                week = monday_of(start.astimezone(tz).date())
                return await _move_page(
                    request, booking, week, error=REFUSALS[result.reason], status_code=422
                )
            fresh = await _visible_booking(request, staff, booking_id)
            return await _detail_page(
                request, staff, fresh, problem=REFUSALS[result.reason], status_code=409
            )
        return Redirect(detail_path(booking.id, "deplace"), status_code=303)

    # --- cancel ---------------------------------------------------------------------------

    @get(
        "/{booking_id:int}/annuler",
        name="staff-booking-cancel",
        guards=[agents_only],
        opt={"role": "agent"},
    )
    async def cancel_form(
        self, request: AnyRequest, staff: CurrentStaff, booking_id: FromPath[int]
    ) -> Response[Any]:
        booking = await _visible_booking(request, staff, booking_id)
        problem = _unchangeable(booking, request.app.state.clock())
        if problem:
            return await _detail_page(request, staff, booking, problem=problem, status_code=409)
        return staff_page(request, "staff/booking_cancel.html", _booking_context(booking))

    @post("/{booking_id:int}/annuler", guards=[agents_only], opt={"role": "agent"})
    async def cancel(
        self, request: AnyRequest, staff: CurrentStaff, booking_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        booking = await _visible_booking(request, staff, booking_id)
        sequence = parse_int(form.get("sequence"))
        result = await staff_cancel(
            request.app.state.db,
            booking.id,
            booking.sequence if sequence is None else sequence,
            request.app.state.clock(),
            actor=staff,
            site_ids=visible_site_ids(staff),
            settings=request.app.state.settings,
        )
        if isinstance(result, StaffRefused):
            if result.reason is StaffRefusal.NOT_FOUND:
                raise NotFoundException()
            fresh = await _visible_booking(request, staff, booking_id)
            return await _detail_page(
                request, staff, fresh, problem=REFUSALS[result.reason], status_code=409
            )
        return Redirect(detail_path(booking.id, "annule"), status_code=303)

    # --- attendance -----------------------------------------------------------------------

    @post("/{booking_id:int}/presence", guards=[agents_only], opt={"role": "agent"})
    async def attendance(
        self, request: AnyRequest, staff: CurrentStaff, booking_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        booking = await _visible_booking(request, staff, booking_id)
        choice = form.get("presence", "")
        if choice not in ATTENDANCE_CHOICES:
            return await _detail_page(
                request,
                staff,
                booking,
                problem="Choisissez « Venu », « Absent » ou « Effacer la mention ».",
                status_code=422,
            )
        result = await mark_attendance(
            request.app.state.db,
            booking.id,
            ATTENDANCE_CHOICES[choice],
            request.app.state.clock(),
            actor=staff,
            site_ids=visible_site_ids(staff),
        )
        if isinstance(result, AttendanceRefused):
            if result.reason is AttendanceRefusal.NOT_FOUND:
                raise NotFoundException()
            return await _detail_page(
                request,
                staff,
                booking,
                problem=ATTENDANCE_REFUSALS[result.reason],
                status_code=409,
            )
        return Redirect(detail_path(booking.id, "presence"), status_code=303)


# --- helpers --------------------------------------------------------------------------------


async def _visible_booking(request: AnyRequest, staff: StaffUser, booking_id: int) -> Booking:
    """The booking, or a 404 that says nothing of whether it exists on another site."""
    async with request.app.state.db.read() as session:
        booking = await booking_for_staff(session, booking_id, visible_site_ids(staff))
    if booking is None:
        raise NotFoundException()
    return booking


def _unchangeable(booking: Booking, now: datetime) -> str:
    """Why the booking can no longer be moved or cancelled ("" when it can)."""
    if booking.status != "confirmed":
        return REFUSALS[StaffRefusal.CANCELLED]
    if booking.start <= now:
        return REFUSALS[StaffRefusal.BEGUN]
    return ""


def _search_context(
    text: str = "", *, results: Any = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "text": text,
        "results": results,
        "errors": errors or {},
        "status_labels": STATUS_LABELS,
        "attendance_labels": ATTENDANCE_LABELS,
        "local_start": lambda b: b.start.astimezone(ZoneInfo(b.type.site.timezone)),
    }


def _booking_context(booking: Booking) -> dict[str, Any]:
    tz = ZoneInfo(booking.type.site.timezone)
    return {
        "booking": booking,
        "tz": tz,
        "start": booking.start.astimezone(tz),
        "end": booking.end.astimezone(tz),
        "status_labels": STATUS_LABELS,
        "attendance_labels": ATTENDANCE_LABELS,
        "extra_labels": {
            spec["name"]: spec.get("label", spec["name"]) for spec in booking.type.extra_fields
        },
    }


async def _detail_page(
    request: AnyRequest,
    staff: StaffUser,
    booking: Booking,
    *,
    notice: str = "",
    problem: str = "",
    status_code: int = 200,
) -> Response[Any]:
    now = request.app.state.clock()
    changeable = booking.status == "confirmed" and booking.start > now
    async with request.app.state.db.read() as session:
        history = await booking_history(session, booking.id)
    context = {
        **_booking_context(booking),
        "may_act": at_least(staff.role, Role.AGENT),
        "changeable": changeable,
        "markable": can_mark(booking.status, booking.start, now),
        "notice": notice,
        "problem": problem,
        "history": history,
    }
    return staff_page(request, "staff/booking_detail.html", context, status_code=status_code)


async def _move_page(
    request: AnyRequest,
    booking: Booking,
    week: date | None,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response[Any]:
    now = request.app.state.clock()
    async with request.app.state.db.read() as session:
        appointment_type = await get_type_any(session, booking.type_id)
        tz = ZoneInfo(appointment_type.site.timezone)
        planner = WeekPlanner(
            session,
            appointment_type,
            booking.people,
            now,
            ignore_booking_id=booking.id,
            for_staff=True,
        )
        first_day, last_day = planner.window
        earliest = await planner.first_free_slot()
        if week is None:
            week = monday_of(booking.start.astimezone(tz).date())
        week = min(max(week, monday_of(first_day)), monday_of(last_day))
        slots = [s for s in await planner.week_slots(week) if s.start != booking.start]
    days = [
        (day, list(day_slots))
        for day, day_slots in groupby(slots, key=lambda s: s.start.astimezone(tz).date())
    ]
    base = f"/admin/rendez-vous/{booking.id}/deplacer?semaine="
    context = {
        **_booking_context(booking),
        "week": week,
        "week_end": week + timedelta(days=6),
        "days": days,
        "earliest": earliest,
        "earliest_link": (
            base + monday_of(earliest.start.astimezone(tz).date()).isoformat() if earliest else None
        ),
        "previous_link": (
            base + (week - timedelta(days=7)).isoformat() if week > monday_of(first_day) else None
        ),
        "next_link": (
            base + (week + timedelta(days=7)).isoformat() if week < monday_of(last_day) else None
        ),
        "errors": {"creneau": error} if error else {},
    }
    return staff_page(request, "staff/booking_move.html", context, status_code=status_code)

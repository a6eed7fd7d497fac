"""/admin/reserver: booking for someone on the phone or at the desk.

Two screens: the type and the number of people (a GET form: nothing personal), then the
slot and the person's details in one POST form, booked in one locked transaction by
`staff_booking.book_for_citizen`. The form carries a random token that becomes the
booking's idempotency key (a double click books once).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response

from app.booking.agenda import visible_sites
from app.booking.catalogue import active_type_groups
from app.booking.contact import validate_contact
from app.booking.limits import LimitReached
from app.booking.planning import WeekPlanner, monday_of
from app.booking.reference import TypeInfo
from app.booking.service import Confirmed, SlotTaken
from app.booking.staff_booking import (
    StaffBookingRequest,
    TypeUnavailable,
    book_for_citizen,
    bookable_type,
    new_form_token,
    valid_form_token,
)
from app.db.models import StaffUser
from app.web.citizen.forms import read_form
from app.web.staff.agent_view import (
    NO_SLOT,
    SLOT_TAKEN,
    SLOT_TOO_LATE,
    limit_text,
    parse_day,
    parse_instant,
    parse_int,
)
from app.web.staff.auth import CurrentStaff, agents_only, visible_site_ids
from app.web.staff.bookings import detail_path
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]

NO_TYPE = "Choisissez le type de rendez-vous."


def people_error(raw: str, appointment_type: TypeInfo) -> str:
    people = parse_int(raw)
    if people is None or not 1 <= people <= appointment_type.max_people:
        if appointment_type.max_people == 1:
            return "Ce type de rendez-vous reçoit une seule personne : saisissez 1."
        return (
            "Saisissez un nombre de personnes entre 1 et "
            f"{appointment_type.max_people} pour ce type de rendez-vous."
        )
    return ""


class PhoneBookingController(Controller):
    path = "/admin/reserver"
    guards = [agents_only]
    opt = {"role": "agent"}

    @get("/", name="staff-phone-booking")
    async def choose_type(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        type: FromQuery[str | None] = None,  # noqa: A002 - the form's field name
        personnes: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The first screen, with the previous choice when coming back by « Changer »."""
        values = {"type": type or "", "personnes": personnes or "1"}
        return await _type_page(request, staff, values, {})

    @get("/creneau", name="staff-phone-booking-slot")
    async def slot_form(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        type: FromQuery[str | None] = None,  # noqa: A002 - the form's field name
        personnes: FromQuery[str | None] = None,
        semaine: FromQuery[str | None] = None,
    ) -> Response[Any]:
        values = {"type": type or "", "personnes": personnes or ""}
        checked = await _check_type(request, staff, values)
        if isinstance(checked, dict):
            return await _type_page(request, staff, values, checked, status_code=422)
        appointment_type, people = checked
        week = parse_day(semaine)
        return await _slot_page(
            request,
            appointment_type,
            people,
            monday_of(week) if week else None,
            values={"jeton": new_form_token()},
        )

    @post("/creneau")
    async def book(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        form = await read_form(request)
        values = {"type": form.get("type", ""), "personnes": form.get("personnes", "")}
        checked = await _check_type(request, staff, values)
        if isinstance(checked, dict):
            return await _type_page(request, staff, values, checked, status_code=422)
        appointment_type, people = checked
        details, contact_errors, contact_values = validate_contact(
            form, appointment_type.extra_fields, for_staff=True
        )
        start = parse_instant(form.get("creneau"))
        token = form.get("jeton", "")
        if not valid_form_token(token):
            token = new_form_token()
        page_values = {**contact_values, "jeton": token, "creneau": form.get("creneau", "")}
        tz = ZoneInfo(appointment_type.site.timezone)
        week = monday_of(start.astimezone(tz).date()) if start else None
        errors = {**({} if start else {"creneau": NO_SLOT}), **contact_errors.messages}
        if errors or start is None or details is None:  # each missing one is an error
            return await _slot_page(
                request, appointment_type, people, week, values=page_values, errors=errors
            )
        result = await book_for_citizen(
            request.app.state.db,
            StaffBookingRequest(appointment_type.id, people, start, details, token),
            request.app.state.clock(),
            actor=staff,
            site_ids=visible_site_ids(staff),
            settings=request.app.state.settings,
        )
        if isinstance(result, Confirmed):
            return Redirect(detail_path(result.booking_id, "reserve"), status_code=303)
        if isinstance(result, SlotTaken):
            message = SLOT_TOO_LATE if result.too_late else SLOT_TAKEN
            return await _slot_page(
                request,
                appointment_type,
                people,
                week,
                values={**page_values, "creneau": ""},
                errors={"creneau": message},
                status_code=409,
            )
        if isinstance(result, LimitReached):
            return await _slot_page(
                request,
                appointment_type,
                people,
                week,
                values=page_values,
                errors={"email": limit_text(result, tz)},
            )
        assert isinstance(result, TypeUnavailable)
        return await _type_page(request, staff, values, {"type": NO_TYPE}, status_code=422)


async def _check_type(
    request: AnyRequest, staff: StaffUser, values: dict[str, str]
) -> tuple[TypeInfo, int] | dict[str, str]:
    """The type and the number of people chosen, or the errors to show."""
    async with request.app.state.db.read() as session:
        appointment_type = await bookable_type(
            session, parse_int(values["type"]), visible_site_ids(staff)
        )
    if appointment_type is None:
        return {"type": NO_TYPE}
    error = people_error(values["personnes"], appointment_type)
    if error:
        return {"personnes": error}
    return appointment_type, int(values["personnes"])


async def _type_page(
    request: AnyRequest,
    staff: StaffUser,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response[Any]:
    site_ids = visible_site_ids(staff)
    async with request.app.state.db.read() as session:
        groups = [
            group
            for group in await active_type_groups(session)
            if site_ids is None or group.site.id in site_ids
        ]
        has_sites = bool(await visible_sites(session, site_ids))
    context = {
        "groups": groups,
        "has_sites": has_sites,
        "values": {"type": "", "personnes": "1", **values},
        "errors": errors,
    }
    return staff_page(request, "staff/phone_booking_type.html", context, status_code=status_code)


async def _slot_page(
    request: AnyRequest,
    appointment_type: TypeInfo,
    people: int,
    week: date | None,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> Response[Any]:
    now = request.app.state.clock()
    tz = ZoneInfo(appointment_type.site.timezone)
    async with request.app.state.db.read() as session:
        planner = WeekPlanner(session, appointment_type, people, now, for_staff=True)
        first_day, last_day = planner.window
        earliest = await planner.first_free_slot()
        if week is None:
            week = monday_of(earliest.start.astimezone(tz).date() if earliest else first_day)
        week = min(max(week, monday_of(first_day)), monday_of(last_day))
        slots = await planner.week_slots(week)
    days = [
        (day, list(day_slots))
        for day, day_slots in groupby(slots, key=lambda s: s.start.astimezone(tz).date())
    ]

    def week_link(monday: date) -> str:
        query = {"type": appointment_type.id, "personnes": people, "semaine": monday.isoformat()}
        return "/admin/reserver/creneau?" + urlencode(query)

    context = {
        "appointment_type": appointment_type,
        "people": people,
        "tz": tz,
        "week": week,
        "week_end": week + timedelta(days=6),
        "days": days,
        "earliest": earliest,
        "earliest_link": (
            week_link(monday_of(earliest.start.astimezone(tz).date()))
            if earliest and monday_of(earliest.start.astimezone(tz).date()) != week
            else None
        ),
        "previous_link": week_link(week - timedelta(days=7))
        if week > monday_of(first_day)
        else None,
        "next_link": week_link(week + timedelta(days=7)) if week < monday_of(last_day) else None,
        "values": values,
        "errors": errors or {},
    }
    if status_code is None:
        status_code = 422 if errors else 200
    return staff_page(request, "staff/phone_booking_slot.html", context, status_code=status_code)

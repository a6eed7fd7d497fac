"""Marking whether the citizen came: "attended" or "no_show", once the appointment has begun;
a mark can be changed or removed (a mistake at the desk is undone, not papered over)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.booking.changes import locked_for_staff
from app.db.session import Database
from app.staff import audit

if TYPE_CHECKING:
    from app.db.models import StaffUser

ATTENDED = "attended"
NO_SHOW = "no_show"
MARKS = (ATTENDED, NO_SHOW)
AUDIT_WORDS = {ATTENDED: "présent", NO_SHOW: "absent", None: "sans mention de présence"}


class AttendanceRefusal(enum.Enum):
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"
    NOT_STARTED = "not_started"


@dataclass(frozen=True)
class AttendanceRefused:
    reason: AttendanceRefusal


@dataclass(frozen=True)
class Marked:
    booking_id: int
    attendance: str | None
    previous: str | None


def can_mark(status: str, start: datetime, now: datetime) -> bool:
    return status == "confirmed" and start <= now


async def mark_attendance(
    db: Database,
    booking_id: int,
    attendance: str | None,
    now: datetime,
    *,
    actor: StaffUser,
    site_ids: set[int] | None,
) -> Marked | AttendanceRefused:
    """Sets (or with None removes) the mark. Nothing is sent to the citizen."""
    if attendance is not None and attendance not in MARKS:
        raise ValueError(f"unknown attendance {attendance!r}")
    async with db.write() as session:
        booking = await locked_for_staff(session, booking_id, site_ids)
        if booking is None:
            return AttendanceRefused(AttendanceRefusal.NOT_FOUND)
        if booking.status != "confirmed":
            return AttendanceRefused(AttendanceRefusal.CANCELLED)
        if booking.start > now:
            return AttendanceRefused(AttendanceRefusal.NOT_STARTED)
        previous = booking.attendance
        if previous == attendance:
            return Marked(booking.id, attendance, previous)  # a second click changes nothing
        booking.attendance = attendance
        await audit.record(
            session,
            actor,
            "booking.attendance",
            f"booking:{booking.id}",
            f"Rendez-vous {booking.reference} : {AUDIT_WORDS[attendance]}",
            {"from": previous, "to": attendance},
            now=now,
        )
        return Marked(booking.id, attendance, previous)

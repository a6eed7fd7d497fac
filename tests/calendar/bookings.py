"""Bookings made directly in the database for the bridge's tests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from app.booking.references import new_reference, new_uid
from app.db.models import Booking
from tests.calendar.conftest import desk_named, run, type_titled
from tests.days import at
from tests.instant import FIXED_NOW


def make_booking(settings, day: date, hour: int, minute: int = 0, desk: str = "Accueil CCAS"):
    async def go(db):
        desk_row = await desk_named(db, desk)
        async with db.write() as session:
            ccas = await type_titled(session, "CCAS — aide sociale")
            booking = Booking(
                reference=new_reference(), uid=new_uid(settings.uid_domain), type_id=ccas.id,
                desk_id=desk_row.id, start=at(day, hour, minute),
                end=at(day, hour, minute + 30) if minute < 30 else at(day, hour + 1, minute - 30),
                people=1, last_name="Martin", first_name="Léa", email="lea@example.org",
                phone="+33612345678", extra={}, idempotency_key=new_reference(),
                created_at=FIXED_NOW,
            )  # fmt: skip
            session.add(booking)
        return booking.id

    return run(go, settings)


def change_booking(settings, booking_id: int, **values) -> None:
    async def go(db):
        async with db.write() as session:
            booking = await session.get(Booking, booking_id)
            for name, value in values.items():
                setattr(booking, name, value)
            booking.sequence += 1

    run(go, settings)


def get_booking(settings, booking_id: int) -> Booking:
    async def go(db):
        async with db.read() as session:
            return (await session.execute(select(Booking).where(Booking.id == booking_id))).scalar()

    return run(go, settings)


def moved_to(day: date, hour: int) -> dict[str, datetime]:
    return {"start": at(day, hour), "end": at(day, hour, 30)}
